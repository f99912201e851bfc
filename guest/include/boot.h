/* The PVH boot protocol's start info (Xen's public arch-x86/hvm/start_info.h layout). */
#ifndef GUEST_BOOT_H
#define GUEST_BOOT_H
#include "types.h"
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    u32 magic, version, flags, nr_modules;
    u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    u32 memmap_entries, reserved;
};
struct hvm_memmap_entry { u64 addr, size; u32 type, reserved; };
extern char boot_cmdline[1024];
extern u64 boot_rsdp;
const char *cmdline_get(const char *key);   /* value after key= or NULL */
bool cmdline_has(const char *key);
#endif
