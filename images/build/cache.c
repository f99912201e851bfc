/* The build cache: build-cache/<key hex> in the store names the layer a
 * finished step made ({"blob", "diff_id", "size"}). The key chains each step
 * to the one before (sha256 of the parent key, the instruction and, for
 * COPY/ADD, the content hash), so a change re-runs from that step on. gc
 * keeps what the cache names (usage.c); an entry whose layer is gone is a
 * miss. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/build/build.h"
#include "util.h"

void build_cache_key(const char *parent, const char *instr, const char *extra, char out[72])
{
    _cleanup_free_ char *s = osbox_strdup_printf("%s\n%s\n%s", parent, instr, extra ? extra : "");
    images_sha256_buf(s, strlen(s), out);
}

static char *entry_path(struct images_store *s, const char *key)
{
    return osbox_strdup_printf("%s/build-cache/%s", s->root, images_digest_hex(key));
}

int build_cache_get(struct images_store *s, const char *key, char blob[72], char diff_id[72],
                    int64_t *size, char created[OSBOX_RFC3339_LEN + 1])
{
    _cleanup_free_ char *p = entry_path(s, key), *text = NULL, *layer = NULL;
    struct osbox_err ignored;
    json_t *j;
    size_t len;
    int found = 0;

    if (osbox_read_file(p, &text, &len, &ignored) < 0)
        return 0;
    j = json_loads(text, 0, NULL);
    const char *b = json_string_value(json_object_get(j, "blob"));
    const char *d = json_string_value(json_object_get(j, "diff_id"));
    if (b && d && images_digest_valid(b) && images_digest_valid(d) && images_blob_exists(s, b)) {
        layer = images_layer_path(s, d);
        if (access(layer, F_OK) == 0) {
            strcpy(blob, b);
            strcpy(diff_id, d);
            *size = json_integer_value(json_object_get(j, "size"));
            const char *c = json_string_value(json_object_get(j, "created"));
            snprintf(created, OSBOX_RFC3339_LEN + 1, "%s", c && strlen(c) <= OSBOX_RFC3339_LEN ? c : "");
            found = 1;
        }
    }
    json_decref(j);
    return found;
}

int build_cache_put(struct images_store *s, const char *key, const char *blob,
                    const char *diff_id, int64_t size, const char *created,
                    struct osbox_err *err)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/build-cache", s->root);
    _cleanup_free_ char *p = entry_path(s, key), *text = NULL;
    json_t *j = json_pack("{s:s, s:s, s:I, s:s}", "blob", blob, "diff_id", diff_id, "size",
                          (json_int_t)size, "created", created);
    int rc;

    text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    if (osbox_mkdir_p(dir, 0700, err) < 0)
        return -1;
    rc = osbox_write_file_atomic(p, text, strlen(text), 0600, err);
    return rc;
}

void images_mark_build_cache(const struct images_store *s, json_t *blobs, json_t *layers)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/build-cache", s->root);
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d))) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", dir, de->d_name), *text = NULL;
        struct osbox_err ignored;
        size_t len;
        if (de->d_name[0] == '.' || osbox_read_file(p, &text, &len, &ignored) < 0)
            continue;
        json_t *j = json_loads(text, 0, NULL);
        const char *b = json_string_value(json_object_get(j, "blob"));
        const char *l = json_string_value(json_object_get(j, "diff_id"));
        if (b)
            json_object_set_new(blobs, b, json_true());
        if (l)
            json_object_set_new(layers, l, json_true());
        json_decref(j);
    }
    if (d)
        closedir(d);
}
