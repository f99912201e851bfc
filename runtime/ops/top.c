/* osbox top: the container's processes as the host's ps shows them (its
 * options, default -ef), keeping the rows of processes in the container's
 * pid namespace and adding each one's pid inside the container (CPID, the
 * last NSpid of /proc/N/status), as Docker filters ps by the container's pids. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

extern char **environ;

static int ns_inode(pid_t pid, ino_t *ino)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
    if (stat(path, &st) < 0)
        return -1;
    *ino = st.st_ino;
    return 0;
}

/* The pid inside its innermost pid namespace ("NSpid: 4242 7"). */
static pid_t inner_pid(pid_t pid)
{
    char path[64], line[256];
    pid_t inner = 0;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "NSpid:", 6))
            continue;
        for (char *p = strtok(line + 6, " \t\n"); p; p = strtok(NULL, " \t\n"))
            inner = (pid_t)atoi(p);
        break;
    }
    return inner;
}

int container_pids(const char *id, struct container_pid **out, size_t *n, struct osbox_err *err)
{
    struct container_live l;
    ino_t ns, other;
    DIR *d;
    struct dirent *e;

    *out = NULL;
    *n = 0;
    container_live_read(id, &l);
    if (!l.running || ns_inode(l.pid, &ns) < 0) {
        osbox_error(err, 0, "container %.12s is not running", id);
        err->errnum = ESRCH;
        return -1;
    }
    if (!(d = opendir("/proc")))
        return osbox_error(err, errno, "open /proc");
    while ((e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || ns_inode(pid, &other) < 0 || other != ns)
            continue;
        *out = realloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = (struct container_pid){ .pid = pid, .ctr_pid = inner_pid(pid) };
    }
    closedir(d);
    return 0;
}

/* Which column of ps's header is PID (0-based, by whitespace), -1 if none. */
static int pid_column(const char *header)
{
    _cleanup_free_ char *copy = osbox_xstrdup(header);
    int col = 0;

    for (char *t = strtok(copy, " \t\n"); t; t = strtok(NULL, " \t\n"), col++)
        if (!strcmp(t, "PID"))
            return col;
    return -1;
}

static pid_t field_pid(const char *line, int col)
{
    _cleanup_free_ char *copy = osbox_xstrdup(line);
    int i = 0;

    for (char *t = strtok(copy, " \t\n"); t; t = strtok(NULL, " \t\n"), i++)
        if (i == col)
            return (pid_t)atoi(t);
    return 0;
}

int container_top(const char *id, char *const *ps_args, FILE *out, struct osbox_err *err)
{
    struct container_pid *pids;
    size_t n;
    int pfd[2], efd[2], status, rc = 0;
    pid_t child;
    posix_spawn_file_actions_t fa;
    char **argv = NULL;

    if (container_pids(id, &pids, &n, err) < 0)
        return -1;
    osbox_strv_push(&argv, "ps");
    if (!ps_args || !ps_args[0])
        osbox_strv_push(&argv, "-ef");
    for (size_t i = 0; ps_args && ps_args[i]; i++)
        osbox_strv_push(&argv, ps_args[i]);
    if (pipe2(pfd, O_CLOEXEC) < 0 || pipe2(efd, O_CLOEXEC) < 0) {
        free(pids);
        osbox_strv_free(argv);
        return osbox_error(err, errno, "pipe");
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, efd[1], STDERR_FILENO);
    rc = posix_spawnp(&child, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    close(efd[1]);
    if (rc != 0) {
        close(pfd[0]);
        close(efd[0]);
        free(pids);
        osbox_strv_free(argv);
        return osbox_error(err, rc, "run ps");
    }
    FILE *f = fdopen(pfd[0], "r");
    char *line = NULL;
    size_t cap = 0;
    int col = -1;
    bool first = true;
    while (f && getline(&line, &cap, f) > 0) {
        if (first) {
            first = false;
            col = pid_column(line);
            if (col >= 0)
                fprintf(out, "%-6s %s", "CPID", line);
            continue;
        }
        if (col < 0)
            continue;
        pid_t p = field_pid(line, col);
        for (size_t i = 0; i < n; i++)
            if (pids[i].pid == p)
                fprintf(out, "%-6d %s", (int)pids[i].ctr_pid, line);
    }
    free(line);
    if (f)
        fclose(f);
    char ebuf[512] = "";
    ssize_t en = read(efd[0], ebuf, sizeof ebuf - 1);
    close(efd[0]);
    ebuf[en > 0 ? en : 0] = '\0';
    ebuf[strcspn(ebuf, "\n")] = '\0';
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = osbox_error(err, 0, "ps %s failed%s%s", argv[1] ? argv[1] : "", *ebuf ? ": " : "", ebuf);
    else if (col < 0)
        rc = osbox_error(err, 0, "ps output has no PID column (give options that show it, e.g. -o pid,comm)");
    free(pids);
    osbox_strv_free(argv);
    return rc;
}
