/* Small helpers shared by every osbox library: paths, files, parsing. */
#ifndef OSBOX_UTIL_H
#define OSBOX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "osbox_err.h"

/* State roots: $OSBOX_ROOT (default /var/lib/osbox) holds images and
 * containers; $OSBOX_RUN (default /run/osbox) holds live state. */
const char *osbox_root_dir(void);
const char *osbox_run_dir(void);

/* "512", "64k", "32m", "1g", "1.5G", "100MB" -> bytes. Rejects junk, negatives, overflow. */
int osbox_parse_size(const char *s, uint64_t *out, struct osbox_err *err);
/* Strict decimal integer in [min, max]. */
int osbox_parse_int(const char *s, long long min, long long max, long long *out,
                    struct osbox_err *err);
/* "TERM", "SIGTERM", "sigterm" or "15" (signal_name.c); -1 unknown. */
int osbox_parse_signal(const char *s);

int osbox_mkdir_p(const char *path, mode_t mode, struct osbox_err *err);
/* Remove a tree without crossing mount points; missing path is success. */
int osbox_rm_rf(const char *path, struct osbox_err *err);

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int osbox_read_file(const char *path, char **out, size_t *len, struct osbox_err *err);
/* Write a file (no temp). */
int osbox_write_file(const char *path, const void *buf, size_t len, mode_t mode,
                     struct osbox_err *err);
/* Write via temp + fsync + rename + fsync(dir): readers see old or new, never half. */
/* write(2) all of buf, retrying short writes and EINTR: 0, or -1 with errno */
int osbox_write_all(int fd, const void *buf, size_t len);
int osbox_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                            struct osbox_err *err);

/* 64 lowercase hex characters from getrandom(), NUL-terminated (65 bytes). */
int osbox_random_id(char out[65], struct osbox_err *err);
/* s is lowercase hex ([0-9a-f], as ids and sha256 digests are written),
 * non-empty, and exactly len characters long unless len is 0. */
bool osbox_is_hex(const char *s, size_t len);

/* The time now in RFC 3339, UTC, with nanoseconds, as container records,
 * logs, OCI state and image configs write it ("2026-11-24T09:16:03.123456789Z"). */
#define OSBOX_RFC3339_LEN 30
void osbox_rfc3339_now(char out[OSBOX_RFC3339_LEN + 1]);
/* The same for ns since the epoch (CLOCK_REALTIME). */
void osbox_rfc3339_at(int64_t ns, char out[OSBOX_RFC3339_LEN + 1]);

/* asprintf that aborts on ENOMEM (allocation failure is not recoverable here). */
char *osbox_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *osbox_xstrdup(const char *s);
void *osbox_xcalloc(size_t n, size_t size);

/* NULL-terminated string vectors. */
size_t osbox_strv_len(char *const *v);
char **osbox_strv_dup(char *const *v);
void osbox_strv_free(char **v);
/* Append a copy of s, growing the vector. */
void osbox_strv_push(char ***v, const char *s);

#endif
