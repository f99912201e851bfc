/* `osbox load -i FILE`: a docker-save archive or an OCI archive. (Filled in below.) */
#include "internal.h"

int images_load_archive(const char *file, const char *name, char ***loaded, struct osbox_err *err)
{
    (void)name;
    (void)loaded;
    return osbox_error(err, 0, "load %s: archives are not supported yet; unpack it and use --oci-dir",
                       file);
}
