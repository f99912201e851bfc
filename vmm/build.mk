# build/libvmbackend.a: vmm/backend/, the host side of a VM for osbox
# (vm_backend.h). It links runtime and images, so it is an archive of its
# own: the monitor below never links it.
VMB_SRCS := $(sort $(wildcard vmm/backend/*.c))
VMB_OBJS := $(VMB_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/libvmbackend.a: $(VMB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

# build/osbox-vmm: the KVM monitor as its own program (vmm/launch.h), which
# `osbox vm boot|run` fork+execs from the directory of the osbox binary.
# Statically linked: no shared libraries mapped, so its memory outside guest
# RAM is the monitor's own. ASan cannot link statically: SANITIZE=1 builds
# it dynamic.
VMM_BIN      := $(BUILD)/osbox-vmm
VMM_MAIN_OBJ := $(BUILD)/obj/vmm/monitor/main.o
VMM_STATIC   := $(if $(filter 1,$(SANITIZE)),,-static)

$(VMM_BIN): $(VMM_MAIN_OBJ) $(BUILD)/libvmm.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) $(VMM_STATIC) -o $@ $(VMM_MAIN_OBJ) $(BUILD)/libvmm.a $(BUILD)/libcommon.a \
	    -lseccomp -lpthread

ALL_EXTRA += $(VMM_BIN)

# `make install` puts it next to osbox, where the CLI looks for it.
.PHONY: install-vmm
install: install-vmm
install-vmm: $(VMM_BIN)
	install -D -m 0755 $(VMM_BIN) $(DESTDIR)$(PREFIX)/bin/osbox-vmm
