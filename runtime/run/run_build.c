/* osbox build's RUN steps (images/images.h: struct images_build_runner): a
 * run request with the step's env, workdir and user on an image made in
 * memory from the stage's layers, network none unless the build asks. The
 * container is kept after it exits (its upper dir becomes the step's layer)
 * and removed by .remove once the layer is stored, or when the step failed. */
#include <stdlib.h>
#include <string.h>

#include "runtime/core/runtime.h"
#include "runtime/run/run.h"
#include "util.h"

static int run_step(void *ctx, const struct images_build_run *b, char **upper, char **handle,
                    struct osbox_err *err)
{
    struct osbox_image img = {
        .ref = (char *)"osbox-build",
        .layers = (char **)b->layers,
        .env = (char **)b->env,
        .workdir = (char *)b->workdir,
        .user = (char *)b->user,
    };
    struct run_request r;
    int status = -1;

    (void)ctx;
    *upper = *handle = NULL;
    run_request_init(&r);
    if (run_request_opt(&r, RUN_OPT_NETWORK, b->network, err) < 0 ||
        run_request_check(&r, err) < 0)
        goto out;
    status = run_request_run_image(&r, &img, (char **)b->args, err);
    if (r.id) {
        _cleanup_free_ char *dir = runtime_container_dir(r.id);
        *handle = osbox_xstrdup(r.id);
        *upper = osbox_strdup_printf("%s/upper", dir);
    }
out:
    run_request_free(&r);
    return status;
}

static void remove_step(void *ctx, const char *id)
{
    (void)ctx;
    state_remove_container(id, NULL);
}

struct images_build_runner run_build_runner(void)
{
    return (struct images_build_runner){ .run = run_step, .remove = remove_step };
}
