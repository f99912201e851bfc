/* A container's health check (health.h): checked, saved as Docker's
 * Config.Healthcheck in healthcheck.json, loaded at every start. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/health.h"

#define MS 1000000LL

static char *config_path(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return osbox_strdup_printf("%s/healthcheck.json", dir);
}

int health_config_validate(const struct health_config *c, struct osbox_err *err)
{
    const struct { const char *name; int64_t v; } d[] = {
        { "--health-interval", c->interval_ns }, { "--health-timeout", c->timeout_ns },
        { "--health-start-period", c->start_period_ns },
    };
    size_t n = osbox_strv_len(c->test);

    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        if (d[i].v < 0)
            return osbox_error(err, 0, "%s cannot be negative", d[i].name);
        if (d[i].v > 0 && d[i].v < MS)
            return osbox_error(err, 0, "%s cannot be less than 1ms", d[i].name);
    }
    if (c->retries < 0)
        return osbox_error(err, 0, "--health-retries cannot be negative");
    if (!n)
        return 0;
    if (!strcmp(c->test[0], "CMD-SHELL") && n != 2)
        return osbox_error(err, 0, "health check CMD-SHELL takes one command string, not %zu", n - 1);
    if (!strcmp(c->test[0], "CMD") && n < 2)
        return osbox_error(err, 0, "health check CMD has no command");
    if (strcmp(c->test[0], "CMD") && strcmp(c->test[0], "CMD-SHELL"))
        return osbox_error(err, 0, "health check test '%s': expected CMD, CMD-SHELL or NONE",
                           c->test[0]);
    return 0;
}

json_t *health_config_json(const struct health_config *c)
{
    json_t *test = json_array();

    for (size_t i = 0; c->test && c->test[i]; i++)
        json_array_append_new(test, json_string(c->test[i]));
    return json_pack("{s:o, s:I, s:I, s:I, s:i}", "Test", test, "Interval",
                     (json_int_t)c->interval_ns, "Timeout", (json_int_t)c->timeout_ns,
                     "StartPeriod", (json_int_t)c->start_period_ns, "Retries", c->retries);
}

int health_config_save(const char *id, const struct health_config *c, struct osbox_err *err)
{
    _cleanup_free_ char *path = config_path(id);
    json_t *o;
    int rc;

    if (!c || !c->test) {
        if (unlink(path) < 0 && errno != ENOENT)
            return osbox_error(err, errno, "remove %s", path);
        return 0;
    }
    o = health_config_json(c);
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}

int health_config_load(const char *id, struct health_config *c, struct osbox_err *err)
{
    _cleanup_free_ char *path = config_path(id);
    json_error_t je;
    json_t *o, *t, *x;
    size_t i;

    memset(c, 0, sizeof *c);
    if (access(path, F_OK) < 0)
        return 0; /* no check */
    o = json_load_file(path, 0, &je);
    if (!o)
        return osbox_error(err, EIO, "read %s: %s", path, je.text);
    t = json_object_get(o, "Test");
    json_array_foreach(t, i, x)
        if (json_is_string(x))
            osbox_strv_push(&c->test, json_string_value(x));
    c->interval_ns = json_integer_value(json_object_get(o, "Interval"));
    c->timeout_ns = json_integer_value(json_object_get(o, "Timeout"));
    c->start_period_ns = json_integer_value(json_object_get(o, "StartPeriod"));
    c->retries = (int)json_integer_value(json_object_get(o, "Retries"));
    json_decref(o);
    if (health_config_validate(c, err) < 0) {
        health_config_free(c);
        return osbox_error_prefix(err, "%s", path);
    }
    return 0;
}

void health_config_free(struct health_config *c)
{
    osbox_strv_free(c->test);
    memset(c, 0, sizeof *c);
}

char **health_config_argv(const struct health_config *c)
{
    char **argv = NULL;

    if (!c->test || !c->test[0] || !c->test[1])
        return NULL;
    if (!strcmp(c->test[0], "CMD-SHELL")) {
        osbox_strv_push(&argv, "/bin/sh");
        osbox_strv_push(&argv, "-c");
        osbox_strv_push(&argv, c->test[1]);
        return argv;
    }
    return osbox_strv_dup(c->test + 1);
}

void health_format_duration(int64_t ns, char *buf, size_t size)
{
    int64_t s = ns / 1000000000, frac = ns % 1000000000;
    int len = 0;

    if (ns < 1000000000) {
        if (ns % MS == 0)
            snprintf(buf, size, "%lldms", (long long)(ns / MS));
        else
            snprintf(buf, size, "%.3fms", (double)ns / MS);
        return;
    }
    if (s >= 3600)
        len += snprintf(buf + len, size - (size_t)len, "%lldh", (long long)(s / 3600));
    if (s >= 60 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, "%lldm", (long long)(s / 60 % 60));
    if ((size_t)len >= size)
        return;
    if (frac) {
        char f[16];
        snprintf(f, sizeof f, "%09lld", (long long)frac);
        for (int i = 8; i > 0 && f[i] == '0'; i--)
            f[i] = '\0';
        snprintf(buf + len, size - (size_t)len, "%lld.%ss", (long long)(s % 60), f);
    } else {
        snprintf(buf + len, size - (size_t)len, "%llds", (long long)(s % 60));
    }
}
