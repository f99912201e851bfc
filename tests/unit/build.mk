# cmocka unit tests: tests/unit/test_NAME.c -> build/tests/unit/test_NAME,
# linked against every osbox library.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
TEST_PROGS += $(UNIT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(OSBOX_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(OSBOX_ARCHIVES) $(PKG_LIBS) -lcmocka
