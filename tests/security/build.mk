# tests/security/escape: the escape suite's probe, static (musl), copied into
# the test containers' rootfs by tests/integration/escape.sh.
ESCAPE_PROBE := $(BUILD)/tests/security/escape
TEST_PROGS += $(ESCAPE_PROBE)

$(ESCAPE_PROBE): tests/security/escape.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
