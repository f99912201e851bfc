/* The name index: index.json, {"refs": {"name:tag": "sha256:<manifest digest>"},
 * "untagged": {"sha256:<manifest digest>": true}} (images made without a name,
 * by build or commit: Docker's <none>:<none>, reachable by id until pruned).
 * Replaced atomically; writers hold the store lock, readers never need it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

int images_index_load(const struct images_store *s, json_t **out, struct osbox_err *err)
{
    _cleanup_free_ char *p = osbox_strdup_printf("%s/index.json", s->root);
    _cleanup_free_ char *text = NULL;
    json_error_t jerr;
    json_t *idx;
    size_t len;

    if (osbox_read_file(p, &text, &len, err) < 0) {
        if (err->errnum != ENOENT)
            return -1;
        idx = json_pack("{s:{}}", "refs");
        *out = idx;
        return 0;
    }
    idx = json_loadb(text, len, 0, &jerr);
    if (!idx || !json_is_object(idx) || !json_is_object(json_object_get(idx, "refs"))) {
        json_decref(idx);
        return osbox_error(err, 0, "image store index %s is corrupt", p);
    }
    *out = idx;
    return 0;
}

int images_index_save(const struct images_store *s, json_t *index, struct osbox_err *err)
{
    _cleanup_free_ char *p = osbox_strdup_printf("%s/index.json", s->root);
    _cleanup_free_ char *text = json_dumps(index, JSON_INDENT(2) | JSON_SORT_KEYS);

    if (!text)
        return osbox_error(err, ENOMEM, "serialise image index");
    return osbox_write_file_atomic(p, text, strlen(text), 0600, err);
}

json_t *images_index_refs(json_t *index)
{
    return json_object_get(index, "refs");
}

json_t *images_index_untagged(json_t *index)
{
    json_t *u = json_object_get(index, "untagged");

    if (!json_is_object(u)) {
        u = json_object();
        json_object_set_new(index, "untagged", u);
    }
    return u;
}
