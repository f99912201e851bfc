/* osbox gc: clean up after osbox processes that were killed (SIGKILL, power
 * loss) and so never ran their own cleanup. A container counts as abandoned
 * when the osbox recorded in its live state is gone (pid + start time, so a
 * reused pid does not fool us). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

/* Too young to judge: another osbox may be between two steps of creating it. */
#define GRACE_SECONDS 10

static bool young(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && time(NULL) - st.st_mtime < GRACE_SECONDS;
}

static bool alive(json_t *o, const char *pid_key, const char *start_key)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(o, pid_key));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(o, start_key));

    return proc_alive(pid, start);
}

/* Detach whatever is still mounted under prefix (deepest first). */
static void unmount_under(const char *prefix)
{
    char line[4096], mp[4096];
    char **found = NULL;
    size_t plen = strlen(prefix);
    FILE *f = fopen("/proc/self/mountinfo", "re");

    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strncmp(mp, prefix, plen) &&
            (mp[plen] == '/' || mp[plen] == '\0'))
            osbox_strv_push(&found, mp);
    fclose(f);
    for (size_t n = osbox_strv_len(found); n-- > 0;)
        umount2(found[n], MNT_DETACH);
    osbox_strv_free(found);
}

/* The container's record after its osbox died: gone if --rm, else exited. */
static void settle_record(const char *id, int exit_code)
{
    struct osbox_record r;
    struct osbox_err err;

    if (state_read_record(id, &r, &err) < 0) {
        state_remove_container(id, NULL);
        return;
    }
    if (r.auto_remove || !strcmp(r.status ? r.status : "", "creating")) {
        state_remove_container(id, NULL);
    } else if (strcmp(r.status ? r.status : "", "exited")) {
        free(r.status);
        r.status = osbox_xstrdup("exited");
        r.exit_code = exit_code;
        state_write_record(&r, NULL);
    }
    osbox_record_free(&r);
}

/* 1 if the live container id was abandoned and cleaned, 0 if still in use. */
static int gc_live(const char *id, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_live_dir(id);
    _cleanup_free_ char *state = osbox_strdup_printf("%s/state.json", dir);
    _cleanup_free_ char *cdir = runtime_container_dir(id);
    json_t *o = json_load_file(state, 0, NULL);
    int exit_code = -1;

    if (!o && young(dir))
        return 0;
    if (o && alive(o, "osbox_pid", "osbox_start")) {
        json_decref(o);
        return 0;
    }
    if (o && alive(o, "pid", "pid_start")) {
        /* Its osbox is gone but the container still runs: nobody can wait for it. */
        kill((pid_t)json_integer_value(json_object_get(o, "pid")), SIGKILL);
        exit_code = 128 + SIGKILL;
    } else if (o) {
        exit_code = 128 + SIGKILL; /* died with its osbox (parent-death signal) */
    }
    json_decref(o);
    unmount_under(dir);
    unmount_under(cdir);
    if (cgroup_remove_stale(id, err) < 0)
        return -1;
    if (osbox_rm_rf(dir, err) < 0)
        return -1;
    settle_record(id, exit_code);
    return 1;
}

static char **list_ids(const char *parent)
{
    char **ids = osbox_xcalloc(1, sizeof *ids);
    DIR *d = opendir(parent);
    struct dirent *e;

    if (!d)
        return ids;
    while ((e = readdir(d)))
        if (osbox_is_hex(e->d_name, 64))
            osbox_strv_push(&ids, e->d_name);
    closedir(d);
    return ids;
}

/* Names whose container is gone. */
static void gc_names(void)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/names", osbox_root_dir());
    DIR *d = opendir(dir);
    struct dirent *e;
    char target[128];

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *link = osbox_strdup_printf("%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        _cleanup_free_ char *cdir = runtime_container_dir(target);
        if (access(cdir, F_OK) < 0 && errno == ENOENT)
            unlink(link);
    }
    closedir(d);
}

int runtime_gc(int *removed, struct osbox_err *err)
{
    _cleanup_free_ char *live = osbox_strdup_printf("%s/containers", osbox_run_dir());
    _cleanup_free_ char *root = osbox_strdup_printf("%s/containers", osbox_root_dir());
    char **ids;
    int rc = 0, n = 0, r;

    ids = list_ids(live);
    for (size_t i = 0; ids[i]; i++) {
        r = gc_live(ids[i], err);
        if (r < 0) {
            rc = -1;
            break;
        }
        n += r;
    }
    osbox_strv_free(ids);
    if (rc < 0)
        goto out;
    /* Containers with no live state: half-made ones, or records left "running". */
    ids = list_ids(root);
    for (size_t i = 0; ids[i]; i++) {
        _cleanup_free_ char *ldir = runtime_live_dir(ids[i]);
        _cleanup_free_ char *cdir = runtime_container_dir(ids[i]);
        _cleanup_free_ char *rec = osbox_strdup_printf("%s/container.json", cdir);
        struct osbox_record r2;
        struct osbox_err e2;

        if (access(ldir, F_OK) == 0 || young(cdir) || young(rec))
            continue;
        if (state_read_record(ids[i], &r2, &e2) < 0) {
            state_remove_container(ids[i], NULL);
            n++;
            continue;
        }
        if (strcmp(r2.status ? r2.status : "", "exited")) {
            settle_record(ids[i], -1);
            n++;
        }
        osbox_record_free(&r2);
    }
    osbox_strv_free(ids);
    gc_names();
    /* Leases, ports and veths of holders that are gone. */
    if (net_gc(NULL, err) < 0)
        rc = -1;
out:
    if (removed)
        *removed = n;
    return rc;
}
