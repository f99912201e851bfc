/* ELF loader: validate headers, find the PVH entry note, copy PT_LOAD segments. */
#include <elf.h>
#include <string.h>

#include "boot.h"

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static bool in_file(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

static int get_phdr(const uint8_t *img, size_t len, bool is64, uint64_t phoff, uint32_t i,
                    uint32_t entsize, struct phdr *p)
{
    uint64_t off = phoff + (uint64_t)i * entsize;

    if (!in_file(len, off, entsize))
        return -1;
    if (is64) {
        Elf64_Phdr h;
        if (entsize < sizeof h)
            return -1;
        memcpy(&h, img + off, sizeof h);
        *p = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
    } else {
        Elf32_Phdr h;
        if (entsize < sizeof h)
            return -1;
        memcpy(&h, img + off, sizeof h);
        *p = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
    }
    return 0;
}

static void scan_notes(const uint8_t *n, uint64_t size, struct elf_image *out)
{
    uint64_t pos = 0;

    while (size - pos >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, n + pos, 4);
        memcpy(&descsz, n + pos + 4, 4);
        memcpy(&type, n + pos + 8, 4);
        uint64_t name = pos + 12;
        uint64_t desc = name + (((uint64_t)namesz + 3) & ~3ULL);
        uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ULL);
        if (next > size)
            return;
        if (namesz == 4 && !memcmp(n + name, "Xen", 4) && type == XEN_ELFNOTE_PHYS32_ENTRY) {
            if (descsz == 4) {
                uint32_t e;
                memcpy(&e, n + desc, 4);
                out->pvh_entry = e;
                out->has_pvh = true;
            } else if (descsz == 8) {
                uint64_t e;
                memcpy(&e, n + desc, 8);
                out->pvh_entry = e;
                out->has_pvh = true;
            }
        }
        pos = next;
    }
}

int elf_load(struct guest_mem *gm, const void *image, size_t len, struct elf_image *out,
             struct osbox_err *err)
{
    const uint8_t *img = image;
    uint64_t phoff;
    uint32_t phnum, entsize;
    uint16_t machine;
    int loaded = 0;

    memset(out, 0, sizeof *out);
    if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
        return osbox_error(err, 0, "kernel is not an ELF file");
    if (img[EI_DATA] != ELFDATA2LSB)
        return osbox_error(err, 0, "kernel ELF is not little-endian");
    if (img[EI_CLASS] == ELFCLASS64 && len >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr h;
        memcpy(&h, img, sizeof h);
        out->is64 = true;
        out->entry = h.e_entry;
        phoff = h.e_phoff, phnum = h.e_phnum, entsize = h.e_phentsize, machine = h.e_machine;
    } else if (img[EI_CLASS] == ELFCLASS32 && len >= sizeof(Elf32_Ehdr)) {
        Elf32_Ehdr h;
        memcpy(&h, img, sizeof h);
        out->entry = h.e_entry;
        phoff = h.e_phoff, phnum = h.e_phnum, entsize = h.e_phentsize, machine = h.e_machine;
    } else {
        return osbox_error(err, 0, "kernel ELF has a bad class or is truncated");
    }
    if (machine != EM_X86_64 && machine != EM_386)
        return osbox_error(err, 0, "kernel ELF is not for x86 (e_machine %u)", machine);
    if (phnum == 0 || phnum > 256)
        return osbox_error(err, 0, "kernel ELF has %u program headers", phnum);

    for (uint32_t i = 0; i < phnum; i++) {
        struct phdr p;
        uint8_t *dst;

        if (get_phdr(img, len, out->is64, phoff, i, entsize, &p) < 0)
            return osbox_error(err, 0, "kernel ELF program header %u is truncated", i);
        if (p.type == PT_NOTE && in_file(len, p.offset, p.filesz))
            scan_notes(img + p.offset, p.filesz, out);
        if (p.type != PT_LOAD || p.memsz == 0)
            continue;
        if (p.filesz > p.memsz || !in_file(len, p.offset, p.filesz))
            return osbox_error(err, 0, "kernel ELF segment %u lies outside the file", i);
        if (p.paddr < BOOT_KERNEL_MIN)
            return osbox_error(err, 0, "kernel ELF segment %u loads at 0x%llx, below 1 MiB", i,
                               (unsigned long long)p.paddr);
        dst = guest_ptr(gm, p.paddr, p.memsz);
        if (!dst)
            return osbox_error(err, 0, "kernel ELF segment %u (0x%llx + 0x%llx) does not fit "
                               "in guest RAM", i, (unsigned long long)p.paddr,
                               (unsigned long long)p.memsz);
        memcpy(dst, img + p.offset, p.filesz);
        memset(dst + p.filesz, 0, p.memsz - p.filesz);
        if (p.paddr + p.memsz > out->end)
            out->end = p.paddr + p.memsz;
        loaded++;
    }
    if (!loaded)
        return osbox_error(err, 0, "kernel ELF has no loadable segment");
    if (!out->has_pvh && !out->is64)
        return osbox_error(err, 0, "32-bit kernel ELF without a PVH entry note");
    return 0;
}
