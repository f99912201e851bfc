/* osbox login / logout: registry credentials in auth.json. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "images/images.h"
#include "util.h"

static void login_usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox login [-u USER] [-p PASSWORD | --password-stdin] REGISTRY\n"
            "       osbox logout REGISTRY\n"
            "\n"
            "Check credentials against REGISTRY (HOST[:PORT]) and keep them for pull and\n"
            "push in $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json (the\n"
            "file Podman and skopeo read; mode 0600). Without -u and a password both are\n"
            "asked for on the terminal. Passwords are never printed.\n"
            "Exit status: 0 done, 2 usage, 125 refused or failed.\n");
}

/* One line from f without its newline; echo off when f is a terminal. */
static char *read_line(FILE *f, const char *prompt)
{
    struct termios old, quiet;
    bool tty = isatty(fileno(f)) && prompt;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (tty) {
        fprintf(stderr, "%s", prompt);
        if (!strncmp(prompt, "Password", 8) && tcgetattr(fileno(f), &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(fileno(f), TCSAFLUSH, &quiet);
        } else {
            tty = false;
        }
    }
    n = getline(&line, &cap, f);
    if (tty) {
        tcsetattr(fileno(f), TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

static int login_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'p' },
        { "password-stdin", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    _cleanup_free_ char *user = NULL, *pass = NULL, *path = NULL;
    bool from_stdin = false;
    struct osbox_err err;
    int c, rc;

    osbox_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+u:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'u': free(user); user = osbox_xstrdup(optarg); break;
        case 'p': free(pass); pass = osbox_xstrdup(optarg); break;
        case 's': from_stdin = true; break;
        case 'h': login_usage(stdout); return 0;
        default: login_usage(stderr); return OSBOX_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        login_usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    if (from_stdin && pass)
        return cli_failf(OSBOX_EXIT_USAGE, "login: give -p or --password-stdin, not both");
    if (from_stdin && !user)
        return cli_failf(OSBOX_EXIT_USAGE, "login: --password-stdin needs -u USER");
    if (!user && !(user = read_line(stdin, "Username: ")))
        return cli_failf(OSBOX_EXIT_USAGE, "login: no user name given");
    if (!pass && !(pass = read_line(stdin, from_stdin ? NULL : "Password: ")))
        return cli_failf(OSBOX_EXIT_USAGE, "login: no password given");
    rc = images_login(argv[optind], user, pass, &path, &err);
    explicit_bzero(pass, strlen(pass));
    if (rc < 0)
        return cli_fail(&err);
    printf("Login succeeded (credentials in %s)\n", path);
    return 0;
}

static int logout_main(int argc, char **argv)
{
    struct osbox_err err;

    osbox_err_clear(&err);
    if (cli_wants_help(argc, argv)) {
        login_usage(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        login_usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    if (images_logout(argv[1], &err) < 0)
        return cli_fail(&err);
    printf("Removed the credentials for %s\n", argv[1]);
    return 0;
}

OSBOX_COMMAND(login_command, .name = "login", .summary = "Log in to a registry",
              .main = login_main)
OSBOX_COMMAND(logout_command, .name = "logout", .summary = "Forget a registry's credentials",
              .main = logout_main)
