/* The one error channel of osbox.
 *
 * A fallible function returns int (< 0 on failure) and fills a struct osbox_err
 * with the errno it saw and a message carrying context, e.g.
 *   "mount overlay on /x: Invalid argument".
 * Libraries never print and never exit; the CLI prints "osbox: <msg>" once. */
#ifndef OSBOX_ERR_H
#define OSBOX_ERR_H

#include <stdarg.h>

/* Exit codes, Docker-compatible for `osbox run`. */
enum {
    OSBOX_EXIT_FAILED = 125,        /* osbox itself failed */
    OSBOX_EXIT_NOT_EXECUTABLE = 126,/* the command exists but cannot run */
    OSBOX_EXIT_NOT_FOUND = 127,     /* the command was not found */
    OSBOX_EXIT_USAGE = 2,           /* bad command line outside `run` */
};

struct osbox_err {
    int errnum;      /* errno behind the failure, 0 if none */
    int exit_status; /* exit code the CLI should use; 0 means OSBOX_EXIT_FAILED */
    char msg[1024];
};

/* Fill err with a formatted message; when errnum != 0 append ": strerror(errnum)".
 * Always returns -1 so callers can `return osbox_error(err, errno, "...")`. */
int osbox_error(struct osbox_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message: "context: old message". Returns -1. */
int osbox_error_prefix(struct osbox_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit status the CLI should return for this error. */
int osbox_err_exit_status(const struct osbox_err *err);

static inline void osbox_err_clear(struct osbox_err *err) {
    err->errnum = 0;
    err->exit_status = 0;
    err->msg[0] = '\0';
}

#endif
