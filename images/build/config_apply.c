/* The instructions that only change the image config (ENV, LABEL, CMD, ...),
 * shared by `build` and `commit -c`, and the ${VAR} expansion Docker applies
 * to them. Field names as Docker/OCI configs write them. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/build/build.h"
#include "util.h"

struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static const char *lookup(char *const *env, const char *name, size_t n)
{
    for (size_t i = osbox_strv_len(env); i > 0; i--) /* the last setting wins */
        if (!strncmp(env[i - 1], name, n) && env[i - 1][n] == '=')
            return env[i - 1] + n + 1;
    return NULL;
}

char *build_expand(const char *s, char *const *env)
{
    struct sbuf b = { 0 };

    sb_add(&b, "", 0);
    while (*s) {
        if (s[0] == '\\' && s[1] == '$') {
            sb_add(&b, "$", 1);
            s += 2;
            continue;
        }
        if (s[0] != '$' || !(s[1] == '{' || isalpha((unsigned char)s[1]) || s[1] == '_')) {
            sb_add(&b, s++, 1);
            continue;
        }
        if (s[1] == '{') {
            const char *name = s + 2, *end = strchr(name, '}');
            if (!end) {
                sb_add(&b, s, strlen(s));
                break;
            }
            size_t n = strcspn(name, ":}");
            const char *val = lookup(env, name, n);
            if (name[n] == ':' && (name[n + 1] == '-' || name[n + 1] == '+')) {
                _cleanup_free_ char *word = osbox_xcalloc((size_t)(end - name) , 1);
                memcpy(word, name + n + 2, (size_t)(end - (name + n + 2)));
                _cleanup_free_ char *w = build_expand(word, env);
                if (name[n + 1] == '-')
                    val = val && *val ? val : w;
                else
                    val = val && *val ? w : "";
                sb_add(&b, val, strlen(val));
            } else if (val)
                sb_add(&b, val, strlen(val));
            s = end + 1;
        } else {
            const char *name = s + 1;
            size_t n = 0;
            while (isalnum((unsigned char)name[n]) || name[n] == '_')
                n++;
            const char *val = lookup(env, name, n);
            if (val)
                sb_add(&b, val, strlen(val));
            s = name + n;
        }
    }
    return b.s;
}

char **build_split_words(const char *s)
{
    char **v = osbox_xcalloc(1, sizeof *v);
    struct sbuf w = { 0 };
    bool in_word = false;
    char quote = 0;

    for (; *s; s++) {
        if (quote) {
            if (*s == quote)
                quote = 0;
            else if (*s == '\\' && quote == '"' && s[1])
                sb_add(&w, ++s, 1);
            else
                sb_add(&w, s, 1);
            continue;
        }
        if (*s == '"' || *s == '\'') {
            quote = *s;
            in_word = true;
            sb_add(&w, "", 0);
        } else if (*s == '\\' && s[1]) {
            sb_add(&w, ++s, 1);
            in_word = true;
        } else if (isspace((unsigned char)*s)) {
            if (in_word)
                osbox_strv_push(&v, w.s ? w.s : "");
            in_word = false;
            w.len = 0;
            if (w.s)
                w.s[0] = 0;
        } else {
            sb_add(&w, s, 1);
            in_word = true;
        }
    }
    if (in_word)
        osbox_strv_push(&v, w.s ? w.s : "");
    free(w.s);
    return v;
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();

    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

char **build_shell_command(struct build_image *img, const struct build_instr *in)
{
    json_t *shell = json_object_get(build_image_cfg(img), "Shell");
    char **v = osbox_xcalloc(1, sizeof *v);
    size_t i;
    json_t *x;

    if (in->json) {
        osbox_strv_free(v);
        return osbox_strv_dup(in->json);
    }
    if (json_is_array(shell) && json_array_size(shell)) {
        json_array_foreach(shell, i, x)
            osbox_strv_push(&v, json_string_value(x));
    } else {
        osbox_strv_push(&v, "/bin/sh");
        osbox_strv_push(&v, "-c");
    }
    osbox_strv_push(&v, in->args);
    return v;
}

/* K=V pairs (or the old "ENV K V" form) into obj; env also as "K=V" strings. */
static int key_values(const struct build_instr *in, char *const *vars, bool legacy_ok,
                      void (*set)(json_t *, const char *, const char *), json_t *target,
                      struct osbox_err *err)
{
    _cleanup_free_ char *exp = build_expand(in->args, vars);
    char **w = build_split_words(exp);
    int rc = 0;

    if (!w[0])
        rc = osbox_error(err, 0, "line %u: %s needs arguments", in->line, in->keyword);
    else if (!strchr(w[0], '=')) {
        const char *sp = exp + strcspn(exp, " \t");
        if (!legacy_ok || !*sp) {
            rc = osbox_error(err, 0, "line %u: %s wants KEY=VALUE", in->line, in->keyword);
        } else {
            _cleanup_free_ char *k = osbox_xcalloc((size_t)(sp - exp) + 1, 1);
            memcpy(k, exp, (size_t)(sp - exp));
            set(target, k, sp + strspn(sp, " \t"));
        }
    } else {
        for (size_t i = 0; w[i]; i++) {
            char *eq = strchr(w[i], '=');
            if (!eq || eq == w[i]) {
                rc = osbox_error(err, 0, "line %u: %s wants KEY=VALUE, not '%s'", in->line,
                                 in->keyword, w[i]);
                break;
            }
            *eq = 0;
            set(target, w[i], eq + 1);
        }
    }
    osbox_strv_free(w);
    return rc;
}

static void set_env(json_t *cfg, const char *k, const char *v)
{
    json_t *env = json_object_get(cfg, "Env");
    size_t i, n = strlen(k);
    json_t *x;
    char *kv = osbox_strdup_printf("%s=%s", k, v);

    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(cfg, "Env", env);
    }
    json_array_foreach(env, i, x) {
        const char *s = json_string_value(x);
        if (s && !strncmp(s, k, n) && s[n] == '=') {
            json_array_set_new(env, i, json_string(kv));
            free(kv);
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
    free(kv);
}

static void set_label(json_t *cfg, const char *k, const char *v)
{
    json_t *l = json_object_get(cfg, "Labels");

    if (!json_is_object(l)) {
        l = json_object();
        json_object_set_new(cfg, "Labels", l);
    }
    json_object_set_new(l, k, json_string(v));
}

static void set_keys(json_t *cfg, const char *field, char **words, const char *suffix)
{
    json_t *o = json_object_get(cfg, field);

    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(cfg, field, o);
    }
    for (size_t i = 0; words[i]; i++) {
        _cleanup_free_ char *k = suffix && !strchr(words[i], '/')
                                     ? osbox_strdup_printf("%s%s", words[i], suffix)
                                     : osbox_xstrdup(words[i]);
        json_object_set_new(o, k, json_object());
    }
}

/* HEALTHCHECK [--interval=D ...] CMD ... | NONE, as Docker's config writes it. */
static int healthcheck(struct build_image *img, json_t *cfg, const struct build_instr *in,
                       struct osbox_err *err)
{
    json_t *h;

    if (!strcasecmp(in->args, "NONE")) {
        json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
        return 0;
    }
    if (strncasecmp(in->args, "CMD", 3) || !isspace((unsigned char)in->args[3]))
        return osbox_error(err, 0, "line %u: HEALTHCHECK wants CMD ... or NONE", in->line);
    struct build_instr sub = *in;
    sub.args = (char *)in->args + 4 + strspn(in->args + 4, " \t");
    sub.json = NULL;
    _cleanup_free_ char *dup = osbox_xstrdup(sub.args);
    char **json_form = NULL;
    if (dup[0] == '[') {
        json_t *a = json_loads(dup, 0, NULL);
        if (json_is_array(a)) {
            size_t i;
            json_t *x;
            json_form = osbox_xcalloc(1, sizeof *json_form);
            json_array_foreach(a, i, x)
                osbox_strv_push(&json_form, json_string_value(x) ? json_string_value(x) : "");
        }
        json_decref(a);
    }
    h = json_object();
    json_t *test = json_array();
    if (json_form) {
        json_array_append_new(test, json_string("CMD"));
        for (size_t i = 0; json_form[i]; i++)
            json_array_append_new(test, json_string(json_form[i]));
        osbox_strv_free(json_form);
    } else {
        json_array_append_new(test, json_string("CMD-SHELL"));
        json_array_append_new(test, json_string(sub.args));
    }
    json_object_set_new(h, "Test", test);
    static const struct { const char *flag, *field; } durations[] = {
        { "interval", "Interval" }, { "timeout", "Timeout" }, { "start-period", "StartPeriod" },
        { "start-interval", "StartInterval" },
    };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        const char *v = build_instr_flag(in, durations[i].flag);
        if (!v)
            continue;
        char *end;
        double d = strtod(v, &end);
        double mult = !strcmp(end, "s") ? 1e9 : !strcmp(end, "ms") ? 1e6 : !strcmp(end, "m") ? 60e9
                    : !strcmp(end, "h") ? 3600e9 : -1;
        if (end == v || mult < 0 || d < 0)
            return osbox_error(err, 0, "line %u: HEALTHCHECK --%s=%s is not a duration (30s, 1m)",
                               in->line, durations[i].flag, v);
        json_object_set_new(h, durations[i].field, json_integer((json_int_t)(d * mult)));
    }
    const char *retries = build_instr_flag(in, "retries");
    if (retries)
        json_object_set_new(h, "Retries", json_integer(atoi(retries)));
    json_object_set_new(cfg, "Healthcheck", h);
    (void)img;
    return 0;
}

int build_apply_config(struct build_image *img, const struct build_instr *in, char *const *vars,
                       struct osbox_err *err)
{
    json_t *cfg = build_image_cfg(img);
    const char *kw = in->keyword;

    if (!strcmp(kw, "ENV"))
        return key_values(in, vars, true, set_env, cfg, err) < 0 ? -1 : 1;
    if (!strcmp(kw, "LABEL"))
        return key_values(in, vars, false, set_label, cfg, err) < 0 ? -1 : 1;
    if (!strcmp(kw, "CMD") || !strcmp(kw, "ENTRYPOINT")) {
        char **cmd = build_shell_command(img, in);
        json_object_set_new(cfg, !strcmp(kw, "CMD") ? "Cmd" : "Entrypoint", strv_json(cmd));
        osbox_strv_free(cmd);
        return 1;
    }
    if (!strcmp(kw, "SHELL")) {
        if (!in->json || !in->json[0])
            return osbox_error(err, 0, "line %u: SHELL wants a JSON array", in->line);
        json_object_set_new(cfg, "Shell", strv_json(in->json));
        return 1;
    }
    if (!strcmp(kw, "EXPOSE") || !strcmp(kw, "VOLUME")) {
        _cleanup_free_ char *exp = build_expand(in->args, vars);
        char **w = in->json && !strcmp(kw, "VOLUME") ? osbox_strv_dup(in->json) : build_split_words(exp);
        if (!w[0]) {
            osbox_strv_free(w);
            return osbox_error(err, 0, "line %u: %s needs arguments", in->line, kw);
        }
        set_keys(cfg, !strcmp(kw, "EXPOSE") ? "ExposedPorts" : "Volumes", w,
                 !strcmp(kw, "EXPOSE") ? "/tcp" : NULL);
        osbox_strv_free(w);
        return 1;
    }
    if (!strcmp(kw, "USER") || !strcmp(kw, "STOPSIGNAL") || !strcmp(kw, "WORKDIR")) {
        _cleanup_free_ char *v = build_expand(in->args, vars);
        if (!*v)
            return osbox_error(err, 0, "line %u: %s needs an argument", in->line, kw);
        if (!strcmp(kw, "WORKDIR")) {
            const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
            _cleanup_free_ char *abs = v[0] == '/' ? osbox_xstrdup(v)
                                        : osbox_strdup_printf("%s/%s", cur && *cur ? cur : "", v);
            char clean[4096];
            if (images_path_clean(abs, clean, sizeof clean) < 0)
                return osbox_error(err, 0, "line %u: WORKDIR '%s' climbs out of /", in->line, v);
            _cleanup_free_ char *slash = osbox_strdup_printf("/%s", clean);
            json_object_set_new(cfg, "WorkingDir", json_string(slash));
        } else if (!strcmp(kw, "STOPSIGNAL") && osbox_parse_signal(v) < 0) {
            return osbox_error(err, 0, "line %u: STOPSIGNAL '%s' is not a signal", in->line, v);
        } else {
            json_object_set_new(cfg, !strcmp(kw, "USER") ? "User" : "StopSignal", json_string(v));
        }
        return 1;
    }
    if (!strcmp(kw, "HEALTHCHECK"))
        return healthcheck(img, cfg, in, err) < 0 ? -1 : 1;
    if (!strcmp(kw, "MAINTAINER")) {
        json_object_set_new(img->config, "author", json_string(in->args));
        return 1;
    }
    if (!strcmp(kw, "ONBUILD")) {
        json_t *o = json_object_get(cfg, "OnBuild");
        if (!json_is_array(o)) {
            o = json_array();
            json_object_set_new(cfg, "OnBuild", o);
        }
        json_array_append_new(o, json_string(in->args));
        return 1;
    }
    return 0;
}
