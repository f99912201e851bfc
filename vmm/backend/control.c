/* Commands on detached VMs (state in vm_state.c, the keeper in detach.c):
 * stop (the power button, then SIGKILL to the monitor), rm, logs,
 * inspect, ps, and gc of VMs whose keeper was killed. Every wait is bounded
 * and waits on a condition (the keeper's pid and start time gone), polled. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "runtime/core/runtime.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

#define KILL_WAIT_MS 10000 /* a keeper whose monitor was SIGKILLed cleans up in far less */

static pid_t json_pid(json_t *rec, const char *key)
{
    return (pid_t)json_integer_value(json_object_get(rec, key));
}

/* Until the keeper of rec is gone, at most ms. */
static bool wait_keeper_gone(json_t *rec, long ms)
{
    for (long waited = 0; vm_keeper_alive(rec); waited += 20) {
        if (waited >= ms)
            return false;
        poll(NULL, 0, 20);
    }
    return true;
}

/* SIGKILL the monitor; its keeper records 137 and releases the rest. A
 * keeper that does not finish in time is killed too (gc takes what it left). */
static void kill_vm(const char *name, json_t *rec)
{
    struct osbox_err ignored;

    if (vm_monitor_alive(rec))
        kill(json_pid(rec, "monitor_pid"), SIGKILL);
    if (wait_keeper_gone(rec, KILL_WAIT_MS))
        return;
    kill(json_pid(rec, "keeper_pid"), SIGKILL);
    wait_keeper_gone(rec, KILL_WAIT_MS);
    vm_state_update(name, json_pack("{s:s, s:i}", "status", "exited", "exit_code", 137), &ignored);
}

int vm_detached_stop(const char *name, int timeout_s, struct osbox_err *err)
{
    json_t *rec = vm_state_read(name, err);

    if (!rec)
        return -1;
    if (!vm_keeper_alive(rec) || !strcmp(vm_state_status(rec), "exited")) {
        json_decref(rec);
        return 0; /* as docker stop of a stopped container */
    }
    /* The keeper forwards it to the monitor, which presses the button. */
    kill(json_pid(rec, "keeper_pid"), SIGUSR2);
    if (!wait_keeper_gone(rec, timeout_s * 1000L))
        kill_vm(name, rec);
    json_decref(rec);
    return 0;
}

int vm_detached_remove(const char *name, bool force, struct osbox_err *err)
{
    _cleanup_free_ char *dir = vm_state_dir(name);
    json_t *rec = vm_state_read(name, err);

    if (!rec && err->errnum == ENOENT)
        return -1;
    if (rec && vm_keeper_alive(rec) && strcmp(vm_state_status(rec), "exited")) {
        if (!force) {
            json_decref(rec);
            return osbox_error(err, 0,
                               "cannot remove VM %s: it is running (stop it first, or use -f)",
                               name);
        }
        kill_vm(name, rec);
    }
    json_decref(rec);
    return osbox_rm_rf(dir, err);
}

static bool keeper_alive_ctx(void *name)
{
    json_t *rec = vm_state_read(name, &(struct osbox_err){ 0 });
    bool alive = rec && vm_keeper_alive(rec);

    json_decref(rec);
    return alive;
}

int vm_detached_logs(const char *name, const struct logs_opts *o, struct osbox_err *err)
{
    _cleanup_free_ char *dir = vm_state_dir(name);

    return logs_copy_at(dir, o, STDOUT_FILENO, STDERR_FILENO, keeper_alive_ctx, (void *)name, err);
}

json_t *vm_inspect_json(const char *name, struct osbox_err *err)
{
    json_t *rec = vm_state_read(name, err);
    const char *state;

    if (!rec)
        return NULL;
    state = vm_state_status(rec);
    json_object_set_new(rec, "state", json_string(state));
    json_object_set_new(rec, "running", json_boolean(!strcmp(state, "running")));
    char *log = osbox_strdup_printf("%s/vms/%s/" LOG_FILE, osbox_run_dir(), name);
    json_object_set_new(rec, "log_path", json_string(log));
    free(log);
    return rec;
}

static int by_created_desc(const void *a, const void *b)
{
    const char *ca = json_string_value(json_object_get(*(json_t *const *)a, "created"));
    const char *cb = json_string_value(json_object_get(*(json_t *const *)b, "created"));

    return strcmp(cb ? cb : "", ca ? ca : "");
}

json_t *vm_list_json(bool all)
{
    char **names = vm_state_names();
    size_t n = osbox_strv_len(names), k = 0;
    json_t **recs = osbox_xcalloc(n + 1, sizeof *recs), *out = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *rec = vm_inspect_json(names[i], &(struct osbox_err){ 0 });
        if (!rec)
            continue;
        if (!all && !json_is_true(json_object_get(rec, "running")))
            json_decref(rec);
        else
            recs[k++] = rec;
    }
    qsort(recs, k, sizeof *recs, by_created_desc);
    for (size_t i = 0; i < k; i++)
        json_array_append_new(out, recs[i]);
    free(recs);
    osbox_strv_free(names);
    return out;
}

int vm_gc(int *n, struct osbox_err *err)
{
    char **names = vm_state_names();

    (void)err;
    *n = 0;
    for (char **name = names; *name; name++) {
        _cleanup_free_ char *dir = vm_state_dir(*name);
        _cleanup_close_ int lock = vm_state_lock(*name, &(struct osbox_err){ 0 });
        json_t *rec = lock >= 0 ? vm_state_read(*name, &(struct osbox_err){ 0 }) : NULL;
        /* A dir without a record is a start that died between mkdir and
         * write (both under a millisecond): leave it to a later gc if it
         * is that young. */
        if (!rec) {
            struct stat st;
            if (lock >= 0 && stat(dir, &st) == 0 && st.st_mtime + 60 < time(NULL) &&
                osbox_rm_rf(dir, &(struct osbox_err){ 0 }) == 0)
                (*n)++;
            continue;
        }
        if (!strcmp(vm_state_status(rec), "dead")) {
            if (vm_monitor_alive(rec))
                kill(json_pid(rec, "monitor_pid"), SIGKILL);
            if (osbox_rm_rf(dir, &(struct osbox_err){ 0 }) == 0)
                (*n)++;
        }
        json_decref(rec);
    }
    osbox_strv_free(names);
    return 0;
}
