# The osbox guest kernel: freestanding C + asm under guest/, linked into an
# ELF with a PVH entry note (build/guest/osbox-kernel).  Never includes host headers.
GUEST_CC     ?= gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib \
                -nostdinc -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie \
                -fno-stack-protector -mgeneral-regs-only -fno-omit-frame-pointer \
                -fno-asynchronous-unwind-tables -fno-strict-aliasing \
                -Iguest/include -MMD -MP
GUEST_SRCS   := $(sort $(wildcard guest/*/*.c guest/*/*.S))
GUEST_OBJS   := $(patsubst guest/%,$(BUILD)/guest/obj/%.o,$(GUEST_SRCS))
GUEST_KERNEL := $(BUILD)/guest/osbox-kernel

$(BUILD)/guest/obj/%.c.o: guest/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/obj/%.S.o: guest/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(GUEST_KERNEL): $(GUEST_OBJS) guest/kernel.ld
	$(GUEST_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	    -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T guest/kernel.ld -o $@ $(GUEST_OBJS)

ALL_EXTRA += $(GUEST_KERNEL)
-include $(GUEST_OBJS:.o=.d)

# Guest test programs (static musl) and the guest disk image.
GUEST_TEST_NAMES := hello threads segv hog fsync_write sysck netcheck epoll_echo tcpput
GUEST_TEST_BINS  := $(GUEST_TEST_NAMES:%=$(BUILD)/tests/guest/%)
TEST_PROGS += $(GUEST_TEST_BINS)

$(BUILD)/tests/guest/%: tests/guest/%.c
	@mkdir -p $(@D)
	musl-gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror -o $@ $< -lpthread

GUEST_BUSYBOX ?= /bin/busybox
GUEST_IMG := $(BUILD)/images/guest.img
$(GUEST_IMG): images/recipes/guest-img.sh $(GUEST_KERNEL) $(GUEST_TEST_BINS) $(WORKLOAD_BINS)
	@mkdir -p $(@D)
	images/recipes/guest-img.sh $@ $(GUEST_KERNEL) $(GUEST_BUSYBOX) \
	    $(foreach t,$(GUEST_TEST_BINS),$(t):tests/$(notdir $(t))) \
	    $(foreach w,$(WORKLOAD_BINS),$(w):workloads/$(notdir $(w)))
IMAGES_TARGETS += $(GUEST_IMG)

# Host unit tests that compile guest sources (#include "../../guest/...c")
# need the guest's headers, and rebuild when those sources change.
$(BUILD)/tests/unit/test_guest_%: private CFLAGS += -Iguest/include -Wno-format
$(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_guest_*.c)): $(GUEST_SRCS) $(wildcard guest/include/*.h tests/unit/test_guest_shim.h)
