/* The caller's terminal under -t: raw while the container runs (so keys,
 * ^C included, reach the container's pty), restored on every way out. */
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/core/internal.h"

void host_tty_make_raw(struct host_tty *t)
{
    struct termios raw;

    if (t->raw || !isatty(0) || tcgetattr(0, &t->saved) < 0)
        return;
    raw = t->saved;
    /* Fully raw: the container's pty already does the output processing. */
    cfmakeraw(&raw);
    if (tcsetattr(0, TCSADRAIN, &raw) == 0)
        t->raw = true;
}

void host_tty_restore(struct host_tty *t)
{
    if (!t->raw)
        return;
    tcsetattr(0, TCSADRAIN, &t->saved);
    t->raw = false;
}

void host_tty_copy_winsize(int master)
{
    struct winsize ws;
    int fd = isatty(0) ? 0 : isatty(1) ? 1 : -1;

    if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}
