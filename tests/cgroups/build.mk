# tests/cgroups/cgtest: drives runtime/cgroup/*.c directly (no container runtime),
# used by tests/integration/cgroups_direct.sh and tests/kvm/cgroup_v2.sh.
CGTEST := $(BUILD)/tests/cgroups/cgtest
TEST_PROGS += $(CGTEST)

$(CGTEST): tests/cgroups/cgtest.c $(OSBOX_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OSBOX_ARCHIVES) $(PKG_LIBS)
