/* The first process: attach devices, mount the ext2 root, then exec /init
 * (or init= from the cmdline; words after "--" are its arguments, with
 * "double quotes" grouping). */
#include "kernel.h"
#include "boot.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "blk.h"
#include "tty.h"
#include "errno.h"

long kernel_execve(const char *path, char *const argv[], char *const envp[], struct trapframe *tf);

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

void init_start(void *arg)
{
    (void)arg;
    bool dbg = cmdline_get("osbox.debug") != NULL;
    if (dbg) printk("osbox-guest: [%lu us] init thread\n", time_ns() / 1000);
    irq_register(OSBOX_COM1_IRQ, uart_handler, NULL);
    uart_enable_rx_irq();
    uart_irq();     /* input that arrived before the IRQ was on */
    virtio_probe();
    extern bool strace_on;
    strace_on = cmdline_get("osbox.strace") != NULL;
    if (dbg) printk("osbox-guest: [%lu us] devices probed\n", time_ns() / 1000);
    int r = ext2_mount();
    if (dbg) printk("osbox-guest: [%lu us] root mounted\n", time_ns() / 1000);
    if (r) panic("cannot mount the root file system (%d)", r);

    cur->files = kzalloc(sizeof *cur->files);
    cur->files->refs = 1;
    cur->sig = kzalloc(sizeof *cur->sig);
    cur->sig->refs = 1;
    cur->cwd = idup(root_inode);
    strlcpy(cur->cwd_path, "/", sizeof cur->cwd_path);
    for (int i = 0; i < 3; i++) {
        struct file *f = file_alloc(FT_CONSOLE, O_RDWR);
        cur->files->fd[i] = f;
    }

    static char args[1024];
    static char *argv[64];
    const char *dd = strstr_kernel(boot_cmdline, " -- ");
    int argc = 1;
    if (dd) argc = 1 + split_args(strcpy_kernel(args, dd + 4, sizeof args), argv + 1, 62);
    argv[argc] = NULL;
    const char *initp = cmdline_get("init");
    static char path[256];
    strlcpy(path, initp ? initp : "/init", sizeof path);
    argv[0] = path;
    char *envp[] = { "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", NULL };
    outl(OSBOX_BOOT_PORT, OSBOX_BOOT_INIT_EXEC);
    r = kernel_execve(path, argv, envp, cur->tf);
    extern u64 bcache_misses, bcache_hits;
    if (dbg) printk("osbox-guest: [%lu us] init loaded (block cache: %lu hits, %lu misses)\n", time_ns() / 1000, bcache_hits, bcache_misses);
    if (r) panic("cannot run init %s (%d)", path, r);
    enter_user(cur->tf);
}
