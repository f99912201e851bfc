# osbox top-level build. Libraries (common, runtime, images, vmm) are built
# generically from their *.c files into static archives; directories with
# special rules (guest kernel, workloads, tests) bring a build.mk fragment.

CC      ?= gcc
BUILD   := build
PREFIX  ?= /usr/local

PKGS    := libseccomp libcap libnl-3.0 libnl-route-3.0 libnftables libarchive libcrypto jansson ext2fs liburing libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# build/osbox links only what starting any command needs; libarchive, libnftables,
# libext2fs, libcrypto, libnl and libcurl are dlopen'ed by the commands that use them (common/dl_lazy.h).
OSBOX_LIBS := $(shell pkg-config --libs libseccomp libcap jansson 2>/dev/null) -lpthread

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fno-strict-aliasing \
           -I. -Icommon $(PKG_CFLAGS)
# SANITIZE=1 builds host code with ASan+UBSan (tests use it via `make sanitize-test`).
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
BUILD   := build/san
endif

LIBDIRS := common runtime images vmm bench   # link order: see OSBOX_ARCHIVES
# Libraries whose sources sit one level down, in subfolders by concern
# (runtime/core/, runtime/net/ ...; bench/lib/, the library behind `osbox
# bench`, beside bench/'s peer scripts). The others take only their top-level
# *.c: vmm/monitor/main.c, for one, is a program of its own (vmm/build.mk).
NESTED_LIBDIRS := runtime images bench
.DEFAULT_GOAL := all

define osbox_library
$(1)_SRCS := $$(sort $$(wildcard $(1)/*.c $$(if $$(filter $(1),$$(NESTED_LIBDIRS)),$(1)/*/*.c)))
$(1)_OBJS := $$($(1)_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@   # ar only adds: a moved or deleted file's old member would stay
	$$(AR) rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(eval $(call osbox_library,$(d))))

# Link order: higher libraries before the ones they use. libvmbackend.a (the
# host side of a VM: vmm/backend/, rules in vmm/build.mk) uses runtime,
# images and vmm.
OSBOX_ARCHIVES := $(BUILD)/libbench.a $(BUILD)/libvmbackend.a $(BUILD)/libruntime.a $(BUILD)/libimages.a $(BUILD)/libvmm.a $(BUILD)/libcommon.a

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/osbox: $(CLI_OBJS) $(OSBOX_ARCHIVES)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(OSBOX_ARCHIVES) $(OSBOX_LIBS)

# Fragments for directories with their own rules (guest/, examples/, tests/ ...).
include $(sort $(wildcard */build.mk tests/*/build.mk))

.PHONY: all deps images test test-progs unit integration kvm demo install clean sanitize-test
all: $(BUILD)/osbox $(ALL_EXTRA)

# Unit-test binaries and helper programs the tests run (fragments add to TEST_PROGS).
test-progs: $(TEST_PROGS)

deps:
	@scripts/deps.sh

images: all $(IMAGES_TARGETS)

test: deps
	@$(MAKE) --no-print-directory all images test-progs
	@tests/run-tests.sh all

unit: all test-progs
	@tests/run-tests.sh unit
integration: all images test-progs
	@tests/run-tests.sh integration
kvm: all images test-progs
	@tests/run-tests.sh kvm

sanitize-test: deps
	@$(MAKE) --no-print-directory SANITIZE=1 all test-progs
	@OSBOX_BUILD=build/san tests/run-tests.sh unit

demo: deps
	@$(MAKE) --no-print-directory all images
	@scripts/demo.sh

install: all
	install -D -m 0755 $(BUILD)/osbox $(DESTDIR)$(PREFIX)/bin/osbox
	ln -sf osbox $(DESTDIR)$(PREFIX)/bin/osbox-oci

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
