/* Signals as users write them: "TERM", "SIGTERM", "sigterm" or "15". One
 * parser for `osbox kill -s` and `osbox-oci kill`. */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int osbox_parse_signal(const char *s)
{
    long long n;
    struct osbox_err err;

    if (osbox_parse_int(s, 1, SIGRTMAX, &n, &err) == 0)
        return (int)n;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && !strcasecmp(abbrev, s))
            return sig;
    }
    return -1;
}
