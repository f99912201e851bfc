/* osbox run -d / --restart / --sdnotify / --log-opt (see run_lifecycle.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli/run_lifecycle.h"
#include "util.h"

int run_lifecycle_opt(struct run_lifecycle *l, int opt, const char *arg, struct osbox_err *err)
{
    switch (opt) {
    case 'd':
    case OPT_LC_DETACH:
        l->detach = true;
        return 0;
    case OPT_LC_RESTART:
        return restart_parse(arg, &l->restart, err);
    case OPT_LC_SDNOTIFY:
        if (!strcmp(arg, "conmon"))
            l->sdnotify = SDNOTIFY_CONMON;
        else if (!strcmp(arg, "container"))
            l->sdnotify = SDNOTIFY_CONTAINER;
        else if (!strcmp(arg, "ignore"))
            l->sdnotify = SDNOTIFY_IGNORE;
        else
            return osbox_error(err, 0, "invalid --sdnotify '%s': use conmon, container or ignore", arg);
        return 0;
    case OPT_LC_LOG_OPT:
        if (strncmp(arg, "max-size=", 9))
            return osbox_error(err, 0, "invalid --log-opt '%s': only max-size=SIZE is known", arg);
        if (osbox_parse_size(arg + 9, &l->log_max, err) < 0)
            return osbox_error_prefix(err, "--log-opt");
        if (l->log_max < 4096)
            return osbox_error(err, 0, "invalid --log-opt '%s': at least 4k", arg);
        return 0;
    }
    return osbox_error(err, EINVAL, "unknown lifecycle option");
}

int run_lifecycle_prepare(struct run_lifecycle *l, struct osbox_spec *spec,
                          const struct osbox_record *rec, struct osbox_err *err)
{
    struct lifecycle lc = { .restart = l->restart,
                            .log_max = l->log_max ? l->log_max : LOG_MAX_DEFAULT };
    int rc;

    if (l->restart.policy != RESTART_NO && !l->detach)
        return osbox_error(err, 0, "--restart needs -d (a monitor process applies it)");
    if (l->restart.policy != RESTART_NO && rec->auto_remove)
        return osbox_error(err, 0, "--restart and --rm exclude each other");
    if (l->sdnotify == SDNOTIFY_CONTAINER) {
        if (sd_notify_into_container(spec, err) < 0)
            return -1;
    } else if (l->sdnotify == SDNOTIFY_IGNORE) {
        unsetenv("NOTIFY_SOCKET");
    }
    lc.run_args = l->argv;
    lc.cwd = getcwd(NULL, 0);
    rc = lifecycle_write(rec->id, &lc, err);
    free(lc.cwd);
    return rc;
}

int run_lifecycle_detach(const struct run_lifecycle *l, const struct osbox_spec *spec,
                         const struct osbox_record *rec, struct osbox_err *err)
{
    struct monitor_opts mo = { .restart = l->restart, .log_max = l->log_max,
                               .notify = l->sdnotify == SDNOTIFY_CONMON ? 1
                                         : l->sdnotify == SDNOTIFY_CONTAINER ? 2 : 0 };

    /* With --sdnotify=container the command says READY itself. */
    if (monitor_start(spec, rec, &mo, err) < 0)
        return -1;
    printf("%s\n", rec->id);
    fflush(stdout);
    return 0;
}

void run_lifecycle_started(const struct run_lifecycle *l)
{
    struct osbox_err err;
    _cleanup_free_ char *msg = NULL;

    if (l->sdnotify == SDNOTIFY_IGNORE || !getenv("NOTIFY_SOCKET"))
        return;
    /* osbox stays the unit's main process: it relays systemd's SIGTERM and
     * exits with the command's status. */
    msg = osbox_strdup_printf(l->sdnotify == SDNOTIFY_CONTAINER ? "MAINPID=%d"
                                                                : "READY=1\nMAINPID=%d",
                              (int)getpid());
    if (sd_notify_send(msg, &err) < 0)
        cli_fail(&err);
}
