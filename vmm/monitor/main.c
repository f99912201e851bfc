/* osbox-vmm: the KVM monitor as its own small, statically linked program.
 * `osbox vm boot|run` fork+execs it with everything inherited (launch.h):
 * the launch message on fd 3, the result pipe on fd 4, the kernel, initrd,
 * disks and TAP as fds. It runs vmm_run() and reports how the VM ended. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "vmm/launch.h"

static const char usage[] =
    "Usage: osbox-vmm   (started by 'osbox vm boot' and 'osbox vm run')\n"
    "\n"
    "osbox's KVM monitor. It reads a launch message on fd 3 (see vmm/launch.h),\n"
    "runs the VM it describes with the fds it inherited, and writes the outcome\n"
    "on fd 4. Exit status: the VM's, as 'osbox vm boot' documents it; 125 when\n"
    "the launch message is bad or the VM could not be set up.\n";

struct image {
    void *p;
    size_t len;
    int fd;
};

static struct image kernel = { .fd = -1 }, initrd = { .fd = -1 };

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "osbox: vm: %s\n", msg);
}

/* The images are in guest RAM now: their pages need not stay resident. */
static void images_loaded(void *ctx)
{
    (void)ctx;
    struct image *all[] = { &kernel, &initrd };
    for (size_t i = 0; i < 2; i++) {
        if (all[i]->len)
            munmap(all[i]->p, all[i]->len);
        if (all[i]->fd >= 0)
            close(all[i]->fd);
        all[i]->len = 0;
        all[i]->fd = -1;
    }
}

static int map_image(int fd, const char *what, struct image *im, struct osbox_err *err)
{
    static const char empty[1];
    struct stat st;

    im->fd = fd;
    if (fstat(fd, &st) < 0)
        return osbox_error(err, errno, "%s (fd %d)", what, fd);
    if (!S_ISREG(st.st_mode))
        return osbox_error(err, 0, "%s (fd %d) is not a file", what, fd);
    im->len = (size_t)st.st_size;
    if (!im->len) {
        im->p = (void *)empty; /* an empty initrd is still a module */
        return 0;
    }
    im->p = mmap(NULL, im->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (im->p == MAP_FAILED) {
        im->len = 0;
        return osbox_error(err, errno, "map the %s", what);
    }
    return 0;
}

/* The whole message, up to EOF; more than the largest valid one is refused
 * by vmm_launch_decode() (it sees the extra byte). */
static int read_launch(void **buf, size_t *len, struct osbox_err *err)
{
    size_t cap = sizeof(struct vmm_launch) + VMM_LAUNCH_CMDLINE_MAX + 2, got = 0;
    char *b = malloc(cap);

    if (!b)
        return osbox_error(err, ENOMEM, "launch message");
    while (got < cap) {
        ssize_t r = read(VMM_LAUNCH_FD, b + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            return osbox_error(err, errno, "read the launch message on fd %d", VMM_LAUNCH_FD);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *buf = b;
    *len = got;
    return 0;
}

static int setup(struct vmm_config *cfg, struct vmm_net *net, struct osbox_err *err)
{
    struct vmm_launch_fds fds;
    void *msg = NULL;
    size_t len = 0;

    /* msg stays allocated: cfg's strings point into it. */
    if (read_launch(&msg, &len, err) < 0 || vmm_launch_decode(msg, len, cfg, net, &fds, err) < 0) {
        osbox_error_prefix(err, "osbox-vmm");
        return -1;
    }
    if (map_image(fds.kernel, "kernel", &kernel, err) < 0 ||
        (fds.initrd >= 0 && map_image(fds.initrd, "initrd", &initrd, err) < 0))
        return -1;
    cfg->kernel = kernel.p;
    cfg->kernel_len = kernel.len;
    if (fds.initrd >= 0) {
        cfg->initrd = initrd.p;
        cfg->initrd_len = initrd.len;
    }
    cfg->log = log_line;
    cfg->loaded = images_loaded;
    return 0;
}

int main(int argc, char **argv)
{
    static struct vmm_outcome o = { .magic = VMM_OUTCOME_MAGIC, .version = VMM_LAUNCH_VERSION };
    struct vmm_config cfg;
    struct vmm_net net;
    struct stat st;
    sigset_t stopsigs;

    if (argc > 1) {
        bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : OSBOX_EXIT_USAGE;
    }
    /* Blocked (as the CLI already left them) and ignored: vmm_run's
     * signalfd takes them while the VM runs, none is delivered after. */
    sigemptyset(&stopsigs);
    sigaddset(&stopsigs, SIGINT);
    sigaddset(&stopsigs, SIGTERM);
    sigaddset(&stopsigs, SIGHUP);
    sigaddset(&stopsigs, SIGUSR2); /* the power button, not a stop */
    sigprocmask(SIG_BLOCK, &stopsigs, NULL);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);

    o.rc = setup(&cfg, &net, &o.err);
    if (o.rc == 0)
        o.rc = vmm_run(&cfg, &o.res, &o.err);
    /* The result goes to the CLI; run by hand (no pipe on fd 4), to stderr. */
    if (fstat(VMM_RESULT_FD, &st) < 0 || !S_ISFIFO(st.st_mode) ||
        osbox_write_all(VMM_RESULT_FD, &o, sizeof o) < 0) {
        if (o.rc < 0)
            fprintf(stderr, "osbox-vmm: %s\n", o.err.msg);
        else if (o.res.detail[0])
            fprintf(stderr, "osbox-vmm: vm: %s\n", o.res.detail);
    }
    return o.rc < 0 ? OSBOX_EXIT_FAILED : o.res.exit_status;
}
