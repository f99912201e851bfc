/* The default profile, compiled once per capability set and libseccomp:
 * building it with libseccomp takes ~20 ms (350 rules on three arches),
 * loading the cached BPF from $OSBOX_RUN/seccomp/ takes microseconds. The
 * file name carries a fingerprint of the profile's tables, so a changed
 * profile never meets a stale program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/security/security.h"
#include "util.h"

static int load(const char *path, struct osbox_seccomp **out)
{
    struct osbox_err ignored;
    char *buf = NULL;
    size_t len = 0;
    struct osbox_seccomp *s;

    if (osbox_read_file(path, &buf, &len, &ignored) < 0)
        return -1;
    if (!len || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(buf);
        return -1;
    }
    s = osbox_xcalloc(1, sizeof *s);
    s->prog.len = (unsigned short)(len / sizeof(struct sock_filter));
    s->prog.filter = (struct sock_filter *)buf;
    *out = s;
    return 0;
}

int syscall_filter_default_cached(uint64_t caps, struct osbox_seccomp **out, struct osbox_err *err)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/seccomp", osbox_run_dir());
    _cleanup_free_ char *path = osbox_strdup_printf("%s/default-%016llx.bpf", dir,
                                                    (unsigned long long)syscall_filter_default_fingerprint(caps));
    struct osbox_err ignored;

    if (load(path, out) == 0)
        return 0;
    if (syscall_filter_build_default(caps, out, err) < 0)
        return -1;
    /* Best effort: without the cache the next run just builds again. */
    if (osbox_mkdir_p(dir, 0700, &ignored) == 0)
        osbox_write_file_atomic(path, (*out)->prog.filter,
                                (*out)->prog.len * sizeof(struct sock_filter), 0600, &ignored);
    return 0;
}
