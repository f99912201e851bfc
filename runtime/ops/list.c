/* Every container of the store, by id (for commands that take "all of
 * them": stats, container prune, system df). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ops/ops.h"
#include "util.h"

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **container_ids(void)
{
    _cleanup_free_ char *parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    char **ids = osbox_xcalloc(1, sizeof *ids);
    DIR *d = opendir(parent);
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (strlen(e->d_name) == 64 && strspn(e->d_name, "0123456789abcdef") == 64)
            osbox_strv_push(&ids, e->d_name);
    if (d)
        closedir(d);
    qsort(ids, osbox_strv_len(ids), sizeof *ids, by_string);
    return ids;
}
