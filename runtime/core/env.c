/* osbox run's -e and --env-file, as Docker reads them: K=V, or K alone for
 * the caller's value (skipped when unset); a file of such lines, blank ones
 * and # comments skipped. Read once, at run: the saved spec keeps the result. */
#include <stdlib.h>
#include <string.h>

#include "runtime/core/runtime.h"
#include "util.h"

/* -e K=V, or -e K: the host's value when it has one (skipped otherwise, as Docker). */
int osbox_env_add_arg(char ***env, const char *kv, struct osbox_err *err)
{
    if (!*kv || *kv == '=')
        return osbox_error(err, 0, "invalid environment variable '%s': the name is empty", kv);
    if (!strchr(kv, '=')) {
        const char *v = getenv(kv);
        if (!v)
            return 0;
        char *s = osbox_strdup_printf("%s=%s", kv, v);
        osbox_strv_push(env, s);
        free(s);
        return 0;
    }
    osbox_strv_push(env, kv);
    return 0;
}

int osbox_env_read_file(char ***env, const char *path, struct osbox_err *err)
{
    _cleanup_free_ char *buf = NULL;
    char *save = NULL, *line;

    if (osbox_read_file(path, &buf, NULL, err) < 0)
        return osbox_error_prefix(err, "--env-file");
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        if (osbox_env_add_arg(env, line, err) < 0)
            return osbox_error_prefix(err, "--env-file %s", path);
    }
    return 0;
}
