/* State files (records, live state) are replaced atomically: written to a
 * temp file and renamed over, so a reader sees the old or the new, never
 * half. Not fsync'd: they are on the start-up path of every container, live
 * state dies with a reboot anyway, and `osbox gc` treats an unreadable
 * record as a half-made container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

int runtime_write_json(const char *path, json_t *o, struct osbox_err *err)
{
    _cleanup_free_ char *tmp = osbox_strdup_printf("%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "we");

    if (!f)
        return osbox_error(err, errno, "open %s", tmp);
    if (json_dumpf(o, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF || fclose(f) == EOF) {
        int e = errno;
        unlink(tmp);
        return osbox_error(err, e ? e : EIO, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return osbox_error(err, e, "rename %s", path);
    }
    return 0;
}
