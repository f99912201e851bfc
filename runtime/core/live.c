/* Live state: what `osbox gc` needs to tell a running container from one
 * whose osbox was killed (the osbox pid and its start time, against reuse). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

int live_write(const char *live_dir, const char *id, pid_t pid, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/state.json", live_dir);
    json_t *o = json_pack("{s:s, s:i, s:I, s:i, s:I, s:s}", "id", id, "pid", (int)pid,
                          "pid_start", (json_int_t)(pid > 0 ? proc_start_time(pid) : 0), "osbox_pid",
                          (int)getpid(), "osbox_start", (json_int_t)proc_start_time(getpid()),
                          "rootfs", live_dir); /* mounted there in the container's namespace */
    int rc;

    if (!o)
        return osbox_error(err, ENOMEM, "live state for %s", id);
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}
