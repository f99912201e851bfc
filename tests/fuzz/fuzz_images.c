/* libFuzzer target for the image store's untrusted-input parsers: the manifest
 * and config JSON, tar member path cleaning, and the layer extractor itself
 * (the input is written as a layer blob and unpacked into a scratch dir; the
 * sentinel next to that dir must stay untouched). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/internal.h"
#include "util.h"

static char base[64];

static void once(void)
{
    struct osbox_err err;
    if (base[0])
        return;
    snprintf(base, sizeof base, "/tmp/osbox-fuzz-images.XXXXXX");
    if (!mkdtemp(base))
        abort();
    char *sentinel = osbox_strdup_printf("%s/sentinel", base);
    if (osbox_mkdir_p(sentinel, 0755, &err) < 0)
        abort();
    free(sentinel);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct osbox_err err;
    struct images_manifest m;
    struct images_config c;
    char clean[4096], diff[72];

    once();
    if (images_manifest_parse((const char *)data, size, &m, &err) == 0)
        images_manifest_clear(&m);
    if (images_config_parse((const char *)data, size, &c, &err) == 0)
        images_config_clear(&c);
    if (size < 4096) {
        char *s = strndup((const char *)data, size);
        if (images_path_clean(s, clean, sizeof clean) == 0 && strstr(clean, ".."))
            for (char *p = clean; (p = strstr(p, "..")); p++)
                if ((p == clean || p[-1] == '/') && (p[2] == '/' || !p[2]))
                    abort(); /* a ".." component survived */
        free(s);
    }

    char *blob = osbox_strdup_printf("%s/blob", base), *dir = osbox_strdup_printf("%s/root", base);
    osbox_rm_rf(dir, &err);
    mkdir(dir, 0755);
    if (osbox_write_file(blob, data, size, 0600, &err) == 0)
        images_extract_layer(blob, dir, diff, NULL, &err);
    /* Nothing may appear beside the layer dir: only blob, root, sentinel. */
    char *probe = osbox_strdup_printf("%s/sentinel", base);
    struct stat st;
    if (stat(probe, &st) < 0 || !S_ISDIR(st.st_mode))
        abort();
    free(probe);
    osbox_rm_rf(dir, &err);
    free(blob);
    free(dir);
    return 0;
}
