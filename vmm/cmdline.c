/* vmm_cmdline_insert: kernel parameters go before init's arguments. Linux
 * (parse_args) and the osbox guest (init.c) both stop reading kernel
 * parameters at the first word that is exactly "--" outside double quotes;
 * what follows is init's argv. Parameters the monitor or osbox add
 * (virtio_mmio.device=, ip=) must land before it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "vmm.h"

const char *vmm_cmdline_init_args(const char *cmdline)
{
    bool quoted = false;

    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!quoted && p[0] == '-' && p[1] == '-' && (p[2] == ' ' || !p[2]))
            return p;
        for (; *p && (quoted || *p != ' '); p++)
            if (*p == '"')
                quoted = !quoted;
    }
    return NULL;
}

char *vmm_cmdline_insert(const char *cmdline, const char *params)
{
    const char *dd;
    size_t head;

    cmdline = cmdline ? cmdline : "";
    if (!params || !*params)
        return osbox_strdup_printf("%s", cmdline);
    dd = vmm_cmdline_init_args(cmdline);
    head = dd ? (size_t)(dd - cmdline) : strlen(cmdline);
    while (head && cmdline[head - 1] == ' ')
        head--;
    return osbox_strdup_printf("%.*s%s%s%s%s", (int)head, cmdline, head ? " " : "", params,
                               dd ? " " : "", dd ? dd : "");
}
