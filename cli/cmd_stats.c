/* osbox stats: CPU, memory, network, block I/O and tasks of running
 * containers, as a table (Docker's columns) or JSON; refreshed every second
 * unless --no-stream. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

/* Docker's units: binary for memory ("1.5MiB"), decimal for I/O ("1.2kB"). */
static void human(char *buf, size_t size, uint64_t v, bool binary)
{
    static const char *const bin[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    static const char *const dec[] = { "B", "kB", "MB", "GB", "TB" };
    double base = binary ? 1024.0 : 1000.0, x = (double)v;
    int u = 0;

    while (x >= base && u < 4) {
        x /= base;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%" PRIu64 "B", v);
    else
        snprintf(buf, size, "%.4g%s", x, binary ? bin[u] : dec[u]);
}

struct row {
    char id[65];
    char *name;
    bool running;
    struct container_stats st;
    double cpu;
};

static void print_table(const struct row *rows, size_t n, bool clear)
{
    if (clear)
        fputs("\033[2J\033[H", stdout);
    printf("%-12s  %-20s  %7s  %-21s  %6s  %-19s  %-19s  %s\n", "CONTAINER ID", "NAME", "CPU %",
           "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
    for (size_t i = 0; i < n; i++) {
        const struct osbox_cgroup_usage *u = &rows[i].st.usage;
        char mu[16], ml[16], rx[16], tx[16], br[16], bw[16], mem[40], net[40], blk[40];
        human(mu, sizeof mu, u->memory_usage, true);
        human(ml, sizeof ml, u->memory_limit, true);
        human(rx, sizeof rx, rows[i].st.net_rx, false);
        human(tx, sizeof tx, rows[i].st.net_tx, false);
        human(br, sizeof br, u->io_read, false);
        human(bw, sizeof bw, u->io_write, false);
        snprintf(mem, sizeof mem, "%s / %s", mu, ml);
        snprintf(net, sizeof net, "%s / %s", rx, tx);
        snprintf(blk, sizeof blk, "%s / %s", br, bw);
        printf("%-12.12s  %-20.20s  %6.2f%%  %-21s  %5.2f%%  %-19s  %-19s  %" PRIu64 "\n", rows[i].id,
               rows[i].name, rows[i].cpu, mem, container_mem_percent(&rows[i].st), net, blk, u->pids);
    }
    fflush(stdout);
}

static void print_json(const struct row *rows, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct osbox_cgroup_usage *u = &rows[i].st.usage;
        json_array_append_new(arr, json_pack(
            "{s:s, s:s, s:b, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "id", rows[i].id, "name",
            rows[i].name, "running", rows[i].running, "cpu_percent", rows[i].cpu, "mem_usage",
            (json_int_t)u->memory_usage, "mem_limit", (json_int_t)u->memory_limit, "mem_percent",
            container_mem_percent(&rows[i].st), "net_rx", (json_int_t)rows[i].st.net_rx, "net_tx",
            (json_int_t)rows[i].st.net_tx, "block_read", (json_int_t)u->io_read, "block_write",
            (json_int_t)u->io_write, "pids", (json_int_t)u->pids));
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    printf("%s\n", s ? s : "[]");
    free(s);
    json_decref(arr);
    fflush(stdout);
}

/* One round: the named containers (all running ones without names), with
 * CPU % against the previous round's sample of the same container. */
static void sample(char **ids, bool named, struct row **rows, size_t *n)
{
    struct row *old = *rows, *cur = NULL;
    size_t nold = *n, ncur = 0;

    for (size_t i = 0; ids[i]; i++) {
        struct row r = { 0 };
        struct osbox_err err;
        struct osbox_record rec;

        snprintf(r.id, sizeof r.id, "%s", ids[i]);
        r.running = container_stats_read(ids[i], &r.st, &err) == 0;
        if (!r.running && !named)
            continue;
        if (!r.running)
            memset(&r.st, 0, sizeof r.st);
        const struct container_stats *prev = NULL;
        for (size_t k = 0; k < nold; k++)
            if (!strcmp(old[k].id, r.id) && old[k].running && old[k].st.started_us == r.st.started_us)
                prev = &old[k].st;
        r.cpu = r.running ? container_cpu_percent(prev, &r.st) : 0.0;
        if (state_read_record(ids[i], &rec, &err) == 0) {
            r.name = osbox_xstrdup(rec.name ? rec.name : "");
            osbox_record_free(&rec);
        } else {
            r.name = osbox_xstrdup("");
        }
        cur = realloc(cur, (ncur + 1) * sizeof *cur);
        cur[ncur++] = r;
    }
    for (size_t k = 0; k < nold; k++)
        free(old[k].name);
    free(old);
    *rows = cur;
    *n = ncur;
}

static int stats_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "no-stream", no_argument, NULL, 'n' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool stream = true, json = false;
    int c, status = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': stream = false; break;
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "table"))
                return cli_failf(OSBOX_EXIT_USAGE, "stats: --format is json or table, not '%s'", optarg);
            json = !strcmp(optarg, "json");
            break;
        case 'h':
            printf("Usage: osbox stats [--no-stream] [--format table|json] [CONTAINER...]\n\n"
                   "What running containers use (all of them without names): CPU %% (CPU time over\n"
                   "wall time: 100%% is one busy CPU), memory without inactive page cache / its\n"
                   "limit (the host's memory when unlimited), network I/O of the container's\n"
                   "namespace, block I/O, and tasks. Refreshed every second until interrupted;\n"
                   "--no-stream prints once, with CPU %% averaged over the container's life.\n"
                   "  --format json   an array of objects with the numbers in bytes\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "stats: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    bool named = optind < argc;
    char **ids = osbox_xcalloc(1, sizeof *ids);
    for (int i = optind; i < argc; i++) {
        struct osbox_err err;
        char id[65];
        if (container_lookup(argv[i], id, &err) < 0)
            status = cli_fail(&err);
        else
            osbox_strv_push(&ids, id);
    }
    if (status) {
        osbox_strv_free(ids);
        return status;
    }
    struct row *rows = NULL;
    size_t n = 0;
    bool tty = isatty(STDOUT_FILENO);
    for (;;) {
        if (!named) {
            osbox_strv_free(ids);
            ids = container_ids();
        }
        sample(ids, named, &rows, &n);
        json ? print_json(rows, n) : print_table(rows, n, stream && tty && !json);
        bool any = false;
        for (size_t i = 0; i < n; i++)
            any = any || rows[i].running;
        if (!stream || (named && !any))
            break;
        sleep(1);
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
    osbox_strv_free(ids);
    return status;
}

OSBOX_COMMAND(stats_command, .name = "stats", .summary = "What running containers use (CPU, memory, I/O)",
              .main = stats_main)
