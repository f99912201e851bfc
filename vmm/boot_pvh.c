/* Boot: load the kernel, then hand it an hvm_start_info (PVH) with the memory
 * map, command line and modules. PVH kernels enter in 32-bit protected mode
 * with paging off (ebx = start_info); ELF64 kernels without the note enter
 * in 64-bit mode (rsi = start_info), see boot_elf.c. A bzImage goes through
 * Linux's own protocol instead (boot_linux.c: rsi = zero page). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot.h"
#include "vm.h"

int boot_memmap(const struct guest_mem *gm, struct pvh_memmap_entry map[BOOT_MEMMAP_MAX])
{
    int n = 0;

    map[n++] = (struct pvh_memmap_entry){ 0, BOOT_LOW_RAM_END, PVH_MEMMAP_RAM, 0 };
    map[n++] = (struct pvh_memmap_entry){ BOOT_LOW_RAM_END, BOOT_KERNEL_MIN - BOOT_LOW_RAM_END,
                                          PVH_MEMMAP_RESERVED, 0 };
    map[n++] = (struct pvh_memmap_entry){ BOOT_KERNEL_MIN, gm->slots[0].size - BOOT_KERNEL_MIN,
                                          PVH_MEMMAP_RAM, 0 };
    if (gm->nslots > 1)
        map[n++] = (struct pvh_memmap_entry){ gm->slots[1].gpa, gm->slots[1].size, PVH_MEMMAP_RAM, 0 };
    return n;
}

static void write_memmap(struct vm *vm, struct pvh_start_info *si)
{
    struct pvh_memmap_entry map[BOOT_MEMMAP_MAX];

    si->memmap_entries = (uint32_t)boot_memmap(&vm->mem, map);
    memcpy(guest_ptr(&vm->mem, BOOT_MEMMAP_ADDR, sizeof map), map, sizeof map);
    si->memmap_paddr = BOOT_MEMMAP_ADDR;
}

static int place_initrd(struct vm *vm, uint64_t kernel_end, struct pvh_start_info *si,
                        struct osbox_err *err)
{
    const struct vmm_config *cfg = vm->cfg;
    uint64_t top = vm->mem.slots[0].size, at;
    struct pvh_modlist_entry mod = { 0 };

    if (!cfg->initrd)
        return 0;
    if (cfg->initrd_len > top)
        return osbox_error(err, 0, "initrd (%zu bytes) is larger than guest RAM", cfg->initrd_len);
    at = (top - cfg->initrd_len) & ~0xfffULL;
    if (at < kernel_end)
        return osbox_error(err, 0, "initrd (%zu bytes) does not fit above the kernel; "
                           "give the VM more memory", cfg->initrd_len);
    memcpy(guest_ptr(&vm->mem, at, cfg->initrd_len), cfg->initrd, cfg->initrd_len);
    mod.paddr = at;
    mod.size = cfg->initrd_len;
    memcpy(guest_ptr(&vm->mem, BOOT_MODLIST_ADDR, sizeof mod), &mod, sizeof mod);
    si->nr_modules = 1;
    si->modlist_paddr = BOOT_MODLIST_ADDR;
    return 0;
}

/* An ELF: PVH (32-bit entry, ebx = start info) or ELF64 (64-bit entry). */
static int load_elf(struct vm *vm, struct boot_info *bi, struct osbox_err *err)
{
    struct pvh_start_info si = { .magic = PVH_START_MAGIC, .version = 1,
                                 .cmdline_paddr = BOOT_CMDLINE_ADDR };
    struct elf_image elf;

    if (elf_load(&vm->mem, vm->cfg->kernel, vm->cfg->kernel_len, &elf, err) < 0)
        return -1;
    write_memmap(vm, &si);
    if (place_initrd(vm, elf.end, &si, err) < 0)
        return -1;
    memcpy(guest_ptr(&vm->mem, BOOT_START_INFO_ADDR, sizeof si), &si, sizeof si);
    bi->mode = elf.has_pvh ? BOOT_MODE_PVH : BOOT_MODE_ELF64;
    bi->entry = elf.has_pvh ? elf.pvh_entry : elf.entry;
    bi->params = BOOT_START_INFO_ADDR;
    return 0;
}

static int load_bzimage(struct vm *vm, size_t cmdline_len, struct boot_info *bi,
                        struct osbox_err *err)
{
    const struct vmm_config *cfg = vm->cfg;
    struct boot_linux_in in = { .kernel = cfg->kernel, .kernel_len = cfg->kernel_len,
                                .initrd = cfg->initrd, .initrd_len = cfg->initrd_len,
                                .cmdline_len = cmdline_len, .rsdp = BOOT_ACPI_ADDR };

    if (boot_linux_load(&vm->mem, &in, &bi->entry, err) < 0)
        return -1;
    bi->mode = BOOT_MODE_LINUX64;
    bi->params = BOOT_ZERO_PAGE_ADDR;
    return 0;
}

int boot_load(struct vm *vm, const char *cmdline, struct boot_info *bi, struct osbox_err *err)
{
    size_t clen = strlen(cmdline);

    if (vm->mem.slots[0].size < 2 * BOOT_KERNEL_MIN)
        return osbox_error(err, 0, "guest RAM is too small (need at least 2 MiB)");
    if (clen >= BOOT_CMDLINE_MAX)
        return osbox_error(err, 0, "kernel command line is too long (%zu bytes)", clen);
    memcpy(guest_ptr(&vm->mem, BOOT_CMDLINE_ADDR, clen + 1), cmdline, clen + 1);
    /* First: a bzImage's zero page points at them. */
    if (acpi_write(&vm->mem, vm->ncpus, vm->nvirtio) < 0)
        return osbox_error(err, 0, "ACPI tables do not fit");
    if (bzimage_detect(vm->cfg->kernel, vm->cfg->kernel_len) ? load_bzimage(vm, clen, bi, err) < 0
                                                             : load_elf(vm, bi, err) < 0)
        return -1;
    if (mptable_write(&vm->mem, BOOT_MPTABLE_ADDR, vm->ncpus, 24) < 0)
        return osbox_error(err, 0, "MP table does not fit for %d vCPUs", vm->ncpus);
    boot_write_long_mode_tables(&vm->mem, bi->mode == BOOT_MODE_LINUX64);
    return 0;
}

static struct kvm_segment flat_seg(uint16_t sel, uint8_t type, bool code64)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
        .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
    };
}

int boot_set_regs(struct vm *vm, struct vcpu *bsp, const struct boot_info *bi,
                  struct osbox_err *err)
{
    struct kvm_sregs s;
    struct kvm_regs r = { .rflags = 0x2 };
    (void)vm;

    if (ioctl(bsp->fd, KVM_GET_SREGS, &s) < 0)
        return osbox_error(err, errno, "KVM_GET_SREGS");
    s.gdt.base = BOOT_GDT_ADDR;
    s.gdt.limit = 4 * 8 - 1;
    s.ds = s.es = s.fs = s.gs = s.ss = flat_seg(0x10, 0x3, false);
    /* PVH wants TR to name a busy 32-bit TSS; its base and limit are free. */
    s.tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
    switch (bi->mode) {
    case BOOT_MODE_PVH:
        s.cs = flat_seg(0x18, 0xb, false);
        s.cr0 = 0x11;            /* PE | ET, paging off */
        s.cr4 = 0;
        s.efer = 0;
        r.rbx = bi->params;
        break;
    case BOOT_MODE_ELF64:
    case BOOT_MODE_LINUX64:
        /* Linux's 64-bit protocol: __BOOT_CS 0x10, __BOOT_DS 0x18, rsi = zero page. */
        if (bi->mode == BOOT_MODE_LINUX64) {
            s.cs = flat_seg(0x10, 0xb, true);
            s.ds = s.es = s.fs = s.gs = s.ss = flat_seg(0x18, 0x3, false);
        } else {
            s.cs = flat_seg(0x08, 0xb, true);
        }
        s.cr3 = BOOT_PML4_ADDR;
        s.cr4 = 0x20;            /* PAE */
        s.cr0 = 0x80050033;      /* PG | WP | NE | ET | MP | PE */
        s.efer = 0x500;          /* LME | LMA */
        r.rsi = bi->params;
        r.rsp = BOOT_STACK_TOP;
        break;
    }
    r.rip = bi->entry;
    if (ioctl(bsp->fd, KVM_SET_SREGS, &s) < 0)
        return osbox_error(err, errno, "KVM_SET_SREGS");
    if (ioctl(bsp->fd, KVM_SET_REGS, &r) < 0)
        return osbox_error(err, errno, "KVM_SET_REGS");
    return 0;
}
