/* A detached VM's state: $OSBOX_RUN/vms/<name>/ (a VM lives no longer than
 * the machine's boot, so all of it is live state). The directory's name is
 * the VM's name: mkdir makes it unique atomically, with the containers'
 * rule for the characters. vm.json is the record (vm_backend.h lists its
 * fields), replaced atomically; commands that change it hold flock on the
 * directory. "running" means a keeper (the osbox process that waits for
 * the monitor) with the recorded pid and start time is alive: the runtime's
 * one liveness rule. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "runtime/core/runtime.h"
#include "util.h"

/* An error with errnum set but no strerror appended (the message says it). */
static int fail_as(struct osbox_err *err, int errnum, const char *fmt, const char *arg)
{
    osbox_error(err, 0, fmt, arg);
    err->errnum = errnum;
    return -1;
}

char *vm_state_root(void)
{
    return osbox_strdup_printf("%s/vms", osbox_run_dir());
}

char *vm_state_dir(const char *name)
{
    return osbox_strdup_printf("%s/vms/%s", osbox_run_dir(), name);
}

int vm_state_create(const char *name, struct osbox_err *err)
{
    _cleanup_free_ char *root = vm_state_root(), *dir = vm_state_dir(name);

    if (runtime_check_name(name, "VM", err) < 0 || osbox_mkdir_p(root, 0700, err) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return fail_as(err, EEXIST, "the VM name \"%s\" is already in use", name);
        return osbox_error(err, errno, "mkdir %s", dir);
    }
    return 0;
}

json_t *vm_state_read(const char *name, struct osbox_err *err)
{
    _cleanup_free_ char *dir = vm_state_dir(name);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/vm.json", dir);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);

    if (!o || !json_is_object(o)) {
        json_decref(o);
        fail_as(err, access(dir, F_OK) < 0 ? ENOENT : EINVAL,
                access(dir, F_OK) < 0 ? "no such VM: '%s'" : "VM %s has no readable record", name);
        return NULL;
    }
    return o;
}

int vm_state_write(const char *name, json_t *rec, struct osbox_err *err)
{
    _cleanup_free_ char *dir = vm_state_dir(name);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/vm.json", dir);
    char *text = json_dumps(rec, JSON_INDENT(2));
    int rc;

    if (!text)
        return osbox_error(err, ENOMEM, "VM record of %s", name);
    rc = osbox_write_file_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

int vm_state_lock(const char *name, struct osbox_err *err)
{
    _cleanup_free_ char *dir = vm_state_dir(name);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return fail_as(err, ENOENT, "no such VM: '%s'", name);
    if (flock(fd, LOCK_EX) < 0) {
        close(fd);
        return osbox_error(err, errno, "lock %s", dir);
    }
    return fd;
}

/* Under the lock: read, change one field, write. Failures are ignored by
 * the keeper (a VM removed meanwhile has no record to update). */
int vm_state_update(const char *name, json_t *fields, struct osbox_err *err)
{
    _cleanup_close_ int lock = vm_state_lock(name, err);
    json_t *rec;
    int rc = -1;

    if (lock >= 0 && (rec = vm_state_read(name, err))) {
        json_object_update(rec, fields);
        rc = vm_state_write(name, rec, err);
        json_decref(rec);
    }
    json_decref(fields);
    return rc;
}

static bool pid_alive(json_t *rec, const char *pid_key, const char *start_key)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(rec, pid_key));
    unsigned long long start =
        (unsigned long long)json_integer_value(json_object_get(rec, start_key));

    return proc_alive(pid, start);
}

bool vm_keeper_alive(json_t *rec)
{
    return pid_alive(rec, "keeper_pid", "keeper_start");
}

bool vm_monitor_alive(json_t *rec)
{
    return pid_alive(rec, "monitor_pid", "monitor_start");
}

const char *vm_state_status(json_t *rec)
{
    const char *s = json_string_value(json_object_get(rec, "status"));

    if (!s)
        return "dead";
    /* Created or running with its keeper gone: killed, for gc to reclaim. */
    if (strcmp(s, "exited") && !vm_keeper_alive(rec))
        return "dead";
    return s;
}

char **vm_state_names(void)
{
    _cleanup_free_ char *root = vm_state_root();
    DIR *d = opendir(root);
    char **names = osbox_xcalloc(1, sizeof *names);
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            osbox_strv_push(&names, e->d_name);
    if (d)
        closedir(d);
    return names;
}

int vm_lookup(const char *ref, char name[VM_NAME_MAX + 1], struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL;
    char **names;
    int found = 0;

    if (!*ref || strchr(ref, '/') || strlen(ref) > VM_NAME_MAX)
        return fail_as(err, ENOENT, "no such VM: '%s'", ref);
    dir = vm_state_dir(ref);
    if (access(dir, F_OK) == 0) {
        strcpy(name, ref);
        return 0;
    }
    /* Else a unique prefix of an id, as containers are found. */
    names = vm_state_names();
    for (char **n = names; *n; n++) {
        json_t *rec = vm_state_read(*n, &(struct osbox_err){ 0 });
        const char *id = json_string_value(json_object_get(rec, "id"));
        if (id && !strncmp(id, ref, strlen(ref)) && osbox_is_hex(ref, strlen(ref))) {
            if (found++ == 0)
                snprintf(name, VM_NAME_MAX + 1, "%s", *n);
        }
        json_decref(rec);
    }
    osbox_strv_free(names);
    if (found == 1)
        return 0;
    if (found > 1)
        return fail_as(err, EINVAL, "VM id prefix %s is ambiguous", ref);
    return fail_as(err, ENOENT, "no such VM: '%s'", ref);
}
