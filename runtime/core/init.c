/* PID 1 of the container: the cloned child itself (never a re-exec of a
 * binary the container could reach). It forks the command, passes signals
 * on, reaps every zombie (orphans are re-parented to it) and exits with the
 * command's status, 128+N when the command was killed by signal N. Leaving
 * kills whatever else is still running in the pid namespace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/core/internal.h"

/* We are a fork of osbox: /proc/1/cmdline would show the container the
 * host's command line (binary path, -e values...). Overwrite our copy of it,
 * and of the environment, in place. The last byte of the argument area is
 * left non-NUL so the kernel reports only up to the first NUL. */
static void hide_host_command_line(void)
{
    unsigned long arg[2], env[2];
    char buf[1024], *p;
    FILE *f = fopen("/proc/self/stat", "re");

    if (!f)
        return;
    p = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!p || !(p = strrchr(buf, ')')))
        return;
    /* Fields 48-51: arg_start arg_end env_start env_end. p is at the ")"
     * ending field 2; each step lands on the space before the next field. */
    for (int field = 3; field <= 48 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p, " %lu %lu %lu %lu", &arg[0], &arg[1], &env[0], &env[1]) != 4)
        return;
    if (env[1] > env[0])
        memset((void *)env[0], 0, env[1] - env[0]);
    if (arg[1] > arg[0] + sizeof "osbox-init") {
        memset((void *)arg[0], 0, arg[1] - arg[0]);
        memcpy((void *)arg[0], "osbox-init", sizeof "osbox-init");
        ((char *)arg[1])[-1] = ' ';
    }
}

void init_main(struct exec_ctx *x)
{
    sigset_t set;
    pid_t cmd;
    int status = 0;
    siginfo_t si;

    hide_host_command_line();
    runtime_forward_sigset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        signal(runtime_forwarded_signals[i], SIG_DFL);

    startup_trace_begin(TRACE_FORK);
    cmd = fork();
    if (cmd < 0) {
        struct osbox_err err;
        osbox_error(&err, errno, "fork the command");
        err.exit_status = OSBOX_EXIT_FAILED;
        sync_send_error(x->sock, &err);
        _exit(OSBOX_EXIT_FAILED);
    }
    if (cmd == 0)
        exec_command(x);
    /* The parent sees EOF once the command has exec'd. */
    close(x->sock);
    if (x->pty_slave >= 0) {
        /* The command has the pty; our copies of the caller's stdio would
         * only keep its pipes open (an engine waits for their EOF). */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; null >= 0 && fd < 3; fd++)
            dup2(null, fd);
        if (null > 2)
            close(null);
        close(x->pty_slave);
    }

    for (;;) {
        if (sigwaitinfo(&set, &si) < 0)
            continue;
        if (si.si_signo != SIGCHLD) {
            kill(cmd, si.si_signo);
            continue;
        }
        for (;;) {
            int st;
            pid_t p = waitpid(-1, &st, WNOHANG);
            if (p <= 0)
                break;
            if (p != cmd)
                continue;
            if (WIFEXITED(st))
                status = WEXITSTATUS(st);
            else if (WIFSIGNALED(st))
                status = 128 + WTERMSIG(st);
            _exit(status);
        }
    }
}
