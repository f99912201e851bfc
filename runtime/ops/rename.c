/* osbox rename: a container's name is its names/ link plus its record. */
#include "runtime/core/runtime.h"
#include "runtime/ops/ops.h"

int container_rename(const char *id, const char *name, struct osbox_err *err)
{
    if (state_rename_container(id, name, err) < 0)
        return -1;
    event_log(id, name, "rename", -1);
    return 0;
}
