/* What the default seccomp filter costs, measured in one process without a
 * container around it (bench/security.sh prints it): building it with
 * libseccomp (what the cache saves), the kernel accepting it (paid by every
 * container start), and one getpid() before and after (paid per system call).
 * Each figure is the best of several tries, in a fresh child each time. */
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/security/security.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static double getpid_ns(void)
{
    double best = 1e12;
    for (int r = 0; r < 5; r++) {
        double t0 = now_ns();
        for (int i = 0; i < 200000; i++)
            syscall(SYS_getpid);
        double d = (now_ns() - t0) / 200000;
        if (d < best)
            best = d;
    }
    return best;
}

int main(void)
{
    struct osbox_seccomp *f = NULL;
    struct osbox_err err;
    double build = 1e12, load = 1e12, before = 1e12, after = 1e12;
    int p[2];

    for (int i = 0; i < 3; i++) {
        double t0 = now_ns();
        if (syscall_filter_build_default(caps_docker_default(), &f, &err) < 0) {
            fprintf(stderr, "filter_cost: %s\n", err.msg);
            return 1;
        }
        double d = now_ns() - t0;
        if (d < build)
            build = d;
        if (i < 2)
            syscall_filter_free(f);
    }
    for (int i = 0; i < 7; i++) {
        double r[3];
        if (pipe(p) < 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            r[0] = getpid_ns();
            double t0 = now_ns();
            if (syscall_filter_install(f, &err) < 0)
                _exit(1);
            r[1] = now_ns() - t0;
            r[2] = getpid_ns();
            _exit(write(p[1], r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
        }
        close(p[1]);
        if (read(p[0], r, sizeof r) == (ssize_t)sizeof r) {
            if (r[0] < before) before = r[0];
            if (r[1] < load) load = r[1];
            if (r[2] < after) after = r[2];
        }
        close(p[0]);
        waitpid(pid, NULL, 0);
    }
    printf("filter: %u BPF instructions; build with libseccomp %.2f ms (cached after the first "
           "run); kernel load %.3f ms\n", f->prog.len, build / 1e6, load / 1e6);
    printf("getpid(): %.1f ns without the filter, %.1f ns with it (+%.1f ns)\n", before, after,
           after - before);
    syscall_filter_free(f);
    return 0;
}
