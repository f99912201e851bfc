/* Host tests of the guest's ELF loader (load_elf in guest/kernel/exec.c):
 * good static executables become the right mappings; malformed headers
 * and segments are refused with ENOEXEC before anything is mapped.
 * The file comes from a byte buffer; the address-space calls are
 * recorded instead of building page tables. */
#include "test_guest_shim.h"
#include "mm.h"
#include "fs.h"
#include "proc.h"
#include "errno.h"
#include "elf.h"

/* ---- stand-ins for what exec.c calls ---- */
static u8 file[16384];
static u64 file_len;
static struct inode the_inode;

ssize_t ext2_read(struct inode *ip, void *buf, u64 off, size_t n)
{
    (void)ip;
    if (off >= file_len) return 0;
    if (n > file_len - off) n = file_len - off;
    memcpy(buf, file + off, n);
    return n;
}
u64 isize(struct inode *ip) { (void)ip; return file_len; }

struct rec { u64 start, end, file_off, file_end; u32 prot; bool filed; };
static struct rec recs[16];
static int nrec;
static struct vma found;

int vma_add_file(struct mm *mm, u64 start, u64 end, u32 prot, struct inode *ip, u64 off, u64 fend)
{
    (void)mm; (void)ip;
    assert_true(nrec < 16);
    assert_true(start < end);
    recs[nrec++] = (struct rec){ start, end, off, fend, prot, true };
    return 0;
}
int vma_add(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags)
{
    (void)mm; (void)flags;
    assert_true(nrec < 16);
    assert_true(start < end);
    recs[nrec++] = (struct rec){ start, end, 0, 0, prot, false };
    return 0;
}
struct vma *vma_find(struct mm *mm, u64 addr)
{
    (void)mm;
    for (int i = 0; i < nrec; i++)
        if (addr >= recs[i].start && addr < recs[i].end) {
            found = (struct vma){ .start = recs[i].start, .end = recs[i].end, .prot = recs[i].prot };
            return &found;
        }
    return NULL;
}
static u64 populated;
int vm_populate(struct mm *mm, u64 va, u64 *phys) { (void)mm; (void)va; populated++; *phys = 0x200000; return 0; }
void *kmalloc(size_t n) { return malloc(n); }
void *kzalloc(size_t n) { return calloc(1, n); }
void kfree(void *p) { free(p); }
/* only do_execve, which these tests do not call, uses the rest */
int namei(int dirfd, const char *path, bool follow, struct inode **out) { (void)dirfd; (void)path; (void)follow; (void)out; return -ENOENT; }
void iput(struct inode *ip) { (void)ip; }
struct mm *mm_create(void) { return NULL; }
void mm_put(struct mm *mm) { (void)mm; }
void mm_switch(struct mm *mm) { (void)mm; }
void wakeup(void *chan) { (void)chan; }
void file_put(struct file *f) { (void)f; }
int copy_from_user(void *dst, u64 src, size_t n) { (void)dst; (void)src; (void)n; return -EFAULT; }
int strncpy_from_user(char *dst, u64 src, size_t max) { (void)dst; (void)src; (void)max; return -EFAULT; }

#include "../../guest/kernel/exec.c"

/* ---- building test executables ---- */
static Elf64_Ehdr *eh(void) { return (Elf64_Ehdr *)file; }
static Elf64_Phdr *ph(int i) { return (Elf64_Phdr *)(file + 64) + i; }

/* A static ET_EXEC: PT_PHDR, text at 0x400000 (file 0..0x1800), data at
 * 0x402800 (file 0x1800..0x1900, bss to 0x405000). */
static void good_exe(void)
{
    memset(file, 0, sizeof file);
    file_len = 0x3000;
    memcpy(eh()->e_ident, "\x7f" "ELF\x02\x01\x01", 7);
    eh()->e_type = 2;
    eh()->e_machine = 62;
    eh()->e_version = 1;
    eh()->e_entry = 0x401000;
    eh()->e_phoff = 64;
    eh()->e_ehsize = 64;
    eh()->e_phentsize = sizeof(Elf64_Phdr);
    eh()->e_phnum = 3;
    *ph(0) = (Elf64_Phdr){ .p_type = 6, .p_flags = 4, .p_offset = 64, .p_vaddr = 0x400040, .p_filesz = 3 * 56, .p_memsz = 3 * 56 };
    *ph(1) = (Elf64_Phdr){ .p_type = 1, .p_flags = 5, .p_offset = 0, .p_vaddr = 0x400000, .p_filesz = 0x1800, .p_memsz = 0x1800, .p_align = 0x1000 };
    *ph(2) = (Elf64_Phdr){ .p_type = 1, .p_flags = 6, .p_offset = 0x1800, .p_vaddr = 0x402800, .p_filesz = 0x100, .p_memsz = 0x2800, .p_align = 0x1000 };
}

static struct mm the_mm;
static u64 entry, phdr;
static Elf64_Ehdr got;

static int load(void)
{
    nrec = 0;
    populated = 0;
    memset(&the_mm, 0, sizeof the_mm);
    return load_elf(&the_inode, &the_mm, &entry, &phdr, &got);
}

static void test_good_static_executable(void **state)
{
    (void)state;
    good_exe();
    assert_int_equal(load(), 0);
    assert_int_equal(entry, 0x401000);
    assert_int_equal(phdr, 0x400040);
    assert_int_equal(nrec, 2);
    assert_true(recs[0].filed);
    assert_int_equal(recs[0].start, 0x400000);
    assert_int_equal(recs[0].end, 0x402000);
    assert_int_equal(recs[0].prot, PROT_READ | PROT_EXEC);
    assert_true(recs[1].filed);
    assert_int_equal(recs[1].start, 0x402000);
    assert_int_equal(recs[1].end, 0x405000);
    assert_int_equal(recs[1].file_off, 0x1000);
    assert_int_equal(recs[1].file_end, 0x402900);
    assert_int_equal(recs[1].prot, PROT_READ | PROT_WRITE);
    assert_int_equal(the_mm.brk, 0x405000);
    assert_int_equal(got.e_phnum, 3);
}

static void test_static_pie_gets_bias(void **state)
{
    (void)state;
    good_exe();
    eh()->e_type = 3;
    eh()->e_entry = 0x1000;
    ph(0)->p_vaddr = 0x40;
    ph(1)->p_vaddr = 0;
    ph(2)->p_vaddr = 0x2800;
    assert_int_equal(load(), 0);
    assert_int_equal(entry, PIE_BIAS + 0x1000);
    assert_int_equal(phdr, PIE_BIAS + 0x40);
    assert_int_equal(recs[0].start, PIE_BIAS);
}

static void test_shared_page_is_loaded_eagerly(void **state)
{
    (void)state;
    good_exe();
    ph(2)->p_vaddr = 0x401800;      /* data starts inside text's last page */
    assert_int_equal(load(), 0);
    assert_int_equal(nrec, 2);
    assert_false(recs[1].filed);    /* the rest is anonymous; the bytes were copied */
    assert_true(populated > 0);
}

static void expect_noexec(const char *what)
{
    int r = load();
    if (r != -ENOEXEC) fail_msg("%s: load_elf returned %d, expected -ENOEXEC", what, r);
}

static void test_bad_headers_rejected(void **state)
{
    (void)state;
    good_exe(); file[0] = 0x7e; expect_noexec("bad magic");
    good_exe(); eh()->e_ident[4] = 1; expect_noexec("ELFCLASS32");
    good_exe(); eh()->e_machine = 3; expect_noexec("i386 machine");
    good_exe(); eh()->e_type = 1; expect_noexec("ET_REL");
    good_exe(); eh()->e_type = 4; expect_noexec("ET_CORE");
    good_exe(); eh()->e_phentsize = 32; expect_noexec("wrong phentsize");
    good_exe(); eh()->e_phnum = 65; expect_noexec("too many program headers");
    good_exe(); file_len = 40; expect_noexec("file shorter than the ELF header");
    good_exe(); eh()->e_phoff = 0x2fe0; expect_noexec("program headers past the end");
    good_exe(); eh()->e_phoff = ~0UL - 8; expect_noexec("program header offset wraps");
    good_exe(); file_len = 100; expect_noexec("program headers cut short");
}

static void test_bad_segments_rejected(void **state)
{
    (void)state;
    good_exe(); ph(0)->p_type = 3; expect_noexec("PT_INTERP (dynamic)");
    good_exe(); ph(2)->p_filesz = 0x2900; expect_noexec("p_filesz > p_memsz");
    good_exe(); ph(2)->p_vaddr = USER_TOP - 0x1000; expect_noexec("segment reaches kernel space");
    good_exe(); ph(1)->p_vaddr = 0xffffffff80000000UL; expect_noexec("segment in kernel space");
    good_exe(); ph(2)->p_vaddr = ~0UL - 0xfff; ph(2)->p_offset = 0x1000; expect_noexec("vaddr + memsz wraps around");
    good_exe(); eh()->e_type = 3; ph(1)->p_vaddr = USER_TOP - PIE_BIAS - 0x1000; expect_noexec("bias pushes a PIE into kernel space");
    good_exe(); ph(2)->p_offset = 0x1900; expect_noexec("offset and address disagree within the page");
    good_exe(); ph(2)->p_offset = 0x2f00 + 0x800; ph(2)->p_vaddr = 0x403700; expect_noexec("segment data past the end of the file");
    good_exe(); ph(2)->p_offset = ~0UL - 0x7ff; ph(2)->p_vaddr = 0x403800; expect_noexec("segment offset wraps");
    /* nothing was mapped for a refused file: the caller drops the mm */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_static_executable),
        cmocka_unit_test(test_static_pie_gets_bias),
        cmocka_unit_test(test_shared_page_is_loaded_eagerly),
        cmocka_unit_test(test_bad_headers_rejected),
        cmocka_unit_test(test_bad_segments_rejected),
    };
    shim_ram_setup();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
