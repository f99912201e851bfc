/* The caller's terminal while a VM runs on it: raw, so every key reaches the
 * guest's UART (Ctrl-A x stops the VM, serial8250.c), restored afterwards. */
#include <termios.h>
#include <unistd.h>

#include "internal.h"

bool vm_console_raw(int fd, struct termios *saved)
{
    struct termios t;

    if (fd < 0 || !isatty(fd) || tcgetattr(fd, saved) < 0)
        return false;
    t = *saved;
    /* Output keeps \n -> \r\n; input is passed on byte by byte. */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    return tcsetattr(fd, TCSANOW, &t) == 0;
}

void vm_console_restore(int fd, const struct termios *saved)
{
    tcsetattr(fd, TCSANOW, saved);
}
