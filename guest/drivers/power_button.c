/* The monitor's power button (guest/include/osbox_guest_abi.h): `osbox vm
 * stop` latches a press and raises IRQ 3. A press is a request to shut
 * down, answered as `docker stop` is in a container: SIGTERM to init, whose
 * exit ends the VM with its status (143 if it does not catch it). The port
 * says whether the interrupt really is a press, so a stray edge kills nothing. */
#include "kernel.h"
#include "proc.h"
#include "trap.h"
#include "osbox_guest_abi.h"

static void power_check(void *arg)
{
    (void)arg;
    if (inb(OSBOX_POWER_PORT) == 1)
        send_signal(1, SIGTERM);
}

void power_button_init(void)
{
    irq_register(OSBOX_POWER_IRQ, power_check, NULL);
    power_check(NULL); /* a press before init ran */
}
