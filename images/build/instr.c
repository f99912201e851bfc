/* Containerfile syntax: one instruction per line, a trailing backslash
 * continues it, '#' at the start of a line is a comment (parser directives
 * like "# syntax=" are comments here too), keywords are case-insensitive.
 * Leading --flag=value words are split off (COPY --from=, RUN --network=);
 * an argument that is a JSON array of strings is the exec form. Unknown
 * keywords are an error naming the file and line. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/build/build.h"
#include "util.h"

static const char *const keywords[] = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", NULL,
};

/* Which keywords take leading --flags. */
static bool takes_flags(const char *kw)
{
    return !strcmp(kw, "FROM") || !strcmp(kw, "RUN") || !strcmp(kw, "COPY") ||
           !strcmp(kw, "ADD") || !strcmp(kw, "HEALTHCHECK");
}

static char **parse_json_form(const char *s)
{
    json_error_t je;
    json_t *a;
    char **v;
    size_t i;
    json_t *x;

    while (isspace((unsigned char)*s))
        s++;
    if (*s != '[')
        return NULL;
    a = json_loads(s, JSON_DECODE_ANY, &je);
    if (!json_is_array(a)) {
        json_decref(a);
        return NULL;
    }
    v = osbox_xcalloc(1, sizeof *v);
    json_array_foreach(a, i, x) {
        if (!json_is_string(x)) { /* not all strings: the shell form, as Docker */
            osbox_strv_free(v);
            json_decref(a);
            return NULL;
        }
        osbox_strv_push(&v, json_string_value(x));
    }
    json_decref(a);
    return v;
}

static int parse_text(const char *text, const char *filename, bool require_from,
                      struct build_file *f, struct osbox_err *err);

static int add_instr(struct build_file *f, const char *line, unsigned lineno, const char *file,
                     struct osbox_err *err)
{
    struct build_instr in = { .line = lineno };
    const char *p = line, *kw_end;
    size_t n;

    while (isspace((unsigned char)*p))
        p++;
    kw_end = p;
    while (*kw_end && !isspace((unsigned char)*kw_end))
        kw_end++;
    n = (size_t)(kw_end - p);
    in.keyword = osbox_xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++)
        in.keyword[i] = (char)toupper((unsigned char)p[i]);
    bool known = false;
    for (size_t i = 0; keywords[i]; i++)
        known |= !strcmp(keywords[i], in.keyword);
    if (!known) {
        osbox_error(err, 0, "%s:%u: unknown instruction '%.*s'", file, lineno, (int)n, p);
        free(in.keyword);
        return -1;
    }
    p = kw_end;
    while (isspace((unsigned char)*p))
        p++;
    in.flags = osbox_xcalloc(1, sizeof *in.flags);
    while (takes_flags(in.keyword) && p[0] == '-' && p[1] == '-') {
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        char *flag = osbox_xcalloc((size_t)(e - p) + 1, 1);
        memcpy(flag, p + 2, (size_t)(e - p) - 2);
        osbox_strv_push(&in.flags, flag);
        free(flag);
        p = e;
        while (isspace((unsigned char)*p))
            p++;
    }
    in.args = osbox_xstrdup(p);
    for (n = strlen(in.args); n && isspace((unsigned char)in.args[n - 1]); n--)
        in.args[n - 1] = 0;
    in.json = parse_json_form(in.args);
    in.text = osbox_strdup_printf("%s %s", in.keyword, line + (kw_end - line) +
                                  strspn(kw_end, " \t"));
    for (n = strlen(in.text); n && isspace((unsigned char)in.text[n - 1]); n--)
        in.text[n - 1] = 0;
    f->v = realloc(f->v, (f->n + 1) * sizeof *f->v);
    if (!f->v)
        abort();
    f->v[f->n++] = in;
    return 0;
}

int build_file_parse(const char *text, const char *filename, struct build_file *f,
                     struct osbox_err *err)
{
    return parse_text(text, filename, true, f, err);
}

int build_changes_parse(char *const *changes, struct build_file *f, struct osbox_err *err)
{
    struct build_file one;

    memset(f, 0, sizeof *f);
    for (size_t i = 0; changes && changes[i]; i++) {
        if (parse_text(changes[i], "-c", false, &one, err) < 0) {
            build_file_clear(f);
            return -1;
        }
        for (size_t j = 0; j < one.n; j++) {
            f->v = realloc(f->v, (f->n + 1) * sizeof *f->v);
            if (!f->v)
                abort();
            one.v[j].line = (unsigned)i + 1;
            f->v[f->n++] = one.v[j];
        }
        free(one.v);
    }
    return 0;
}

static int parse_text(const char *text, const char *filename, bool require_from,
                      struct build_file *f, struct osbox_err *err)
{
    _cleanup_free_ char *logical = NULL;
    size_t cap = 0, len = 0;
    unsigned lineno = 0, start = 0;
    const char *p = text;

    memset(f, 0, sizeof *f);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        bool cont;

        lineno++;
        p = eol ? eol + 1 : p + n;
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        size_t lead = strspn(s, " \t");
        if (lead >= n && len == 0)
            continue; /* blank */
        if (lead < n && s[lead] == '#')
            continue; /* comments, also between continued lines (as Docker) */
        cont = n && s[n - 1] == '\\';
        if (cont)
            n--;
        if (len == 0)
            start = lineno;
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            logical = realloc(logical, cap);
            if (!logical)
                abort();
        }
        memcpy(logical + len, s, n);
        len += n;
        logical[len] = 0;
        if (cont) {
            logical[len++] = ' ';
            logical[len] = 0;
            if (*p)
                continue;
        }
        if (add_instr(f, logical, start, filename, err) < 0) {
            build_file_clear(f);
            return -1;
        }
        len = 0;
    }
    if (!require_from)
        return 0;
    if (f->n == 0 || strcmp(f->v[0].keyword, "FROM")) {
        for (size_t i = 0; i < f->n && strcmp(f->v[i].keyword, "FROM"); i++)
            if (strcmp(f->v[i].keyword, "ARG")) {
                osbox_error(err, 0, "%s:%u: %s before the first FROM", filename, f->v[i].line,
                            f->v[i].keyword);
                build_file_clear(f);
                return -1;
            }
        bool any = false;
        for (size_t i = 0; i < f->n; i++)
            any |= !strcmp(f->v[i].keyword, "FROM");
        if (!any) {
            osbox_error(err, 0, "%s: no FROM instruction", filename);
            build_file_clear(f);
            return -1;
        }
    }
    return 0;
}

void build_file_clear(struct build_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].keyword);
        free(f->v[i].args);
        free(f->v[i].text);
        osbox_strv_free(f->v[i].flags);
        osbox_strv_free(f->v[i].json);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

const char *build_instr_flag(const struct build_instr *in, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; in->flags && in->flags[i]; i++)
        if (!strncmp(in->flags[i], name, n) && in->flags[i][n] == '=')
            return in->flags[i] + n + 1;
    return NULL;
}
