/* ACPI tables for guests that find their devices there rather than on the
 * command line: Debian's kernel builds virtio_mmio without
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, so it sees our virtio-mmio windows
 * only as "LNRO0005" devices in a DSDT, as QEMU microvm and Firecracker
 * describe theirs. Hardware-reduced ACPI (no PM timer, no SCI, no FACS):
 *
 *   RSDP (found in 0xe0000-0xfffff, or from boot_params) -> XSDT -> FADT, MADT
 *   FADT: reset register = i8042 port 0x64 value 0xfe; sleep control and
 *         status registers at ACPI_SLEEP_PORT (power-off, see below)
 *   MADT: one local APIC per vCPU (APIC ID = index), the IOAPIC, LINT1 NMI;
 *         ISA IRQs are identity-mapped (KVM's routing: the PIT is pin 0)
 *   DSDT: \_S5 and, under \_SB, COM1 (PNP0501: in hardware-reduced mode
 *         Linux has no legacy PIC, so ISA IRQ 4 exists only once the DSDT
 *         names it) and one device per virtio-mmio window with its memory
 *         range and edge-triggered interrupt
 *
 * A write of SLP_EN with sleep type 5 to the sleep control register powers
 * the VM off: exit status 0 unless the guest set one through 0x501. */
#include <string.h>

#include "boot.h"
#include "guest/include/osbox_guest_abi.h"
#include "vm.h"

#define ACPI_RSDP_ADDR  BOOT_ACPI_ADDR
#define ACPI_XSDT_ADDR  (BOOT_ACPI_ADDR + 0x40)
#define ACPI_FADT_ADDR  (BOOT_ACPI_ADDR + 0x100)
#define ACPI_MADT_ADDR  (BOOT_ACPI_ADDR + 0x400)
#define ACPI_DSDT_ADDR  (BOOT_ACPI_ADDR + 0x1000)
#define ACPI_DSDT_MAX   0x2000

#define ACPI_SLEEP_PORT 0x600  /* control (write) at +0, status (read) at +1 */
#define SLP_EN          0x20
#define SLP_TYP_S5      5

#define FADT_LEN        276
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* The 36-byte header every table but the RSDP starts with; call after the
 * body is written, it sets the checksum. */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "OSBOX ", 6);
    memcpy(t + 16, "OSBOXVMM", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "OSBX", 4);
    put32(t + 32, 1);
    t[9] = 0;
    t[9] = checksum(t, len);
}

/* A Generic Address Structure in system I/O space. */
static void gas_io(uint8_t *g, uint16_t port, uint8_t bits)
{
    g[0] = 1;          /* SystemIO */
    g[1] = bits;
    g[2] = 0;
    g[3] = 1;          /* byte access */
    put64(g + 4, port);
}

static void write_fadt(uint8_t *t)
{
    memset(t, 0, FADT_LEN);
    put32(t + 40, ACPI_DSDT_ADDR);
    uint16_t boot_arch = FADT_BOOT_VGA_NOT_PRESENT; /* no 8042 bit: nothing to probe there */
    memcpy(t + 109, &boot_arch, 2);
    put32(t + 112, FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP);
    gas_io(t + 116, OSBOX_I8042_CMD_PORT, 8);
    t[128] = OSBOX_I8042_RESET;
    t[131] = 5;                                   /* FADT minor version */
    put64(t + 140, ACPI_DSDT_ADDR);               /* X_DSDT */
    gas_io(t + 244, ACPI_SLEEP_PORT, 8);          /* SLEEP_CONTROL_REG */
    gas_io(t + 256, ACPI_SLEEP_PORT + 1, 8);      /* SLEEP_STATUS_REG */
    memcpy(t + 268, "OSBOXVMM", 8);               /* hypervisor vendor identity */
    header(t, "FACP", FADT_LEN, 6);
}

static uint32_t write_madt(uint8_t *t, int ncpus)
{
    uint32_t n = 44;

    put32(t + 36, OSBOX_LAPIC_BASE);
    put32(t + 40, 1);                             /* PCAT_COMPAT: 8259s present (masked) */
    for (int i = 0; i < ncpus; i++, n += 8) {
        const uint8_t lapic[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 }; /* enabled */
        memcpy(t + n, lapic, 8);
    }
    const uint8_t ioapic[12] = { 1, 12, (uint8_t)ncpus, 0 };
    memcpy(t + n, ioapic, 12);
    put32(t + n + 4, OSBOX_IOAPIC_BASE);
    put32(t + n + 8, 0);                          /* GSI base */
    n += 12;
    const uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 }; /* every CPU: NMI on LINT1 */
    memcpy(t + n, nmi, 6);
    n += 6;
    header(t, "APIC", n, 5);
    return n;
}

/* AML: a PkgLength in front of len bytes (the length counts itself). */
static size_t pkglen(uint8_t *p, size_t len)
{
    if (len + 1 < 0x40) {
        p[0] = (uint8_t)(len + 1);
        return 1;
    }
    len += 2;
    p[0] = (uint8_t)(0x40 | (len & 0xf));
    p[1] = (uint8_t)(len >> 4);
    return 2;
}

/* Device(Vnnn) { _HID "LNRO0005", _UID n, _CRS { Memory32Fixed, Interrupt } } */
static size_t aml_virtio_device(uint8_t *out, int i)
{
    uint8_t body[64], *b = body;
    uint32_t base = (uint32_t)(VMM_VIRTIO_MMIO_BASE + (uint64_t)i * VMM_VIRTIO_MMIO_SIZE);
    size_t n = 0;

    *b++ = 'V', *b++ = (uint8_t)('0' + i / 100), *b++ = (uint8_t)('0' + i / 10 % 10),
    *b++ = (uint8_t)('0' + i % 10);
    memcpy(b, "\x08_HID\x0dLNRO0005", 15);
    b += 15;
    *b++ = 0x08, memcpy(b, "_UID", 4), b += 4, *b++ = 0x0a, *b++ = (uint8_t)i;
    const uint8_t crs[23] = {
        0x86, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,   /* Memory32Fixed(ReadWrite, base, size) */
        0x89, 6, 0, 0x03, 1, 0, 0, 0, 0,         /* Interrupt(Consumer, Edge, ActiveHigh) {irq} */
        0x79, 0,                                 /* EndTag */
    };
    *b++ = 0x08, memcpy(b, "_CRS", 4), b += 4;
    *b++ = 0x11, *b++ = 2 + 1 + sizeof crs, *b++ = 0x0a, *b++ = sizeof crs; /* Buffer */
    memcpy(b, crs, sizeof crs);
    put32(b + 4, base);
    put32(b + 8, VMM_VIRTIO_MMIO_SIZE);
    put32(b + 17, (uint32_t)(VMM_VIRTIO_IRQ_BASE + i));
    b += sizeof crs;
    out[n++] = 0x5b, out[n++] = 0x82;            /* DeviceOp */
    n += pkglen(out + n, (size_t)(b - body));
    memcpy(out + n, body, (size_t)(b - body));
    return n + (size_t)(b - body);
}

/* Device(COM1) { _HID EisaId("PNP0501"), _UID 1, _CRS { IO(0x3f8, 8), IRQNoFlags {4} } } */
static const uint8_t aml_com1[] = {
    0x5b, 0x82, 43, 'C', 'O', 'M', '1',
    0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,
    0x08, '_', 'U', 'I', 'D', 0x01,
    0x08, '_', 'C', 'R', 'S', 0x11, 16, 0x0a, 13,
    0x47, 0x01, OSBOX_COM1_PORT & 0xff, OSBOX_COM1_PORT >> 8, OSBOX_COM1_PORT & 0xff,
    OSBOX_COM1_PORT >> 8, 0x01, 0x08,                   /* IO(Decode16, min, max, 1, 8) */
    0x22, 1u << OSBOX_COM1_IRQ, 0x00,                   /* IRQNoFlags() {4} */
    0x79, 0x00,
};
_Static_assert(sizeof aml_com1 == 7 + 10 + 6 + 22, "COM1 AML layout");

static uint32_t write_dsdt(uint8_t *t, int nvirtio)
{
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 6, 2, 0x0a, SLP_TYP_S5, 0x0a,
                                  SLP_TYP_S5 };
    uint8_t devs[VMM_MAX_DISKS + 1][64];
    size_t n = 36, dlen = 0, lens[VMM_MAX_DISKS + 1];

    memcpy(t + n, s5, sizeof s5);
    n += sizeof s5;
    for (int i = 0; i < nvirtio; i++)
        dlen += lens[i] = aml_virtio_device(devs[i], i);
    t[n++] = 0x10;                                /* Scope(\_SB) */
    n += pkglen(t + n, 4 + sizeof aml_com1 + dlen);
    memcpy(t + n, "_SB_", 4);
    n += 4;
    memcpy(t + n, aml_com1, sizeof aml_com1);
    n += sizeof aml_com1;
    for (int i = 0; i < nvirtio; i++, n += lens[i - 1])
        memcpy(t + n, devs[i], lens[i]);
    header(t, "DSDT", (uint32_t)n, 2);
    return (uint32_t)n;
}

static void write_rsdp(uint8_t *r)
{
    memset(r, 0, 36);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "OSBOX ", 6);
    r[15] = 2;                                    /* ACPI 2.0+: XSDT */
    put32(r + 20, 36);
    put64(r + 24, ACPI_XSDT_ADDR);
    r[8] = checksum(r, 20);
    r[32] = checksum(r, 36);
}

int acpi_write(struct guest_mem *gm, int ncpus, int nvirtio)
{
    uint8_t *base = guest_ptr(gm, BOOT_ACPI_ADDR, ACPI_DSDT_ADDR - BOOT_ACPI_ADDR + ACPI_DSDT_MAX);
    uint8_t *xsdt;

    if (!base || ncpus > VMM_MAX_CPUS || nvirtio > VMM_MAX_DISKS + 1)
        return -1;
    memset(base, 0, ACPI_DSDT_ADDR - BOOT_ACPI_ADDR + ACPI_DSDT_MAX);
    write_fadt(base + (ACPI_FADT_ADDR - BOOT_ACPI_ADDR));
    write_madt(base + (ACPI_MADT_ADDR - BOOT_ACPI_ADDR), ncpus);
    write_dsdt(base + (ACPI_DSDT_ADDR - BOOT_ACPI_ADDR), nvirtio);
    xsdt = base + (ACPI_XSDT_ADDR - BOOT_ACPI_ADDR);
    put64(xsdt + 36, ACPI_FADT_ADDR);
    put64(xsdt + 44, ACPI_MADT_ADDR);
    header(xsdt, "XSDT", 52, 1);
    write_rsdp(base);
    return 0;
}

static void sleep_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    (void)opaque, (void)off;
    memset(data, 0, len); /* status: never "woken" */
}

static void sleep_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    uint8_t v;

    (void)len;
    memcpy(&v, data, 1);
    if (off == 0 && (v & SLP_EN) && ((v >> 2) & 7) == SLP_TYP_S5)
        vm_stop(opaque, VMM_STOP_RESET, NULL);
}

static const struct bus_ops sleep_ops = { sleep_read, sleep_write };

int acpi_setup(struct vm *vm, struct osbox_err *err)
{
    if (bus_register(&vm->pio, ACPI_SLEEP_PORT, 2, &sleep_ops, vm) < 0)
        return osbox_error(err, 0, "ACPI sleep ports are taken");
    return 0;
}
