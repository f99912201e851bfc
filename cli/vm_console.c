#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "vm_console.h"
#include "vm_monitor.h"

int vm_run_attached(struct vmm_config *cfg, bool boot_time)
{
    struct osbox_err err = { 0 };
    struct vmm_result res = { 0 };
    struct termios saved;
    bool raw = false;
    int r;

    if (cfg->console_in >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        /* Output keeps \n -> \r\n; input is passed on byte by byte. */
        t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }
    r = vm_monitor_run(cfg, &res, &err); /* osbox-vmm */
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (r < 0)
        return cli_fail(&err);
    if (boot_time) {
        fprintf(stderr, "boot-time: setup %.2f ms", res.setup_ms);
        if (res.entry_ms >= 0)
            fprintf(stderr, ", kernel entry %.2f ms", res.entry_ms);
        if (res.init_ms >= 0)
            fprintf(stderr, ", init %.2f ms", res.init_ms);
        fputc('\n', stderr);
    }
    if (res.reason == VMM_STOP_TRIPLE_FAULT || res.reason == VMM_STOP_INTERNAL ||
        res.reason == VMM_STOP_SIGNAL)
        fprintf(stderr, "osbox: vm: %s\n", res.detail[0] ? res.detail : "stopped");
    return res.exit_status;
}
