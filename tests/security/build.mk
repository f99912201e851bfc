# tests/security/escape: the escape suite's probe, static (musl), copied into
# the test containers' rootfs by tests/integration/escape.sh.
ESCAPE_PROBE := $(BUILD)/tests/security/escape
TEST_PROGS += $(ESCAPE_PROBE)

$(ESCAPE_PROBE): tests/security/escape.c
	@mkdir -p $(@D)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# tests/security/filter_cost: the seccomp filter's build/load/per-call cost
# (bench/security.sh), linked against the runtime library.
FILTER_COST := $(BUILD)/tests/security/filter_cost
TEST_PROGS += $(FILTER_COST)

$(FILTER_COST): tests/security/filter_cost.c $(OSBOX_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OSBOX_ARCHIVES) $(PKG_LIBS)
