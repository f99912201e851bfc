/* Linux's own x86 boot protocol (Documentation/arch/x86/boot.rst) for a
 * bzImage: its real-mode setup is skipped, the protected-mode kernel goes to
 * 1 MiB, and the 64-bit entry (startup_64, 0x200 into it) gets a zero page
 * (struct boot_params) holding the image's setup header, an e820 map, the
 * command line's and initrd's addresses. Only what the protocol defines is
 * filled in; every field read from the image is checked first. */
#include <string.h>

#include "boot.h"

/* Offsets into the zero page / the image's first sector (boot.rst). */
#define BP_ACPI_RSDP      0x070
#define BP_E820_ENTRIES   0x1e8
#define BP_SETUP_SECTS    0x1f1
#define BP_BOOT_FLAG      0x1fe  /* 0xaa55 */
#define BP_JUMP           0x200  /* the byte at 0x201 says where the header ends */
#define BP_HEADER_MAGIC   0x202  /* "HdrS" */
#define BP_VERSION        0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS      0x211
#define BP_RAMDISK_IMAGE  0x218
#define BP_RAMDISK_SIZE   0x21c
#define BP_CMD_LINE_PTR   0x228
#define BP_INITRD_MAX     0x22c
#define BP_XLOADFLAGS     0x236
#define BP_CMDLINE_SIZE   0x238
#define BP_PREF_ADDRESS   0x258
#define BP_INIT_SIZE      0x260
#define BP_E820_TABLE     0x2d0
#define BP_E820_MAX       128

#define LOADFLAGS_LOADED_HIGH 0x01
#define XLF_KERNEL_64         0x01
#define LOADER_UNDEFINED      0xff /* a boot loader without an assigned id */
#define BZIMAGE_LOAD_ADDR     BOOT_KERNEL_MIN
#define BZIMAGE_ENTRY64_OFF   0x200

static uint32_t get32(const uint8_t *p, size_t off)
{
    uint32_t v;

    memcpy(&v, p + off, 4);
    return v;
}

static uint16_t get16(const uint8_t *p, size_t off)
{
    uint16_t v;

    memcpy(&v, p + off, 2);
    return v;
}

bool bzimage_detect(const void *image, size_t len)
{
    const uint8_t *img = image;

    return len >= 0x400 && get16(img, BP_BOOT_FLAG) == 0xaa55 &&
           !memcmp(img + BP_HEADER_MAGIC, "HdrS", 4);
}

/* The protocol version, the 64-bit entry and the image's own sizes. */
static int check_header(const uint8_t *img, size_t len, size_t *kernel_off, size_t *hdr_end,
                        struct osbox_err *err)
{
    uint16_t version = get16(img, BP_VERSION);
    unsigned setup_sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;

    if (version < 0x20c)
        return osbox_error(err, 0, "bzImage boot protocol %u.%02u is too old (2.12 has the "
                           "64-bit entry)", version >> 8, version & 0xff);
    if (!(get16(img, BP_XLOADFLAGS) & XLF_KERNEL_64))
        return osbox_error(err, 0, "bzImage has no 64-bit entry point (XLF_KERNEL_64)");
    if (!(img[BP_LOADFLAGS] & LOADFLAGS_LOADED_HIGH))
        return osbox_error(err, 0, "bzImage does not load at 1 MiB (a zImage?)");
    *kernel_off = ((size_t)setup_sects + 1) * 512;
    *hdr_end = BP_JUMP + 2 + img[BP_JUMP + 1];
    if (*kernel_off >= len || *hdr_end > *kernel_off || *hdr_end > 0x1000)
        return osbox_error(err, 0, "bzImage is truncated (%u setup sectors, %zu bytes)",
                           setup_sects, len);
    return 0;
}

/* The same RAM map PVH guests get, in e820's packed 20-byte entries. */
static void write_e820(struct guest_mem *gm, uint8_t *zp)
{
    struct pvh_memmap_entry map[BOOT_MEMMAP_MAX];
    int n = boot_memmap(gm, map);

    for (int i = 0; i < n && i < BP_E820_MAX; i++) {
        uint8_t *e = zp + BP_E820_TABLE + 20 * i;
        memcpy(e, &map[i].addr, 8);
        memcpy(e + 8, &map[i].size, 8);
        memcpy(e + 16, &map[i].type, 4);
    }
    zp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* Highest page-aligned spot under the RAM top and the kernel's limit, clear
 * of where the kernel decompresses itself (pref_address + init_size). */
static int place_initrd(struct guest_mem *gm, uint8_t *zp, const struct boot_linux_in *in,
                        uint64_t kernel_end, struct osbox_err *err)
{
    uint64_t top = gm->slots[0].size, max = (uint64_t)get32(zp, BP_INITRD_MAX) + 1, at, floor;
    uint64_t pref;

    memcpy(&pref, zp + BP_PREF_ADDRESS, 8);
    floor = (pref > BZIMAGE_LOAD_ADDR ? pref : BZIMAGE_LOAD_ADDR) + get32(zp, BP_INIT_SIZE);
    if (max < top)
        top = max;
    if (in->initrd_len > top || in->initrd_len > UINT32_MAX)
        return osbox_error(err, 0, "initrd (%zu bytes) is larger than guest RAM", in->initrd_len);
    at = (top - in->initrd_len) & ~0xfffULL;
    if (at < floor || at < kernel_end)
        return osbox_error(err, 0, "initrd (%zu bytes) does not fit above the kernel; give the "
                           "VM more memory", in->initrd_len);
    memcpy(guest_ptr(gm, at, in->initrd_len), in->initrd, in->initrd_len);
    memcpy(zp + BP_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)at }, 4);
    memcpy(zp + BP_RAMDISK_SIZE, &(uint32_t){ (uint32_t)in->initrd_len }, 4);
    return 0;
}

int boot_linux_load(struct guest_mem *gm, const struct boot_linux_in *in, uint64_t *entry,
                    struct osbox_err *err)
{
    const uint8_t *img = in->kernel;
    size_t kernel_off = 0, hdr_end = 0, ksize;
    uint8_t *zp = guest_ptr(gm, BOOT_ZERO_PAGE_ADDR, 0x1000), *dst;

    if (!bzimage_detect(in->kernel, in->kernel_len))
        return osbox_error(err, 0, "kernel is not a bzImage");
    if (check_header(img, in->kernel_len, &kernel_off, &hdr_end, err) < 0)
        return -1;
    ksize = in->kernel_len - kernel_off;
    dst = guest_ptr(gm, BZIMAGE_LOAD_ADDR, ksize);
    if (!dst || !zp)
        return osbox_error(err, 0, "bzImage (%zu bytes) does not fit in guest RAM", ksize);
    memcpy(dst, img + kernel_off, ksize);
    memset(zp, 0, 0x1000);
    memcpy(zp + BP_SETUP_SECTS, img + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
    zp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    if (in->cmdline_len >= get32(zp, BP_CMDLINE_SIZE))
        return osbox_error(err, 0, "kernel command line is too long for this kernel (%zu "
                           "bytes, at most %u)", in->cmdline_len, get32(zp, BP_CMDLINE_SIZE) - 1);
    memcpy(zp + BP_CMD_LINE_PTR, &(uint32_t){ BOOT_CMDLINE_ADDR }, 4);
    write_e820(gm, zp);
    memcpy(zp + BP_ACPI_RSDP, &in->rsdp, 8);
    if (in->initrd && place_initrd(gm, zp, in, BZIMAGE_LOAD_ADDR + ksize, err) < 0)
        return -1;
    *entry = BZIMAGE_LOAD_ADDR + BZIMAGE_ENTRY64_OFF;
    return 0;
}
