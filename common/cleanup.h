/* Scope-bound cleanup helpers: a variable declared with one of these is
 * released when it goes out of scope, on every return path. */
#ifndef OSBOX_CLEANUP_H
#define OSBOX_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void osbox_freep(void *p) { free(*(void **)p); }
static inline void osbox_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void osbox_fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_free_ __attribute__((cleanup(osbox_freep)))
#define _cleanup_close_ __attribute__((cleanup(osbox_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(osbox_fclosep)))

/* Hand ownership out of a cleanup-scoped variable. */
#define OSBOX_STEAL(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define OSBOX_STEAL_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#endif
