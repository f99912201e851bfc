/* `run --pull missing|always|never`: resolve an image, pulling it first
 * when the policy says so. "missing" pulls only when the store has no such
 * name, so a present image costs nothing (no network, no libcurl). Without
 * --pull, $OSBOX_PULL decides (as OSBOX_NETWORK does for --network). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int images_pull_policy_parse(const char *s, enum images_pull_policy *out, struct osbox_err *err)
{
    if (!strcmp(s, "missing"))
        *out = IMAGES_PULL_MISSING;
    else if (!strcmp(s, "always"))
        *out = IMAGES_PULL_ALWAYS;
    else if (!strcmp(s, "never"))
        *out = IMAGES_PULL_NEVER;
    else {
        osbox_error(err, 0, "invalid --pull '%s' (want missing, always or never)", s);
        err->exit_status = OSBOX_EXIT_USAGE;
        return -1;
    }
    return 0;
}

int images_resolve_pull(const char *ref, enum images_pull_policy policy, struct osbox_image **out,
                        struct osbox_err *err)
{
    struct images_pull_result res;
    const char *env = getenv("OSBOX_PULL");

    if (policy == IMAGES_PULL_DEFAULT) {
        policy = IMAGES_PULL_MISSING;
        if (env && *env && images_pull_policy_parse(env, &policy, err) < 0) {
            err->exit_status = 0; /* the environment, not the command line: 125 */
            return osbox_error_prefix(err, "OSBOX_PULL");
        }
    }
    if (policy == IMAGES_PULL_NEVER)
        return images_resolve(ref, out, err);
    if (policy == IMAGES_PULL_MISSING) {
        if (images_resolve(ref, out, err) == 0)
            return 0;
        if (err->errnum != ENOENT)
            return -1; /* there, but broken: pulling would not say why */
    }
    if (images_pull(ref, NULL, &res, err) < 0) {
        if (policy == IMAGES_PULL_MISSING)
            osbox_error_prefix(err, "image '%s' not found, and pulling it failed", ref);
        return -1;
    }
    images_pull_result_clear(&res);
    return images_resolve(ref, out, err);
}
