/* Health checks, as Docker's HEALTHCHECK and `run --health-*`: a command
 * run inside the container (as `osbox exec` runs one) every interval by
 * the process that holds the container (its monitor, or a foreground
 * osbox), killed at its timeout; its results make the container's health
 * "starting", "healthy" or "unhealthy".
 *
 * Files in the container's directory:
 *   healthcheck.json  the check (Docker's Config.Healthcheck: Test, Interval,
 *                     Timeout, StartPeriod, Retries; durations in ns), written
 *                     by run, read at every start
 *   health.json       the state (Docker's State.Health: Status, FailingStreak,
 *                     Log of the last 5 results), replaced atomically under
 *                     health.lock by the checker and by `osbox healthcheck run`
 */
#ifndef OSBOX_RUNTIME_HEALTH_H
#define OSBOX_RUNTIME_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define HEALTH_DEFAULT_INTERVAL_NS (30LL * 1000000000)
#define HEALTH_DEFAULT_TIMEOUT_NS (30LL * 1000000000)
#define HEALTH_DEFAULT_RETRIES 3
#define HEALTH_OUTPUT_MAX 4096 /* bytes of a probe's output kept, as Docker */
#define HEALTH_LOG_MAX 5       /* results kept in the log, as Docker */

/* health_config.c: the check. */
struct health_config {
    char **test;            /* ["CMD", arg...] or ["CMD-SHELL", command]; NULL: no check */
    int64_t interval_ns, timeout_ns, start_period_ns; /* 0: the default (30s, 30s, 0) */
    int retries;            /* 0: the default (3) */
};
/* Test's form and the durations (each 0 or at least 1 ms), as Docker's daemon checks them. */
int health_config_validate(const struct health_config *c, struct osbox_err *err);
/* Save (a config without test removes the file) and load (test NULL when the
 * container has none). */
int health_config_save(const char *id, const struct health_config *c, struct osbox_err *err);
int health_config_load(const char *id, struct health_config *c, struct osbox_err *err);
json_t *health_config_json(const struct health_config *c); /* Docker's Config.Healthcheck */
void health_config_free(struct health_config *c);
/* The command a probe runs: CMD's arguments, or /bin/sh -c for CMD-SHELL. */
char **health_config_argv(const struct health_config *c);
/* "30s", "1m30s", "300ms", as Go prints a duration. */
void health_format_duration(int64_t ns, char *buf, size_t size);

/* health_probe.c: one probe. */
struct health_result {
    int64_t start_ns, end_ns; /* CLOCK_REALTIME */
    int exit_code;            /* the command's; -1: it could not run, or timed out */
    char output[HEALTH_OUTPUT_MAX + 1]; /* stdout and stderr together, or why it failed */
};
/* Run the check once in the running container id, bounded by its timeout
 * (then the command's process group is killed). Always fills r. */
void health_probe(const char *id, const struct health_config *c, struct health_result *r);

/* health.c: the state and the periodic checker. */
/* The container (re)started: health "starting", the failing streak 0, then a
 * checker process (a child of the caller, which must call health_checker_stop
 * once the container has exited). Returns its pid, or 0 when the container
 * has no check. */
pid_t health_checker_start(const char *id, pid_t init, unsigned long long init_start);
void health_checker_stop(pid_t checker);
/* A probe's result into health.json (status, streak, log); a change of status
 * is logged as the event "health_status: STATUS". */
void health_record(const char *id, const struct health_config *c, const struct health_result *r);
/* Docker's State.Health, or NULL without one. */
json_t *health_state_json(const char *id);
/* "starting", "healthy", "unhealthy" (malloc'd), or NULL without a check. */
char *health_status(const char *id);
/* osbox healthcheck run: one probe now, recorded; 0 with *healthy, or -1
 * (no such container, no check, not running). */
int container_healthcheck_run(const char *id, bool *healthy, struct osbox_err *err);

#endif
