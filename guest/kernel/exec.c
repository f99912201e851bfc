/* execve: load a static ELF64 (ET_EXEC, or ET_DYN static-pie at a fixed
 * bias) into a fresh address space and build the initial stack. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "errno.h"
#include "elf.h"

#define MAX_ARGS 512
#define MAX_ARGBYTES (128 * 1024)
#define PIE_BIAS 0x555555554000UL


struct strv { int n; size_t bytes; char *buf; char *ptr[MAX_ARGS]; };

static int strv_add(struct strv *v, const char *s)
{
    size_t l = strlen(s) + 1;
    if (v->n >= MAX_ARGS - 1 || v->bytes + l > MAX_ARGBYTES) return -E2BIG;
    v->ptr[v->n++] = memcpy(v->buf + v->bytes, s, l);
    v->bytes += l;
    return 0;
}

static int strv_from_user(struct strv *v, u64 uarr)
{
    char *tmp = kmalloc(4096);
    for (int i = 0; uarr; i++) {
        u64 p;
        if (copy_from_user(&p, uarr + 8 * i, 8)) { kfree(tmp); return -EFAULT; }
        if (!p) break;
        int r = strncpy_from_user(tmp, p, 4096);
        if (r < 0) { kfree(tmp); return r == -ENAMETOOLONG ? -E2BIG : r; }
        if ((r = strv_add(v, tmp))) { kfree(tmp); return r; }
    }
    kfree(tmp);
    return 0;
}

/* write into a not-yet-current address space */
static int mm_write(struct mm *mm, u64 va, const void *src, size_t n)
{
    while (n) {
        u64 phys;
        int r = vm_populate(mm, va, &phys);
        if (r) return r;
        size_t off = va & (PAGE_SIZE - 1), c = MIN(n, PAGE_SIZE - off);
        memcpy((u8 *)P2V(phys) + off, src, c);
        va += c; src = (const u8 *)src + c; n -= c;
    }
    return 0;
}

/* A PT_LOAD must lie in user space without wrapping around, have its
 * bytes inside the file, and agree with its file offset within a page
 * (pages are filled from the file at the same in-page offset). */
static bool segment_ok(const Elf64_Phdr *p, u64 bias, u64 file_size)
{
    u64 end = p->p_vaddr + p->p_memsz, fend = p->p_offset + p->p_filesz;
    return p->p_filesz <= p->p_memsz && end >= p->p_vaddr && end + bias >= end &&
           end + bias < USER_TOP && fend >= p->p_offset && fend <= file_size &&
           (p->p_offset - p->p_vaddr) % PAGE_SIZE == 0;
}

static int load_elf(struct inode *ip, struct mm *mm, u64 *entry, u64 *phdr_va, Elf64_Ehdr *eh)
{
    if (ext2_read(ip, eh, 0, sizeof *eh) != sizeof *eh) return -ENOEXEC;
    if (memcmp(eh->e_ident, "\x7f" "ELF", 4) || eh->e_ident[4] != 2 || eh->e_machine != 62 ||
        (eh->e_type != 2 && eh->e_type != 3) || eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum > 64)
        return -ENOEXEC;
    u64 bias = eh->e_type == 3 ? PIE_BIAS : 0;
    Elf64_Phdr *ph = kmalloc(eh->e_phnum * sizeof *ph);
    if (ext2_read(ip, ph, eh->e_phoff, eh->e_phnum * sizeof *ph) != (ssize_t)(eh->e_phnum * sizeof *ph)) { kfree(ph); return -ENOEXEC; }
    u64 brk = 0;
    *phdr_va = 0;
    int r = 0;
    for (int i = 0; i < eh->e_phnum && !r; i++) {
        Elf64_Phdr *p = &ph[i];
        if (p->p_type == 3) { r = -ENOEXEC; break; }  /* PT_INTERP: dynamic, unsupported */
        if (p->p_type == 6) *phdr_va = p->p_vaddr + bias;
        if (p->p_type != 1 || !p->p_memsz) continue;
        if (!segment_ok(p, bias, isize(ip))) { r = -ENOEXEC; break; }
        if (!*phdr_va && p->p_offset <= eh->e_phoff && eh->e_phoff < p->p_offset + p->p_filesz)
            *phdr_va = p->p_vaddr + bias + eh->e_phoff - p->p_offset;
        u64 start = ALIGN_DOWN(p->p_vaddr + bias, PAGE_SIZE), end = ALIGN_UP(p->p_vaddr + bias + p->p_memsz, PAGE_SIZE);
        u32 prot = (p->p_flags & 4 ? PROT_READ : 0) | (p->p_flags & 2 ? PROT_WRITE : 0) | (p->p_flags & 1 ? PROT_EXEC : 0);
        u64 file_end = p->p_vaddr + bias + p->p_filesz;
        struct vma *ov = vma_find(mm, start);
        if (!ov) {
            /* text and data come in on demand from the file; bss is demand-zero */
            if ((r = vma_add_file(mm, start, end, prot, ip, ALIGN_DOWN(p->p_offset, PAGE_SIZE), file_end))) break;
        } else {
            /* shares a page with the previous segment: load it eagerly */
            ov->prot |= prot;
            if (end > ov->end && (r = vma_add(mm, ov->end, end, prot, 0))) break;
            u8 *page = kmalloc(PAGE_SIZE);
            for (u64 done = 0; done < p->p_filesz && !r;) {
                size_t c = MIN(PAGE_SIZE, p->p_filesz - done);
                if (ext2_read(ip, page, p->p_offset + done, c) != (ssize_t)c) r = -EIO;
                else r = mm_write(mm, p->p_vaddr + bias + done, page, c);
                done += c;
            }
            kfree(page);
            if (r) break;
        }
        if (end > brk) brk = end;
    }
    kfree(ph);
    if (r) return r;
    *entry = eh->e_entry + bias;
    mm->brk_start = mm->brk = brk;
    return 0;
}

long do_execve(const char *path, struct strv *argv, struct strv *envp, struct trapframe *tf)
{
    struct inode *ip;
    int r = namei(AT_FDCWD, path, true, &ip);
    if (r) return r;
    if (!S_ISREG(ip->d.mode)) { iput(ip); return -EACCES; }
    if (!(ip->d.mode & 0111)) { iput(ip); return -EACCES; }
    char hb[128];
    ssize_t hn = ext2_read(ip, hb, 0, sizeof hb - 1);
    if (hn > 2 && hb[0] == '#' && hb[1] == '!') {
        /* script: rerun as "interp [arg] path args..." */
        hb[hn] = 0;
        char *nl = strchr(hb, '\n');
        if (nl) *nl = 0;
        char *interp = hb + 2;
        while (*interp == ' ') interp++;
        char *arg = strchr(interp, ' ');
        if (arg) { *arg++ = 0; while (*arg == ' ') arg++; if (!*arg) arg = NULL; }
        iput(ip);
        struct strv *nv = kzalloc(sizeof *nv);
        nv->buf = kmalloc(MAX_ARGBYTES);
        char *ptmp = kmalloc(256);
        strlcpy(ptmp, path, 256);
        r = strv_add(nv, interp);
        if (!r && arg) r = strv_add(nv, arg);
        if (!r) r = strv_add(nv, ptmp);
        for (int i = 1; i < argv->n && !r; i++) r = strv_add(nv, argv->ptr[i]);
        char ibuf[128];
        strlcpy(ibuf, interp, sizeof ibuf);
        if (!r) r = interp[0] ? do_execve(ibuf, nv, envp, tf) : -ENOEXEC;
        kfree(ptmp);
        kfree(nv->buf);
        kfree(nv);
        return r;
    }
    struct mm *mm = mm_create();
    if (!mm) { iput(ip); return -ENOMEM; }
    u64 entry, phdr;
    Elf64_Ehdr eh;
    r = load_elf(ip, mm, &entry, &phdr, &eh);
    iput(ip);
    if (r) { mm_put(mm); return r; }

    /* stack: strings, random bytes, then auxv/envp/argv/argc below */
    r = vma_add(mm, USER_STACK_TOP - USER_STACK_MAX, USER_STACK_TOP, PROT_READ | PROT_WRITE, 0);
    u64 sp = USER_STACK_TOP;
    u64 *uargv = kmalloc(sizeof(u64) * (argv->n + envp->n + 2));
    for (int i = 0; i < argv->n && !r; i++) {
        size_t l = strlen(argv->ptr[i]) + 1;
        sp -= l;
        uargv[i] = sp;
        r = mm_write(mm, sp, argv->ptr[i], l);
    }
    for (int i = 0; i < envp->n && !r; i++) {
        size_t l = strlen(envp->ptr[i]) + 1;
        sp -= l;
        uargv[argv->n + 1 + i] = sp;
        r = mm_write(mm, sp, envp->ptr[i], l);
    }
    u64 execfn = argv->n ? uargv[0] : 0;
    sp &= ~15UL;
    sp -= 16;
    u64 rnd[2] = { rdtsc() * 6364136223846793005UL, rdtsc() ^ 0x9e3779b97f4a7c15UL };
    if (!r) r = mm_write(mm, sp, rnd, 16);
    u64 random_va = sp;
    u64 aux[] = { 3, phdr, 4, sizeof(Elf64_Phdr), 5, eh.e_phnum, 6, PAGE_SIZE, 7, 0, 8, 0,
                  9, entry, 11, 0, 12, 0, 13, 0, 14, 0, 16, 0, 17, 100, 23, 0, 25, random_va,
                  31, execfn, 0, 0 };
    size_t words = 1 + argv->n + 1 + envp->n + 1 + ARRAY_SIZE(aux);
    sp -= words * 8;
    sp &= ~15UL;
    u64 *w = kmalloc(words * 8);
    size_t k = 0;
    w[k++] = argv->n;
    for (int i = 0; i < argv->n; i++) w[k++] = uargv[i];
    w[k++] = 0;
    for (int i = 0; i < envp->n; i++) w[k++] = uargv[argv->n + 1 + i];
    w[k++] = 0;
    for (size_t i = 0; i < ARRAY_SIZE(aux); i++) w[k++] = aux[i];
    if (!r) r = mm_write(mm, sp, w, words * 8);
    kfree(w);
    kfree(uargv);
    if (r) { mm_put(mm); return r; }

    char exe[sizeof cur->exe];
    if (namei_realpath(path, exe, sizeof exe)) strlcpy(exe, path, sizeof exe);

    /* point of no return */
    struct mm *old = cur->mm;
    cur->mm = mm;
    mm_switch(mm);
    mm_put(old);
    if (!cur->vfork_done) { cur->vfork_done = true; wakeup(&cur->vfork_done); }
    files_close_on_exec(cur->files);
    if (cur->sig->refs > 1) {
        struct sighand *s = kmalloc(sizeof *s);
        *s = *cur->sig;
        s->refs = 1;
        cur->sig->refs--;
        cur->sig = s;
    }
    for (int i = 1; i <= NSIG; i++)
        if (cur->sig->act[i].handler != SIG_IGN) cur->sig->act[i] = (struct k_sigaction){ 0, 0, 0, 0 };
    const char *base = path;
    for (const char *c = path; *c; c++) if (*c == '/') base = c + 1;
    strlcpy(cur->name, base, sizeof cur->name);
    strlcpy(cur->exe, exe, sizeof cur->exe);
    cur->fsbase = 0;
    wrmsr(0xc0000100, 0);
    memset(tf, 0, sizeof *tf);
    tf->rip = entry;
    tf->rsp = sp;
    tf->cs = UCODE_SEL;
    tf->ss = UDATA_SEL;
    tf->rflags = 0x202;
    /* fresh FPU state */
    memset(cur->fx, 0, sizeof cur->fx);
    *(u16 *)&cur->fx[0] = 0x37f;
    *(u32 *)&cur->fx[24] = 0x1f80;
    __asm__ volatile("fxrstor64 %0" ::"m"(cur->fx));
    return 0;
}

long execve_from_user(u64 upath, u64 uargv, u64 uenvp, struct trapframe *tf)
{
    char *path = kmalloc(4096);
    int r = strncpy_from_user(path, upath, 4096);
    struct strv *a = kzalloc(sizeof *a), *e = kzalloc(sizeof *e);
    a->buf = kmalloc(MAX_ARGBYTES);
    e->buf = kmalloc(MAX_ARGBYTES);
    if (r >= 0) r = strv_from_user(a, uargv);
    if (r >= 0) r = strv_from_user(e, uenvp);
    if (r >= 0) r = do_execve(path, a, e, tf);
    kfree(a->buf); kfree(e->buf); kfree(a); kfree(e); kfree(path);
    return r;
}

/* Used by init: exec with kernel-space argument vectors. */
long kernel_execve(const char *path, char *const argv[], char *const envp[], struct trapframe *tf)
{
    struct strv *a = kzalloc(sizeof *a), *e = kzalloc(sizeof *e);
    a->buf = kmalloc(MAX_ARGBYTES);
    e->buf = kmalloc(MAX_ARGBYTES);
    for (int i = 0; argv[i]; i++) strv_add(a, argv[i]);
    for (int i = 0; envp[i]; i++) strv_add(e, envp[i]);
    long r = do_execve(path, a, e, tf);
    kfree(a->buf); kfree(e->buf); kfree(a); kfree(e);
    return r;
}
