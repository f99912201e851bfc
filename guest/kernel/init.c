/* The first process: attach devices, mount the ext2 root, then exec /init
 * (or init= from the cmdline; words after "--" are its arguments, with
 * "double quotes" grouping). `osbox vm run` also passes the environment
 * (osbox.env=, repeatable) and the working directory (osbox.cwd=); a name
 * without "/" is looked up in PATH; if init cannot run, the VM ends with
 * 127 (not found) or 126 (not runnable), as a shell would. */
#include "kernel.h"
#include "boot.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "blk.h"
#include "tty.h"
#include "errno.h"
#include "syscall.h"


static void uart_handler(void *arg) { (void)arg; uart_irq(); }

static int split_args(char *s, char **argv, int max)
{
    int n = 0;
    while (*s && n < max - 1) {
        while (*s == ' ') s++;
        if (!*s) break;
        char *out = s;
        argv[n++] = out;
        bool q = false;
        for (; *s && (q || *s != ' '); s++) {
            if (*s == '"') { q = !q; continue; }
            *out++ = *s;
        }
        if (*s) s++;
        *out = 0;
    }
    argv[n] = NULL;
    return n;
}

/* The next "key=value" at or after p and before " -- "; "double quotes" in a
 * value group words. Copies the value into val; returns where to go on, or
 * NULL when there is no more. key NULL: find where init's arguments start. */
static const char *cmdline_each(const char *p, const char *key, char *val, size_t n)
{
    size_t kl = key ? strlen(key) : 0;
    while (*p) {
        while (*p == ' ') p++;
        if (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || !p[2]))
            return key ? NULL : p + 2;
        bool match = key && !strncmp(p, key, kl) && p[kl] == '=';
        size_t o = 0;
        bool q = false;
        if (match) p += kl + 1;
        for (; *p && (q || *p != ' '); p++) {
            if (*p == '"') { q = !q; continue; }
            if (match && o + 1 < n) val[o++] = *p;
        }
        if (match) { val[o] = 0; return p; }
    }
    return NULL;
}

/* mkdir -p, then make it init's working directory (as `osbox run` does). */
static int init_chdir(const char *dir)
{
    static char part[256];
    struct inode *ip = NULL;
    int r = 0;
    if (dir[0] != '/') return -EINVAL;
    for (size_t i = 1; ; i++) {
        if (dir[i] != '/' && dir[i]) continue;
        if (i >= sizeof part) return -ENAMETOOLONG;
        memcpy(part, dir, i);
        part[i] = 0;
        r = namei(AT_FDCWD, part, true, &ip);
        if (r == -ENOENT) {
            struct inode *parent;
            char name[256];
            r = nameiparent(AT_FDCWD, part, &parent, name);
            if (!r) { r = ext2_create(parent, name, S_IFDIR | 0755, &ip); iput(parent); }
        }
        if (r) return r;
        if (!S_ISDIR(ip->d.mode)) { iput(ip); return -ENOTDIR; }
        if (!dir[i] || !dir[i + 1]) break;
        iput(ip);
    }
    iput(cur->cwd);
    cur->cwd = ip;
    strlcpy(cur->cwd_path, dir, sizeof cur->cwd_path);
    return 0;
}

/* execve, or execvp for a name without "/" (PATH from envp, else the default). */
static long exec_init(const char *name, char *const argv[], char *const envp[])
{
    static char full[512];
    const char *path = "/bin:/sbin:/usr/bin:/usr/sbin";
    long r, err = -ENOENT;
    if (strchr(name, '/')) return kernel_execve(name, argv, envp, cur->tf);
    for (int i = 0; envp[i]; i++)
        if (!strncmp(envp[i], "PATH=", 5)) path = envp[i] + 5;
    for (const char *p = path; ; p++) {
        const char *e = strchr(p, ':');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l + strlen(name) + 2 <= sizeof full) {
            memcpy(full, p, l);
            full[l] = '/';
            strlcpy(full + l + 1, name, sizeof full - l - 1);
            r = kernel_execve(l ? full : name, argv, envp, cur->tf);
            if (r == 0) return 0;
            if (r != -ENOENT && r != -ENOTDIR) err = r;   /* e.g. EACCES: keep looking */
        }
        if (!e) break;
        p = e;
    }
    return err;
}

static void init_fail(const char *what, const char *path, long r)
{
    console_loud();
    printk("osbox-guest: %s %s (%ld)\n", what, path, r);
    bcache_sync();
    machine_exit(r == -ENOENT || r == -ENOTDIR ? 127 : 126);
}

void init_start(void *arg)
{
    (void)arg;
    bool dbg = cmdline_get("osbox.debug") != NULL;
    if (dbg) printk("osbox-guest: [%lu us] init thread\n", time_ns() / 1000);
    irq_register(OSBOX_COM1_IRQ, uart_handler, NULL);
    uart_enable_rx_irq();
    uart_irq();     /* input that arrived before the IRQ was on */
    virtio_probe();
    strace_on = cmdline_get("osbox.strace") != NULL;
    if (dbg) printk("osbox-guest: [%lu us] devices probed\n", time_ns() / 1000);
    int r = ext2_mount();
    if (dbg) printk("osbox-guest: [%lu us] root mounted\n", time_ns() / 1000);
    if (r) panic("cannot mount the root file system (%d)", r);

    cur->files = files_new();
    rlimits_default(cur->rlim);
    cur->sig = kzalloc(sizeof *cur->sig);
    cur->sig->refs = 1;
    cur->cwd = idup(root_inode);
    strlcpy(cur->cwd_path, "/", sizeof cur->cwd_path);
    for (int i = 0; i < 3; i++) {
        struct file *f = file_alloc(FT_CONSOLE, O_RDWR);
        fd_assign(i, f, false);
    }

    static char args[1024];
    static char *argv[64];
    const char *dd = cmdline_each(boot_cmdline, NULL, NULL, 0);
    int argc = 1;
    if (dd) argc = 1 + split_args(strcpy_kernel(args, dd, sizeof args), argv + 1, 62);
    argv[argc] = NULL;
    static char path[256];
    if (!cmdline_each(boot_cmdline, "init", path, sizeof path))
        strlcpy(path, "/init", sizeof path);
    argv[0] = path;
    static char envbuf[1024];
    static char *envp[64] = { "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", NULL };
    size_t used = 0;
    int envc = 0;
    for (const char *p = boot_cmdline; envc < 63 && used < sizeof envbuf &&
         (p = cmdline_each(p, "osbox.env", envbuf + used, sizeof envbuf - used));) {
        envp[envc++] = envbuf + used;   /* any osbox.env= replaces the defaults */
        envp[envc] = NULL;
        used += strlen(envbuf + used) + 1;
    }
    static char cwd[256];
    if (cmdline_each(boot_cmdline, "osbox.cwd", cwd, sizeof cwd) && (r = init_chdir(cwd)))
        init_fail("cannot use working directory", cwd, r);
    outl(OSBOX_BOOT_PORT, OSBOX_BOOT_INIT_EXEC);
    r = exec_init(path, argv, envp);
    if (dbg) printk("osbox-guest: [%lu us] init loaded (block cache: %lu hits, %lu misses)\n", time_ns() / 1000, bcache_hits, bcache_misses);
    if (r) init_fail("cannot run init", path, r);
    power_button_init();    /* once there is an init to ask */
    enter_user(cur->tf);
}
