#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A non-root user (rootless osbox) keeps its own store and live state:
 * ~/.local/share/osbox (or $XDG_DATA_HOME/osbox) and $XDG_RUNTIME_DIR/osbox
 * (else /tmp/osbox-UID). */
static const char *user_dir(const char *xdg, const char *home_sub, const char *fallback)
{
    static char buf[2][4096];
    const char *x = getenv(xdg), *home = getenv("HOME");
    char *b = buf[home_sub ? 0 : 1];

    if (x && *x == '/')
        snprintf(b, sizeof buf[0], "%s/osbox", x);
    else if (home_sub && home && *home == '/')
        snprintf(b, sizeof buf[0], "%s/%s/osbox", home, home_sub);
    else
        snprintf(b, sizeof buf[0], "%s-%u", fallback, (unsigned)getuid());
    return b;
}

const char *osbox_root_dir(void)
{
    const char *e = getenv("OSBOX_ROOT");
    if (e && *e)
        return e;
    return getuid() ? user_dir("XDG_DATA_HOME", ".local/share", "/tmp/osbox-data")
                    : "/var/lib/osbox";
}

const char *osbox_run_dir(void)
{
    const char *e = getenv("OSBOX_RUN");
    if (e && *e)
        return e;
    return getuid() ? user_dir("XDG_RUNTIME_DIR", NULL, "/tmp/osbox-run") : "/run/osbox";
}

int osbox_parse_size(const char *s, uint64_t *out, struct osbox_err *err)
{
    char *end;
    double v;
    uint64_t mult = 1;

    if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
        return osbox_error(err, 0, "invalid size '%s'", s ? s : "");
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return osbox_error(err, 0, "invalid size '%s'", s);
    switch (tolower((unsigned char)*end)) {
    case '\0': break;
    case 'b': mult = 1; end++; break;
    case 'k': mult = 1ULL << 10; end++; break;
    case 'm': mult = 1ULL << 20; end++; break;
    case 'g': mult = 1ULL << 30; end++; break;
    case 't': mult = 1ULL << 40; end++; break;
    default: return osbox_error(err, 0, "invalid size '%s': unknown unit", s);
    }
    /* Allow a trailing "b"/"B" after a multiplier, as in "100MB". */
    if (mult > 1 && (*end == 'b' || *end == 'B'))
        end++;
    if (*end)
        return osbox_error(err, 0, "invalid size '%s': unknown unit", s);
    if (v * (double)mult >= 18446744073709551615.0)
        return osbox_error(err, 0, "invalid size '%s': too large", s);
    *out = (uint64_t)(v * (double)mult);
    return 0;
}

int osbox_parse_int(const char *s, long long min, long long max, long long *out,
                    struct osbox_err *err)
{
    char *end;
    long long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return osbox_error(err, 0, "invalid number '%s'", s ? s : "");
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return osbox_error(err, 0, "invalid number '%s'", s);
    if (v < min || v > max)
        return osbox_error(err, 0, "number %s out of range [%lld, %lld]", s, min, max);
    *out = v;
    return 0;
}

int osbox_mkdir_p(const char *path, mode_t mode, struct osbox_err *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof buf)
        return osbox_error(err, ENAMETOOLONG, "mkdir %s", path);
    /* Usually only the last component is missing (or none): one call. */
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return osbox_error(err, errno, "mkdir %s", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return osbox_error(err, errno, "mkdir %s", buf);
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return osbox_error(err, errno, "mkdir %s", buf);
    return 0;
}

int osbox_rm_rf(const char *path, struct osbox_err *err)
{
    char *const paths[] = { (char *)path, NULL };
    FTS *fts;
    FTSENT *e;
    int rc = 0;

    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    fts = fts_open(paths, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
    if (!fts)
        return osbox_error(err, errno, "remove %s", path);
    while ((e = fts_read(fts))) {
        switch (e->fts_info) {
        case FTS_DP:
            if (rmdir(e->fts_accpath) < 0 && errno != ENOENT && rc == 0)
                rc = osbox_error(err, errno, "remove %s", e->fts_path);
            break;
        case FTS_D:
            break;
        case FTS_DNR:
        case FTS_ERR:
            if (rc == 0)
                rc = osbox_error(err, e->fts_errno, "remove %s", e->fts_path);
            break;
        default:
            if (unlink(e->fts_accpath) < 0 && errno != ENOENT && rc == 0)
                rc = osbox_error(err, errno, "remove %s", e->fts_path);
        }
    }
    fts_close(fts);
    return rc;
}

int osbox_read_file(const char *path, char **out, size_t *len, struct osbox_err *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 4096, n = 0;
    char *buf;
    ssize_t r;

    if (fd < 0)
        return osbox_error(err, errno, "open %s", path);
    buf = malloc(cap);
    if (!buf)
        return osbox_error(err, ENOMEM, "read %s", path);
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return osbox_error(err, ENOMEM, "read %s", path);
            }
            buf = nb;
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return osbox_error(err, errno, "read %s", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int osbox_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int osbox_write_file(const char *path, const void *buf, size_t len, mode_t mode,
                     struct osbox_err *err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return osbox_error(err, errno, "open %s", path);
    if (osbox_write_all(fd, buf, len) < 0)
        return osbox_error(err, errno, "write %s", path);
    return 0;
}

int osbox_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                            struct osbox_err *err)
{
    _cleanup_free_ char *tmp = osbox_strdup_printf("%s.tmp.%d", path, (int)getpid());
    _cleanup_free_ char *dir = osbox_xstrdup(path);
    char *slash;
    int fd, dfd;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return osbox_error(err, errno, "open %s", tmp);
    if (osbox_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return osbox_error(err, e, "write %s", tmp);
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return osbox_error(err, e, "rename %s", path);
    }
    slash = strrchr(dir, '/');
    if (slash) {
        *(slash == dir ? slash + 1 : slash) = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

int osbox_random_id(char out[65], struct osbox_err *err)
{
    unsigned char raw[32];
    size_t got = 0;

    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return osbox_error(err, errno, "getrandom");
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
    return 0;
}

bool osbox_is_hex(const char *s, size_t len)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n > 0 && (!len || n == len);
}

void osbox_rfc3339_at(int64_t ns, char out[OSBOX_RFC3339_LEN + 1])
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(out, OSBOX_RFC3339_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[32]; /* ".123456789Z": 11 characters for 0 <= ns % 1e9 */
    snprintf(frac, sizeof frac, ".%09lldZ", (long long)(ns % 1000000000));
    snprintf(out + 19, OSBOX_RFC3339_LEN + 1 - 19, "%.11s", frac);
}

void osbox_rfc3339_now(char out[OSBOX_RFC3339_LEN + 1])
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    osbox_rfc3339_at((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, out);
}

char *osbox_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

char *osbox_xstrdup(const char *s)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        abort();
    return d;
}

void *osbox_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

size_t osbox_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **osbox_strv_dup(char *const *v)
{
    size_t n = osbox_strv_len(v);
    char **d = osbox_xcalloc(n + 1, sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = osbox_xstrdup(v[i]);
    return d;
}

void osbox_strv_free(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

void osbox_strv_push(char ***v, const char *s)
{
    size_t n = osbox_strv_len(*v);
    char **nv = realloc(*v, (n + 2) * sizeof *nv);
    if (!nv)
        abort();
    nv[n] = osbox_xstrdup(s);
    nv[n + 1] = NULL;
    *v = nv;
}
