/* images_build (osbox build): the Containerfile's stages run in order on
 * in-memory images. Config-only instructions change the config; RUN, COPY,
 * ADD and a WORKDIR the image lacks make a layer, stored at once and put in
 * the build cache under the step's key; the target stage's image is then
 * committed and named. Progress as Podman's plain output: "STEP 3/7: RUN
 * ...", "--> Using cache <key>", the RUN output streamed in between. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "images/build/build.h"
#include "util.h"

struct stage {
    char *name;             /* AS name, or NULL */
    struct build_image img;
    char key[72];           /* the cache key of the last step */
    char **args;            /* ARG values in scope: K=V */
    /* The time its history records: the base's, then that of each step as it
     * first ran (kept with its cache entry), so cached rebuilds match. */
    char created[OSBOX_RFC3339_LEN + 1];
};

struct build {
    const struct images_build_opts *o;
    struct images_store store;
    struct build_context ctx;
    struct build_file file;
    struct stage *stages;
    size_t n_stages;
    char **global_args;     /* ARGs before the first FROM */
    char created[OSBOX_RFC3339_LEN + 1];
    int64_t now;
    unsigned step, steps;   /* within the stage */
};

static const char *arg_value(char *const *build_args, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; build_args && build_args[i]; i++)
        if (!strncmp(build_args[i], name, n) && build_args[i][n] == '=')
            return build_args[i] + n + 1;
    return NULL;
}

/* ARG NAME[=default]: the --build-arg value, else the default (else a
 * global ARG of that name), into *scope. */
static int declare_arg(struct build *b, char ***scope, const struct build_instr *in,
                       char *const *expand_from, struct osbox_err *err)
{
    _cleanup_free_ char *exp = build_expand(in->args, expand_from);
    char **w = build_split_words(exp);
    int rc = 0;

    if (!w[0])
        rc = osbox_error(err, 0, "line %u: ARG needs a name", in->line);
    for (size_t i = 0; rc == 0 && w[i]; i++) {
        char *eq = strchr(w[i], '=');
        if (eq)
            *eq = 0;
        const char *v = arg_value(b->o->build_args, w[i]);
        if (!v && eq)
            v = eq + 1;
        if (!v)
            v = arg_value(b->global_args, w[i]);
        if (!v)
            continue; /* declared without a value: nothing to expand */
        _cleanup_free_ char *kv = osbox_strdup_printf("%s=%s", w[i], v);
        osbox_strv_push(scope, kv);
    }
    osbox_strv_free(w);
    return rc;
}

/* What ${} and RUN see: the ARGs, then the image's Env (ENV wins, as Docker). */
static char **stage_vars(struct stage *st)
{
    char **v = osbox_strv_dup(st->args);
    json_t *env = json_object_get(build_image_cfg(&st->img), "Env"), *x;
    size_t i;

    if (!v)
        v = osbox_xcalloc(1, sizeof *v);
    json_array_foreach(env, i, x)
        if (json_string_value(x))
            osbox_strv_push(&v, json_string_value(x));
    return v;
}

static void progress(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct build *b, const char *fmt, ...)
{
    va_list ap;

    if (!b->o->out)
        return;
    va_start(ap, fmt);
    vfprintf(b->o->out, fmt, ap);
    va_end(ap);
    fflush(b->o->out);
}

/* A cached layer for key, or -1/0 as build_cache_get; appended on a hit. */
static int from_cache(struct build *b, struct stage *st, const char *key, struct osbox_err *err)
{
    char blob[72], diff_id[72], created[OSBOX_RFC3339_LEN + 1];
    int64_t size;

    if (b->o->no_cache || !build_cache_get(&b->store, key, blob, diff_id, &size, created))
        return 0;
    if (created[0] && b->o->timestamp < 0)
        memcpy(st->created, created, sizeof st->created);
    if (build_image_add_layer(&b->store, &st->img, blob, diff_id, size, err) < 0)
        return -1;
    progress(b, "--> Using cache %.12s\n", images_digest_hex(key));
    return 1;
}

/* Store the finished tar as the step's layer and remember it for key. */
static int keep_layer(struct build *b, struct stage *st, const char *tar, const char *key,
                      struct osbox_err *err)
{
    char diff_id[72];
    json_t *last;

    if (build_layer_store(tar, &st->img, diff_id, err) < 0)
        return -1;
    last = json_array_get(st->img.layers, json_array_size(st->img.layers) - 1);
    memcpy(st->created, b->created, sizeof st->created);
    return build_cache_put(&b->store, key, json_string_value(json_object_get(last, "digest")),
                           diff_id, json_integer_value(json_object_get(last, "size")), b->created,
                           err);
}

static int scratch_tar(struct build *b, char **staging, char **tar, struct osbox_err *err)
{
    if (images_staging_create(&b->store, staging, err) < 0)
        return -1;
    *tar = osbox_strdup_printf("%s/layer.tar", *staging);
    return 0;
}

static int step_run(struct build *b, struct stage *st, const struct build_instr *in,
                    const char *key, struct osbox_err *err)
{
    char **cmd = build_shell_command(&st->img, in);
    char **env = stage_vars(st);
    json_t *cfg = build_image_cfg(&st->img);
    const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
    const char *user = json_string_value(json_object_get(cfg, "User"));
    const char *net = build_instr_flag(in, "network");
    _cleanup_free_ char *upper = NULL, *handle = NULL, *staging = NULL, *tar = NULL;
    struct layer_writer w;
    struct osbox_err ignored;
    int rc = -1, status;

    if (!st->img.layer_dirs || !st->img.layer_dirs[0]) {
        osbox_error(err, 0, "RUN needs a base image with a shell (this stage is FROM scratch)");
        goto out;
    }
    if (!b->o->runner.run) {
        osbox_error(err, ENOTSUP, "RUN: no container runtime given");
        goto out;
    }
    struct images_build_run r = {
        .layers = st->img.layer_dirs, .env = env, .args = cmd,
        .workdir = wd && *wd ? wd : "/", .user = user && *user ? user : NULL,
        .network = net ? net : b->o->network ? b->o->network : "none",
    };
    status = b->o->runner.run(b->o->runner.ctx, &r, &upper, &handle, err);
    if (status < 0)
        goto out;
    if (status != 0) {
        osbox_error(err, 0, "the command exited with status %d", status);
        err->errnum = status;
        goto out;
    }
    if (scratch_tar(b, &staging, &tar, err) < 0 ||
        layer_writer_open(&w, tar, b->o->timestamp, err) < 0)
        goto out;
    if (layer_writer_add_upper(&w, upper, st->img.layer_dirs, err) < 0) {
        layer_writer_abort(&w);
        goto out;
    }
    char digest[72];
    if (layer_writer_close(&w, digest, NULL, err) < 0 || keep_layer(b, st, tar, key, err) < 0)
        goto out;
    rc = 0;
out:
    if (handle && b->o->runner.remove)
        b->o->runner.remove(b->o->runner.ctx, handle);
    if (staging)
        osbox_rm_rf(staging, &ignored);
    osbox_strv_free(cmd);
    osbox_strv_free(env);
    return rc;
}

/* --chown USER[:GROUP], numeric or from the stage's /etc/passwd and /etc/group. */
static long id_of(struct stage *st, const char *file, const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);

    if (*name && !*end)
        return v;
    char **roots = build_image_roots(&st->img);
    _cleanup_free_ char *p = build_merged_lookup(roots, file), *text = NULL;
    struct osbox_err ignored;
    size_t len, n = strlen(name);
    long id = -2;

    osbox_strv_free(roots);
    if (p && osbox_read_file(p, &text, &len, &ignored) == 0)
        for (char *l = strtok(text, "\n"); l && id == -2; l = strtok(NULL, "\n"))
            if (!strncmp(l, name, n) && l[n] == ':') {
                char *f = strchr(l + n + 1, ':');
                if (f)
                    id = strtol(f + 1, NULL, 10);
            }
    return id;
}

static int parse_chown(struct stage *st, const char *spec, long *uid, long *gid,
                       struct osbox_err *err)
{
    _cleanup_free_ char *u = osbox_xstrdup(spec);
    char *g = strchr(u, ':');

    if (g)
        *g++ = 0;
    *uid = id_of(st, "etc/passwd", u);
    *gid = g ? id_of(st, "etc/group", g) : *uid;
    if (*uid < 0 || *gid < 0)
        return osbox_error(err, 0, "--chown=%s: no such user or group in the image", spec);
    return 0;
}

static struct stage *find_stage(struct build *b, const char *name)
{
    char *end;
    long idx = strtol(name, &end, 10);

    if (*name && !*end && idx >= 0 && (size_t)idx < b->n_stages)
        return &b->stages[idx];
    for (size_t i = 0; i < b->n_stages; i++)
        if (b->stages[i].name && !strcasecmp(b->stages[i].name, name))
            return &b->stages[i];
    return NULL;
}

static int step_copy(struct build *b, struct stage *st, const struct build_instr *in,
                     char *const *vars, const char *parent_key, char key[72], struct osbox_err *err)
{
    _cleanup_free_ char *exp = in->json ? NULL : build_expand(in->args, vars);
    char **words = in->json ? osbox_strv_dup(in->json) : build_split_words(exp);
    const char *from = build_instr_flag(in, "from"), *chown = build_instr_flag(in, "chown");
    const char *chmod_s = build_instr_flag(in, "chmod");
    size_t n = osbox_strv_len(words);
    char **rels = osbox_xcalloc(1, sizeof *rels), **roots = NULL;
    struct build_image other = { 0 };
    struct build_copy c = { .uid = -1, .gid = -1, .chmod = -1, .now = b->now };
    _cleanup_free_ char *dest = NULL, *staging = NULL, *tar = NULL, *extra = NULL;
    struct layer_writer w;
    struct osbox_err ignored;
    char hash[72];
    int rc = -1;

    if (n < 2) {
        osbox_error(err, 0, "%s needs a source and a destination", in->keyword);
        goto out;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (!from && (!strncmp(words[i], "http://", 7) || !strncmp(words[i], "https://", 8))) {
            osbox_error(err, ENOTSUP, "ADD of a URL is not supported (no network at build): %s",
                        words[i]);
            goto out;
        }
    if (chown && parse_chown(st, chown, &c.uid, &c.gid, err) < 0)
        goto out;
    if (chmod_s) {
        char *end;
        c.chmod = strtol(chmod_s, &end, 8);
        if (*end || c.chmod < 0 || c.chmod > 07777) {
            osbox_error(err, 0, "--chmod=%s is not an octal mode", chmod_s);
            goto out;
        }
    }
    /* The destination, relative to WORKDIR. */
    {
        const char *d = words[n - 1];
        const char *wd = json_string_value(json_object_get(build_image_cfg(&st->img), "WorkingDir"));
        _cleanup_free_ char *abs = d[0] == '/' ? osbox_xstrdup(d)
                                    : osbox_strdup_printf("%s/%s", wd ? wd : "", d);
        char clean[4096];
        if (images_path_clean(abs, clean, sizeof clean) < 0) {
            osbox_error(err, 0, "destination '%s' climbs out of /", d);
            goto out;
        }
        dest = osbox_strdup_printf("/%s", clean);
        size_t dl = strlen(d);
        c.dest_is_dir = n > 2 || (dl && d[dl - 1] == '/') || !clean[0] ||
                        (dl >= 2 && !strcmp(d + dl - 2, "/."));
    }
    if (from) {
        struct stage *src = find_stage(b, from);
        if (src)
            roots = build_image_roots(&src->img);
        else {
            if (build_image_open(&b->store, from, &other, err) < 0) {
                osbox_error_prefix(err, "--from=%s (neither a stage nor an image)", from);
                goto out;
            }
            roots = build_image_roots(&other);
        }
        _cleanup_free_ char *ids = osbox_xstrdup(src ? src->key : other.digest);
        extra = osbox_strdup_printf("from %s", ids);
        c.keep_owner = true;
        for (size_t i = 0; i + 1 < n; i++) {
            char clean[4096];
            if (images_path_clean(words[i], clean, sizeof clean) < 0) {
                osbox_error(err, 0, "COPY --from source '%s' climbs out of /", words[i]);
                goto out;
            }
            osbox_strv_push(&rels, clean[0] ? clean : ".");
        }
    } else {
        roots = osbox_xcalloc(2, sizeof *roots);
        roots[0] = osbox_xstrdup(b->ctx.root);
        c.ctx = &b->ctx;
        for (size_t i = 0; i + 1 < n; i++) {
            char **m = NULL;
            if (build_context_match(&b->ctx, words[i], &m, err) < 0) {
                osbox_strv_free(m);
                goto out;
            }
            for (size_t k = 0; m[k]; k++)
                osbox_strv_push(&rels, m[k]);
            osbox_strv_free(m);
        }
        if (build_context_hash(&b->ctx, rels, hash, err) < 0)
            goto out;
        extra = osbox_xstrdup(hash);
    }
    /* Several matches, a directory source, or a directory in the image: into it. */
    if (osbox_strv_len(rels) > 1)
        c.dest_is_dir = true;
    for (size_t i = 0; rels[i] && !c.dest_is_dir; i++) {
        _cleanup_free_ char *h = build_merged_lookup(roots, rels[i]);
        struct stat sb;
        c.dest_is_dir = h && stat(h, &sb) == 0 && S_ISDIR(sb.st_mode);
    }
    if (!c.dest_is_dir) {
        char **img_roots = build_image_roots(&st->img);
        _cleanup_free_ char *h = build_merged_lookup(img_roots, dest + 1);
        struct stat sb;
        c.dest_is_dir = h && stat(h, &sb) == 0 && S_ISDIR(sb.st_mode);
        osbox_strv_free(img_roots);
    }
    {
        _cleanup_free_ char *what = osbox_strdup_printf("%s %s%s %s", extra,
                                                        chown ? chown : "", chmod_s ? chmod_s : "", dest);
        build_cache_key(parent_key, in->text, what, key);
    }
    if ((rc = from_cache(b, st, key, err)) != 0) {
        rc = rc < 0 ? -1 : 0;
        goto out;
    }
    rc = -1;
    /* ADD unpacks a local archive into dest (a directory); COPY never does. */
    char **archives = osbox_xcalloc(1, sizeof *archives);
    if (!from && !strcmp(in->keyword, "ADD")) {
        char **plain = osbox_xcalloc(1, sizeof *plain);
        for (size_t i = 0; rels[i]; i++) {
            _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", b->ctx.root, rels[i]);
            struct stat sb;
            bool arch = lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && build_is_archive(p);
            osbox_strv_push(arch ? &archives : &plain, rels[i]);
        }
        osbox_strv_free(rels);
        rels = plain;
        if (archives[0])
            c.dest_is_dir = true;
    }
    c.roots = roots;
    c.rels = rels;
    c.dest = dest;
    if (scratch_tar(b, &staging, &tar, err) < 0 || layer_writer_open(&w, tar, b->o->timestamp, err) < 0) {
        osbox_strv_free(archives);
        goto out;
    }
    bool failed = build_copy_layer(&w, &c, &st->img, err) < 0;
    for (size_t i = 0; !failed && archives[i]; i++) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", b->ctx.root, archives[i]);
        failed = layer_writer_add_archive(&w, p, archives[i], dest, err) < 0;
    }
    osbox_strv_free(archives);
    if (failed) {
        layer_writer_abort(&w);
        goto out;
    }
    char digest[72];
    if (layer_writer_close(&w, digest, NULL, err) < 0 || keep_layer(b, st, tar, key, err) < 0)
        goto out;
    rc = 0;
out:
    if (staging)
        osbox_rm_rf(staging, &ignored);
    build_image_clear(&other);
    osbox_strv_free(words);
    osbox_strv_free(rels);
    osbox_strv_free(roots);
    return rc;
}

/* WORKDIR makes its directory (0755 root) when the image lacks it. */
static int step_workdir(struct build *b, struct stage *st, const char *key, struct osbox_err *err)
{
    const char *wd = json_string_value(json_object_get(build_image_cfg(&st->img), "WorkingDir"));
    char **roots = build_image_roots(&st->img);
    _cleanup_free_ char *have = build_merged_lookup(roots, wd + 1), *staging = NULL, *tar = NULL;
    struct build_copy c = { .rels = (char *[]){ NULL }, .dest = wd, .dest_is_dir = true,
                            .uid = -1, .gid = -1, .chmod = -1, .now = b->now };
    struct layer_writer w;
    struct osbox_err ignored;
    char digest[72];
    int rc = -1;

    osbox_strv_free(roots);
    if (have || !wd[1])
        return 0;
    if ((rc = from_cache(b, st, key, err)) != 0)
        return rc < 0 ? -1 : 0;
    rc = -1;
    if (scratch_tar(b, &staging, &tar, err) < 0 || layer_writer_open(&w, tar, b->o->timestamp, err) < 0)
        goto out;
    if (build_copy_layer(&w, &c, &st->img, err) < 0) {
        layer_writer_abort(&w);
        goto out;
    }
    if (layer_writer_close(&w, digest, NULL, err) < 0 || keep_layer(b, st, tar, key, err) < 0)
        goto out;
    rc = 0;
out:
    if (staging)
        osbox_rm_rf(staging, &ignored);
    return rc;
}

static int step_from(struct build *b, const struct build_instr *in, struct osbox_err *err)
{
    _cleanup_free_ char *exp = build_expand(in->args, b->global_args);
    char **w = build_split_words(exp);
    struct stage *st, *prev;
    int rc = -1;

    if (!w[0] || (w[1] && (strcasecmp(w[1], "AS") || !w[2] || w[3]))) {
        osbox_error(err, 0, "FROM wants IMAGE [AS NAME]");
        goto out;
    }
    b->stages = realloc(b->stages, (b->n_stages + 1) * sizeof *b->stages);
    if (!b->stages)
        abort();
    st = &b->stages[b->n_stages];
    memset(st, 0, sizeof *st);
    prev = find_stage(b, w[0]);
    if (prev && !strchr(w[0], ':') && (prev->name || b->n_stages)) {
        build_image_copy(&st->img, &prev->img);
        memcpy(st->key, prev->key, sizeof st->key);
        memcpy(st->created, prev->created, sizeof st->created);
    } else {
        if (build_image_open(&b->store, w[0], &st->img, err) < 0)
            goto out;
        build_cache_key(st->img.digest ? st->img.digest : "scratch", "FROM", NULL, st->key);
        const char *base = json_string_value(json_object_get(st->img.config, "created"));
        snprintf(st->created, sizeof st->created, "%s",
                 base && b->o->timestamp < 0 && strlen(base) <= OSBOX_RFC3339_LEN ? base
                                                                            : b->created);
    }
    st->name = w[1] ? osbox_xstrdup(w[2]) : NULL;
    st->args = osbox_xcalloc(1, sizeof *st->args);
    b->n_stages++;
    rc = 0;
out:
    osbox_strv_free(w);
    return rc;
}

static int run_step(struct build *b, const struct build_instr *in, struct osbox_err *err)
{
    struct stage *st = &b->stages[b->n_stages - 1];
    char **vars = stage_vars(st);
    _cleanup_free_ char *expanded = NULL, *argenv = NULL;
    char key[72];
    int rc = 0;

    /* The key: the parent's, the instruction as written and what it expands
     * to (ARG values change it), RUN also the build args it sees. */
    expanded = build_expand(in->text, vars);
    for (size_t i = 0; st->args && st->args[i]; i++) {
        char *old = argenv;
        argenv = osbox_strdup_printf("%s%s\n", old ? old : "", st->args[i]);
        free(old);
    }
    build_cache_key(st->key, expanded, !strcmp(in->keyword, "RUN") ? argenv : NULL, key);
    if (!strcmp(in->keyword, "ARG")) {
        rc = declare_arg(b, &st->args, in, vars, err);
    } else if (!strcmp(in->keyword, "RUN")) {
        rc = from_cache(b, st, key, err);
        rc = rc == 0 ? step_run(b, st, in, key, err) : rc < 0 ? -1 : 0;
    } else if (!strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD")) {
        rc = step_copy(b, st, in, vars, st->key, key, err);
    } else {
        rc = build_apply_config(&st->img, in, vars, err);
        if (rc == 0)
            rc = osbox_error(err, 0, "%s is not supported here", in->keyword);
        else if (rc > 0)
            rc = !strcmp(in->keyword, "WORKDIR") ? step_workdir(b, st, key, err) : 0;
    }
    if (rc == 0) {
        bool layer = !strcmp(in->keyword, "RUN") || !strcmp(in->keyword, "COPY") ||
                     !strcmp(in->keyword, "ADD");
        build_image_history(&st->img, st->created, in->text, NULL,
                            !layer && strcmp(in->keyword, "WORKDIR"));
        memcpy(st->key, key, sizeof st->key);
    }
    osbox_strv_free(vars);
    return rc;
}

static void created_time(struct build *b)
{
    time_t t = b->o->timestamp >= 0 ? (time_t)b->o->timestamp : time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(b->created, sizeof b->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    b->now = b->o->timestamp >= 0 ? b->o->timestamp : (int64_t)t;
}

static int read_file(struct build *b, struct build_file *f, struct osbox_err *err)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    size_t len;

    if (b->o->file)
        path = osbox_xstrdup(b->o->file);
    else {
        path = osbox_strdup_printf("%s/Containerfile", b->ctx.root);
        struct stat st;
        if (stat(path, &st) < 0) {
            free(path);
            path = osbox_strdup_printf("%s/Dockerfile", b->ctx.root);
        }
    }
    if (osbox_read_file(path, &text, &len, err) < 0)
        return -1;
    return build_file_parse(text, b->o->file ? b->o->file : strrchr(path, '/') + 1, f, err);
}

int images_build(const struct images_build_opts *o, char id_out[72], struct osbox_err *err)
{
    struct build b = { .o = o };
    size_t first_from = 0, n_from = 0, stage_no = 0, last = (size_t)-1;
    char mdigest[72];
    int rc = -1;

    if (o->tag) {
        _cleanup_free_ char *norm = NULL;
        if (images_ref_normalize(o->tag, &norm, err) < 0)
            return -1;
    }
    created_time(&b);
    if (build_context_open(o->context, &b.ctx, err) < 0)
        return -1;
    if (read_file(&b, &b.file, err) < 0)
        goto out;
    if (images_store_open(&b.store, err) < 0)
        goto out;
    b.global_args = osbox_xcalloc(1, sizeof *b.global_args);
    while (first_from < b.file.n && strcmp(b.file.v[first_from].keyword, "FROM")) {
        if (declare_arg(&b, &b.global_args, &b.file.v[first_from], b.global_args, err) < 0)
            goto out;
        first_from++;
    }
    for (size_t i = first_from; i < b.file.n; i++)
        if (!strcmp(b.file.v[i].keyword, "FROM")) {
            n_from++;
            if (o->target) {
                _cleanup_free_ char *exp = build_expand(b.file.v[i].args, b.global_args);
                char **w = build_split_words(exp);
                if (w[0] && w[1] && w[2] && !strcasecmp(w[2], o->target))
                    last = n_from - 1;
                osbox_strv_free(w);
            }
        }
    if (o->target && last == (size_t)-1) {
        osbox_error(err, 0, "--target %s: no stage of that name", o->target);
        goto out;
    }
    if (!o->target)
        last = n_from - 1;
    for (size_t i = first_from; i < b.file.n; i++) {
        const struct build_instr *in = &b.file.v[i];
        if (!strcmp(in->keyword, "FROM")) {
            if (b.n_stages && stage_no - 1 == last)
                break;
            stage_no++;
            b.step = 0;
            b.steps = 1;
            for (size_t k = i + 1; k < b.file.n && strcmp(b.file.v[k].keyword, "FROM"); k++)
                b.steps++;
        }
        b.step++;
        if (n_from > 1)
            progress(&b, "[%zu/%zu] ", stage_no, last + 1);
        progress(&b, "STEP %u/%u: %s\n", b.step, b.steps, in->text);
        rc = !strcmp(in->keyword, "FROM") ? step_from(&b, in, err) : run_step(&b, in, err);
        if (rc < 0) {
            int status = err->errnum;
            osbox_error_prefix(err, "step %u/%u '%s' (line %u)", b.step, b.steps, in->text,
                               in->line);
            err->errnum = status;
            goto out;
        }
    }
    rc = -1;
    struct stage *st = &b.stages[b.n_stages - 1];
    progress(&b, "COMMIT %s\n", o->tag ? o->tag : "");
    if (build_image_commit(&st->img, o->tag, id_out, mdigest, err) < 0)
        goto out;
    progress(&b, "--> %.12s\n", images_digest_hex(id_out));
    if (o->tag)
        progress(&b, "Successfully tagged %s\n", o->tag);
    rc = 0;
out:
    for (size_t i = 0; i < b.n_stages; i++) {
        build_image_clear(&b.stages[i].img);
        free(b.stages[i].name);
        osbox_strv_free(b.stages[i].args);
    }
    free(b.stages);
    osbox_strv_free(b.global_args);
    build_file_clear(&b.file);
    build_context_clear(&b.ctx);
    images_store_close(&b.store);
    return rc;
}
