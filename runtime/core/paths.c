/* Where a container's files live: its dir under $OSBOX_ROOT (record, upper,
 * logs) and its live dir under $OSBOX_RUN (state, overlay mountpoint). A leaf
 * every part of the runtime may call (create, net, lifecycle, oci, gc)
 * without depending on the code that starts containers. */
#include "runtime/core/runtime.h"
#include "util.h"

char *runtime_container_dir(const char *id)
{
    return osbox_strdup_printf("%s/containers/%s", osbox_root_dir(), id);
}

char *runtime_live_dir(const char *id)
{
    return osbox_strdup_printf("%s/containers/%s", osbox_run_dir(), id);
}
