/* osbox exec: a command in a running container under the process settings
 * of the spec it was run with (container_spec.c: env, user, workdir, caps,
 * seccomp), each overridable, then exec_into.c does the joining. */
#include <stdlib.h>

#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

/* The container's process, with the caller's overrides. */
static int exec_spec(const struct container_exec_opts *o, struct osbox_spec *spec,
                     struct osbox_err *err)
{
    osbox_strv_free(spec->process.args);
    spec->process.args = osbox_strv_dup(o->args);
    for (size_t i = 0; o->env && o->env[i]; i++)
        osbox_env_set(&spec->process.env, o->env[i]);
    if (o->user) {
        free(spec->process.user);
        spec->process.user = osbox_xstrdup(o->user);
    }
    if (o->workdir) {
        if (o->workdir[0] != '/')
            return osbox_error(err, 0, "exec: working directory '%s' is not absolute", o->workdir);
        free(spec->process.cwd);
        spec->process.cwd = osbox_xstrdup(o->workdir);
    }
    spec->process.terminal = o->tty;
    spec->process.stdin_open = o->interactive;
    return osbox_security_prepare(&spec->security, err);
}

int container_exec_start(const char *id, const struct container_exec_opts *o,
                         struct osbox_container **out, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_spec spec;
    int rc;

    container_live_read(id, &l);
    if (!l.running)
        return osbox_error(err, 0, "container %.12s is not running", id);
    if ((rc = container_spec_load(id, &spec, err)) == 0 && (rc = exec_spec(o, &spec, err)) == 0)
        rc = runtime_exec_into(l.pid, l.pid_start, &spec, out, err);
    osbox_spec_free(&spec);
    return rc;
}

int container_exec(const char *id, const struct container_exec_opts *o, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_spec spec;
    struct osbox_container *c = NULL;
    int status;

    if (!o->detach) {
        if (container_exec_start(id, o, &c, err) < 0)
            return -1;
        status = runtime_wait(c, err);
        runtime_destroy(c, NULL);
        return status;
    }
    container_live_read(id, &l);
    if (!l.running)
        return osbox_error(err, 0, "container %.12s is not running", id);
    if ((status = container_spec_load(id, &spec, err)) == 0 &&
        (status = exec_spec(o, &spec, err)) == 0)
        status = runtime_exec_detached(l.pid, l.pid_start, &spec, err);
    osbox_spec_free(&spec);
    return status;
}
