# Test guests for the VMM (tests/kvm/guests/): one freestanding x86-64
# program, linked twice: with a PVH entry note (32-bit entry) and as a plain
# ELF64 (64-bit entry).
KVM_GUEST_DIR  := tests/kvm/guests
KVM_GUEST_OUT  := $(BUILD)/tests/kvm
KVM_GUEST_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
                    -fno-stack-protector -mno-red-zone -mgeneral-regs-only -mcmodel=small \
                    -fno-asynchronous-unwind-tables -nostdinc -fno-builtin
KVM_GUEST_COMMON := $(addprefix $(KVM_GUEST_OUT)/obj/,guest.o timer.o blk.o smp.o net.o isr.o)

$(KVM_GUEST_OUT)/obj/%.o: $(KVM_GUEST_DIR)/%.c $(KVM_GUEST_DIR)/guest.h
	@mkdir -p $(@D)
	$(CC) $(KVM_GUEST_CFLAGS) -c $< -o $@

$(KVM_GUEST_OUT)/obj/%.o: $(KVM_GUEST_DIR)/%.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

$(KVM_GUEST_OUT)/guest-pvh.elf: $(KVM_GUEST_OUT)/obj/start_pvh.o $(KVM_GUEST_COMMON) $(KVM_GUEST_DIR)/guest.ld
	$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T $(KVM_GUEST_DIR)/guest.ld -e pvh_entry -o $@ $(filter %.o,$^)

$(KVM_GUEST_OUT)/guest-elf64.elf: $(KVM_GUEST_OUT)/obj/start64.o $(KVM_GUEST_COMMON) $(KVM_GUEST_DIR)/guest.ld
	$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments -T $(KVM_GUEST_DIR)/guest.ld -e _start -o $@ $(filter %.o,$^)

TEST_PROGS += $(KVM_GUEST_OUT)/guest-pvh.elf $(KVM_GUEST_OUT)/guest-elf64.elf
