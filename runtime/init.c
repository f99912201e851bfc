/* PID 1 of the container: the cloned child itself (never a re-exec of a
 * binary the container could reach). It forks the command, passes signals
 * on, reaps every zombie (orphans are re-parented to it) and exits with the
 * command's status, 128+N when the command was killed by signal N. Leaving
 * kills whatever else is still running in the pid namespace. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"

void init_main(struct exec_ctx *x)
{
    sigset_t set;
    pid_t cmd;
    int status = 0;
    siginfo_t si;

    runtime_forward_sigset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        signal(runtime_forwarded_signals[i], SIG_DFL);

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
    if (x->pty_slave >= 0)
        close(x->pty_slave);

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
