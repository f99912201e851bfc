/* The address pool: $OSBOX_RUN/network/leases.json, changed only under an
 * exclusive flock on $OSBOX_RUN/network/lock (the JSON file itself is
 * replaced by rename, so the lock lives in a file of its own). A lease names
 * its holder by pid and start time: once that process is gone the lease is
 * dead and anyone holding the lock may reclaim it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/net/net_internal.h"
#include "util.h"

char *net_dir(void)
{
    return osbox_strdup_printf("%s/network", osbox_run_dir());
}

int lease_open(struct lease_store *s, struct osbox_err *err)
{
    _cleanup_free_ char *dir = net_dir();
    _cleanup_free_ char *lock = osbox_strdup_printf("%s/lock", dir);
    json_error_t jerr;

    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    if (osbox_mkdir_p(dir, 0700, err) < 0)
        return -1;
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0)
        return osbox_error(err, errno, "open %s", lock);
    while (flock(s->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            osbox_error(err, errno, "lock %s", lock);
            lease_close(s);
            return -1;
        }
    }
    s->path = osbox_strdup_printf("%s/leases.json", dir);
    if (access(s->path, F_OK) == 0) {
        s->root = json_load_file(s->path, 0, &jerr);
        if (!s->root || !json_is_object(s->root)) {
            osbox_error(err, 0, "%s: %s", s->path, jerr.text);
            lease_close(s);
            return -1;
        }
    } else {
        s->root = json_object();
    }
    if (!json_is_array(json_object_get(s->root, "leases")))
        json_object_set_new(s->root, "leases", json_array());
    return 0;
}

int lease_save(struct lease_store *s, struct osbox_err *err)
{
    char *text = json_dumps(s->root, JSON_INDENT(2));
    int rc;

    if (!text)
        return osbox_error(err, ENOMEM, "write %s", s->path);
    /* Plain write + rename (no fsync): this is run-time state under /run. */
    _cleanup_free_ char *tmp = osbox_strdup_printf("%s.tmp", s->path);
    rc = osbox_write_file(tmp, text, strlen(text), 0600, err);
    free(text);
    if (rc == 0 && rename(tmp, s->path) < 0)
        rc = osbox_error(err, errno, "rename %s", tmp);
    return rc;
}

void lease_close(struct lease_store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* drops the flock */
    json_decref(s->root);
    free(s->path);
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
}

json_t *lease_list(struct lease_store *s)
{
    return json_object_get(s->root, "leases");
}

bool lease_holder_alive(json_t *lease)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(lease, "holder_pid"));
    unsigned long long start =
        (unsigned long long)json_integer_value(json_object_get(lease, "holder_start"));

    return proc_alive(pid, start);
}

json_t *lease_find(struct lease_store *s, const char *id)
{
    size_t i;
    json_t *l;

    json_array_foreach(lease_list(s), i, l)
        if (!strcmp(json_string_value(json_object_get(l, "id")) ?: "", id))
            return l;
    return NULL;
}

void lease_drop(struct lease_store *s, const char *id)
{
    json_t *arr = lease_list(s);

    for (size_t i = 0; i < json_array_size(arr); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(arr, i), "id")) ?: "", id))
            json_array_remove(arr, i--);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int lease_take(struct lease_store *s, const struct net_config *cfg, const struct in_addr *want,
               const char *id, const char *kind, struct in_addr *out, struct osbox_err *err)
{
    json_t *arr = lease_list(s), *l;
    uint32_t net = ntohl(cfg->network.s_addr), size = 1u << (32 - cfg->prefix);
    uint32_t first = net + 2, last = net + size - 2, pick = 0;
    size_t n = json_array_size(arr), i;
    _cleanup_free_ uint32_t *used = osbox_xcalloc(n + 1, sizeof *used);
    struct in_addr a;
    char sub[INET_ADDRSTRLEN];

    json_array_foreach(arr, i, l) {
        if (inet_pton(AF_INET, json_string_value(json_object_get(l, "ip")) ?: "", &a) == 1)
            used[i] = ntohl(a.s_addr);
    }
    qsort(used, n, sizeof *used, cmp_u32);
    inet_ntop(AF_INET, &cfg->network, sub, sizeof sub);
    if (want) {
        uint32_t w = ntohl(want->s_addr);
        if (w < net || w >= net + size)
            return osbox_error(err, 0, "--ip %s is outside the network %s/%d", inet_ntoa(*want),
                               sub, cfg->prefix);
        if (w < first || w > last)
            return osbox_error(err, 0, "--ip %s is reserved in %s/%d (network, gateway or "
                               "broadcast address)", inet_ntoa(*want), sub, cfg->prefix);
        if (bsearch(&w, used, n, sizeof *used, cmp_u32))
            return osbox_error(err, 0, "--ip %s is already in use by another container",
                               inet_ntoa(*want));
        pick = w;
    } else {
        for (uint32_t c = first; c <= last && !pick; c++)
            if (!bsearch(&c, used, n, sizeof *used, cmp_u32))
                pick = c;
        if (!pick)
            return osbox_error(err, 0, "no free address left in %s/%d", sub, cfg->prefix);
    }
    out->s_addr = htonl(pick);
    l = json_pack("{s:s, s:s, s:s, s:i, s:I, s:[]}", "ip", inet_ntoa(*out), "id", id, "kind",
                  kind, "holder_pid", (int)getpid(), "holder_start",
                  (json_int_t)proc_start_time(getpid()), "ports");
    if (!l)
        return osbox_error(err, ENOMEM, "lease");
    json_array_append_new(arr, l);
    return 0;
}
