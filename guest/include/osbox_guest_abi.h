/* Constants shared by the osbox guest kernel and the osbox VMM (vmm/).
 * Plain #defines only: this header is included by freestanding guest code
 * and by hosted monitor code alike. */
#ifndef OSBOX_GUEST_ABI_H
#define OSBOX_GUEST_ABI_H

/* 32-bit `out` to this port: the value is the VM's exit status; the
 * monitor stops the VM.  Under QEMU `-device isa-debug-exit,iobase=0x501,
 * iosize=1` exits with (value << 1) | 1 (iosize=4 would also swallow the
 * boot marker at 0x502: with -accel kvm QEMU then exits at kernel entry). */
#define OSBOX_EXIT_PORT          0x501
/* Boot-time marker: the guest writes a stage number (32-bit `out`). */
#define OSBOX_BOOT_PORT          0x502
#define OSBOX_BOOT_KERNEL_ENTRY  1   /* first instruction of the kernel */
#define OSBOX_BOOT_INIT_EXEC     2   /* init program exec'd */

/* Power button (osbox's own, vmm/power_button.c): `osbox vm stop` makes
 * the monitor latch a press and pulse ISA IRQ 3 (edge); an 8-bit `in` from
 * the port reads 1 for a press not yet seen (and clears it), else 0.  The
 * osbox guest answers a press with SIGTERM to init, as `docker stop` does to
 * a container's pid 1; the monitor kills the VM if it is still up after the
 * stop timeout. */
#define OSBOX_POWER_PORT         0x503
#define OSBOX_POWER_IRQ          3

/* Console: 8250 UART COM1. */
#define OSBOX_COM1_PORT          0x3f8
#define OSBOX_COM1_IRQ           4

/* Fallback when no exit port exists (QEMU): the status is printed as
 * "osbox-guest: exit N" then the guest resets via the i8042. */
#define OSBOX_EXIT_MESSAGE       "osbox-guest: exit "
#define OSBOX_I8042_CMD_PORT     0x64
#define OSBOX_I8042_RESET        0xfe

/* virtio-mmio: devices from `virtio_mmio.device=SIZE@BASE:IRQ` on the
 * cmdline; without any, QEMU microvm's windows are probed. */
#define OSBOX_MICROVM_MMIO_BASE  0xfeb00000UL
#define OSBOX_MICROVM_MMIO_SIZE  0x200
#define OSBOX_MICROVM_MMIO_COUNT 24
#define OSBOX_MICROVM_MMIO_GSI0  5   /* window n uses GSI 5 + n */
#define OSBOX_IOAPIC_BASE        0xfec00000UL
#define OSBOX_LAPIC_BASE         0xfee00000UL

/* Kernel command line understood by the guest:
 *   init=PATH            program to run as pid 1 (default /init)
 *   -- ARGS...           everything after " -- " is init's argv[1..];
 *                        "double quotes" group words (no escapes)
 *   virtio_mmio.device=SIZE@BASE:IRQ   (repeatable) devices to attach;
 *                        read only before " -- " (the monitor puts them there)
 *   osbox.env="K=V"      (repeatable) init's environment; any of them
 *                        replaces the defaults below
 *   osbox.cwd="DIR"      init's working directory (created if missing)
 *   quiet                no kernel messages unless something goes wrong
 *   osbox.rawcon         console output without \r before \n
 *   (init=, osbox.env=, osbox.cwd= values may be "double-quoted")
 *   osbox.debug=1        boot-phase timings, register dumps of user faults
 *   osbox.strace=1       log every system call with its result
 *   osbox.test=kfault    provoke a kernel page fault (tests)
 *   osbox.nosmp          use only the boot CPU
 *   osbox.pitcal         calibrate TSC and LAPIC timer against the PIT even
 *                        under KVM (default there: rates from kvmclock and
 *                        KVM's 1 GHz APIC bus, no 30 ms calibration)
 * CPUs are found in an MP table ("_MP_" in 0xf0000-0xfffff) or the ACPI
 * MADT (PVH rsdp_paddr); application processors start at physical 0x8000.
 * The root file system is ext2 on the first virtio-blk disk.  init gets
 * HOME=/ PATH=/bin:/sbin:/usr/bin:/usr/sbin TERM=linux; an init= without
 * "/" is looked up in PATH.  If init cannot be run the VM ends with 127
 * (not found) or 126 (other errors, also an unusable osbox.cwd).  The wall
 * clock comes from KVM's pvclock when offered (the host's time), else the
 * CMOS RTC.  When init exits
 * the buffer cache is written back and the VM ends with init's status
 * (exit code, or 128+N when killed by signal N; 255 on kernel panic,
 * 128+vector on a kernel exception). */
#define OSBOX_STATUS_PANIC       255

/* Kernel placement: the ELF is linked at KERNEL_VMA + phys and loaded at
 * its physical addresses (p_paddr); PVH entry via XEN_ELFNOTE_PHYS32_ENTRY. */
#define OSBOX_KERNEL_PHYS        0x100000UL
#define OSBOX_XEN_ELFNOTE_PHYS32_ENTRY 18

#endif
