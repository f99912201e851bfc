/* osbox start / restart: a stopped container again, detached, from the spec
 * it was run with (container_spec.c) and its lifecycle (restart policy,
 * --sdnotify, log cap). The caller holds the container's lock. */
#include <unistd.h>

#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

int container_start(const char *id, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_record rec;
    struct lifecycle lc;
    struct osbox_spec spec;
    struct monitor_opts mo = { 0 };
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *flag = osbox_strdup_printf("%s/stop-requested", dir);
    int rc = -1;

    container_live_read(id, &l);
    if (l.running || l.holder_alive)
        return 0; /* already running: nothing to do (as Docker) */
    if (state_read_record(id, &rec, err) < 0)
        return -1;
    if (container_spec_load(id, &spec, err) < 0)
        goto out_rec;
    if (lifecycle_read(id, &lc, err) < 0) {
        osbox_error(err, 0, "container %.12s cannot be started: it has no lifecycle.json", id);
        goto out_spec;
    }
    /* /etc/hostname, hosts, resolv.conf written afresh, then bound in. */
    if (runtime_prepare_etc(&spec, dir, spec.net.mode == OSBOX_NET_HOST, err) < 0 ||
        osbox_security_prepare(&spec.security, err) < 0)
        goto out_lc;
    unlink(flag);
    mo.restart = lc.restart;
    mo.log_max = lc.log_max;
    mo.notify = lc.notify;
    rc = monitor_start(&spec, &rec, &mo, err);
out_lc:
    lifecycle_free(&lc);
out_spec:
    osbox_spec_free(&spec);
out_rec:
    osbox_record_free(&rec);
    return rc;
}

int container_restart(const char *id, int timeout_s, struct osbox_err *err)
{
    if (container_stop(id, timeout_s, err) < 0)
        return -1;
    return container_start(id, err);
}
