/* The console line discipline: canonical input with echo, backspace and ^D. */
#include "kernel.h"
#include "fs.h"
#include "proc.h"
#include "tty.h"
#include "errno.h"

#define TTY_BUF 1024
static char line[TTY_BUF];
static u32 llen;            /* bytes in the line being edited */
static char ready[TTY_BUF];
static u32 rhead, rtail;    /* completed input (free-running) */
static int eof_pending;

void tty_input(char c)
{
    if (c == '\r') c = '\n';
    if (c == 0x7f || c == '\b') {
        if (llen) { llen--; console_write("\b \b", 3); }
        return;
    }
    if (c == 0x04) {        /* ^D: hand over what is there, or EOF */
        if (!llen) eof_pending++;
    } else {
        if (llen < TTY_BUF - 1) line[llen++] = c;
        console_write(&c, 1);
        if (c != '\n') return;
    }
    for (u32 i = 0; i < llen && rtail - rhead < TTY_BUF; i++) ready[rtail++ % TTY_BUF] = line[i];
    llen = 0;
    wakeup(&rhead);
}

int tty_readable(void) { return rhead != rtail || eof_pending; }

ssize_t tty_read(void *buf, size_t n)
{
    while (rhead == rtail) {
        if (eof_pending) { eof_pending--; return 0; }
        sleep_on(&rhead);
        if (signal_pending(cur)) return -EINTR;
    }
    size_t done = 0;
    while (done < n && rhead != rtail) {
        char c = ready[rhead++ % TTY_BUF];
        ((char *)buf)[done++] = c;
        if (c == '\n') break;
    }
    return done;
}
