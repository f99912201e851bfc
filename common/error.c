#include "osbox_err.h"

#include <stdio.h>
#include <string.h>

/* Messages often quote what a user or a server sent (a reference, a media
 * type, a registry's error text): control characters become '?' so an error
 * stays one line and cannot carry terminal escapes. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

int osbox_error(struct osbox_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->errnum = errnum;
    if (errnum) {
        n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
    }
    printable(err->msg);
    return -1;
}

int osbox_error_prefix(struct osbox_err *err, const char *fmt, ...)
{
    char prefix[512], old[sizeof err->msg];
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t n;

    memcpy(old, err->msg, sizeof old);
    /* Built piecewise: truncation of a long message is acceptable here. */
    n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 3);
    strncat(err->msg, old, sizeof err->msg - n - 3);
    printable(err->msg);
    return -1;
}

int osbox_err_exit_status(const struct osbox_err *err)
{
    return err && err->exit_status ? err->exit_status : OSBOX_EXIT_FAILED;
}
