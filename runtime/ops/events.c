/* The event log: $OSBOX_ROOT/events.log, one JSON object per line, only ever
 * appended to (each line one O_APPEND write, so writers never interleave),
 * by the monitors (start, die, oom, restart) and the commands that change a
 * container (pause, unpause, kill, update, rename, destroy). Past 4 MiB it
 * moves to events.log.1 (one generation kept), so it stays bounded.
 * `osbox events` reads both, filters by time and container, and follows. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "runtime/ops/ops.h"
#include "util.h"

#define EVENTS_MAX (4 * 1024 * 1024)

static char *events_path(const char *suffix)
{
    return osbox_strdup_printf("%s/events.log%s", osbox_root_dir(), suffix);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void event_log(const char *id, const char *name, const char *action, int exit_code)
{
    struct osbox_record rec = { 0 };
    struct osbox_err err;
    bool have_rec = false;
    char ts[OSBOX_RFC3339_LEN + 1];
    int64_t ns = now_ns();

    if (!name && state_read_record(id, &rec, &err) == 0) {
        have_rec = true;
        name = rec.name;
    }
    osbox_rfc3339_at(ns, ts);
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "time", ts, "timeNano", (json_int_t)ns,
                          "type", "container", "action", action, "id", id, "name", name ? name : "");
    if (o && exit_code >= 0)
        json_object_set_new(o, "exitCode", json_integer(exit_code));
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (have_rec)
        osbox_record_free(&rec);
    if (!line)
        return;
    _cleanup_free_ char *path = events_path("");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > EVENTS_MAX) {
            _cleanup_free_ char *old = events_path(".1");
            rename(path, old); /* we still append to the file we opened: the line is kept */
        }
        size_t len = strlen(line);
        line[len] = '\n'; /* json_dumps leaves room: the NUL becomes the newline */
        osbox_write_all(fd, line, len + 1);
        close(fd);
    }
    free(line);
}

/* event=health_status matches "health_status: healthy" too, as Docker's filter. */
static bool action_matches(const char *want, const char *action)
{
    size_t n = strlen(want);
    return !strcmp(want, action) || (!strncmp(want, action, n) && action[n] == ':');
}

/* One line to out if it passes the filters; true when it was an event. */
static void emit(const char *line, const struct events_opts *o, FILE *out)
{
    json_t *e = json_loads(line, 0, NULL);
    const char *id, *name, *action, *ts;
    int64_t ns;

    if (!e)
        return;
    ns = (int64_t)json_integer_value(json_object_get(e, "timeNano"));
    id = json_string_value(json_object_get(e, "id"));
    name = json_string_value(json_object_get(e, "name"));
    action = json_string_value(json_object_get(e, "action"));
    ts = json_string_value(json_object_get(e, "time"));
    if (!id || !action || !ts || ns < o->since_ns || (o->until_ns && ns > o->until_ns) ||
        (o->container && strcmp(o->container, id) && (!name || strcmp(o->container, name))) ||
        (o->action && !action_matches(o->action, action))) {
        json_decref(e);
        return;
    }
    if (o->json) {
        fputs(line, out);
        if (!*line || line[strlen(line) - 1] != '\n')
            fputc('\n', out);
    } else {
        fprintf(out, "%s container %s %s (name=%s", ts, action, id, name ? name : "");
        json_t *code = json_object_get(e, "exitCode");
        if (code)
            fprintf(out, ", exitCode=%lld", (long long)json_integer_value(code));
        fputs(")\n", out);
    }
    fflush(out);
    json_decref(e);
}

/* Lines of f from its current position; returns the offset after the last whole line. */
static off_t drain(FILE *f, off_t from, const struct events_opts *o, FILE *out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    fseeko(f, from, SEEK_SET);
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break; /* a writer is mid-line: read it next time */
        emit(line, o, out);
        from += n;
    }
    clearerr(f);
    free(line);
    return from;
}

int events_read(const struct events_opts *o, FILE *out, struct osbox_err *err)
{
    _cleanup_free_ char *path = events_path(""), *old = events_path(".1");
    FILE *f;
    struct stat st;
    ino_t ino = 0;
    off_t pos = 0;

    if (o->since_ns > 0 && (f = fopen(old, "re"))) {
        drain(f, 0, o, out);
        fclose(f);
    }
    f = fopen(path, "re");
    if (f) {
        if (fstat(fileno(f), &st) == 0)
            ino = st.st_ino;
        /* Without --since only what happens from now on, as Docker. */
        if (o->since_ns > 0)
            pos = drain(f, 0, o, out);
        else
            pos = fseeko(f, 0, SEEK_END) == 0 ? ftello(f) : 0;
    }
    while (o->follow && (!o->until_ns || now_ns() <= o->until_ns)) {
        poll(NULL, 0, 100);
        /* Rotated (or made just now): finish the old file, start on the new one. */
        if (stat(path, &st) == 0 && (!f || st.st_ino != ino)) {
            if (f) {
                drain(f, pos, o, out);
                fclose(f);
            }
            f = fopen(path, "re");
            ino = st.st_ino;
            pos = 0;
        }
        if (f)
            pos = drain(f, pos, o, out);
        if (ferror(out))
            break;
    }
    if (f)
        fclose(f);
    (void)err;
    return 0;
}

/* "1733572800", "1733572800.5", RFC 3339 ("2026-12-07T12:00:00Z", with
 * fractions), or a duration before now ("10s", "5m", "2h"). */
int events_parse_time(const char *s, int64_t *ns, struct osbox_err *err)
{
    char *end;
    double v;
    struct tm tm = { 0 };

    if (!s || !*s)
        goto bad;
    errno = 0;
    v = strtod(s, &end);
    if (end != s && errno == 0) {
        if (!*end) {
            *ns = (int64_t)(v * 1e9);
            return 0;
        }
        if (!end[1] && (*end == 's' || *end == 'm' || *end == 'h') && v >= 0) {
            double mult = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
            *ns = now_ns() - (int64_t)(v * mult * 1e9);
            return 0;
        }
    }
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end) {
        int64_t frac = 0;
        if (*end == '.') {
            int digits = 0;
            for (end++; *end >= '0' && *end <= '9'; end++, digits++)
                if (digits < 9)
                    frac = frac * 10 + (*end - '0');
            for (; digits < 9; digits++)
                frac *= 10;
        }
        if (!strcmp(end, "Z") || !*end) {
            *ns = (int64_t)timegm(&tm) * 1000000000 + frac;
            return 0;
        }
    }
bad:
    return osbox_error(err, 0, "invalid time '%s': give unix seconds, RFC 3339 (2026-12-07T12:00:00Z) "
                       "or a duration before now (10s, 5m, 2h)", s ? s : "");
}
