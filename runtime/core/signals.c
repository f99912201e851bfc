/* The signals osbox passes on: from the caller to the container's init, and
 * from the init to the command. SIGWINCH reaches a -t command through the pty. */
#include <signal.h>

#include "runtime/core/internal.h"

const int runtime_forwarded_signals[] = {
    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, 0,
};

void runtime_forward_sigset(sigset_t *set)
{
    sigemptyset(set);
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        sigaddset(set, runtime_forwarded_signals[i]);
}

void runtime_block_signals(void)
{
    sigset_t set;

    runtime_forward_sigset(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /* An ignored signal is dropped before signalfd or sigwaitinfo could see
     * it (shells ignore SIGINT/SIGQUIT in background jobs): take them back. */
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        signal(runtime_forwarded_signals[i], SIG_DFL);
}
