/* The power button `osbox vm stop` presses: a guest-visible request to shut
 * down before the VM is killed. The monitor's main thread takes SIGUSR2 on
 * its signalfd (run.c) and calls power_button_press(): a latch the guest
 * reads (and clears) at port 0x503, and an edge on ISA IRQ 3 so it need not
 * poll. A press before the guest listens stays latched; the osbox guest
 * reads the port once when it installs its handler. Numbers in
 * guest/include/osbox_guest_abi.h. Guests that know nothing of it (Linux)
 * never read the port and are killed after the stop timeout. */
#include <string.h>

#include "guest/include/osbox_guest_abi.h"
#include "vm.h"

static void power_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    struct vm *vm = opaque;
    uint8_t v = atomic_exchange(&vm->power_pressed, false) ? 1 : 0;

    (void)off;
    memset(data, 0, len);
    memcpy(data, &v, 1);
}

static const struct bus_ops power_ops = { power_read, NULL };

int power_button_setup(struct vm *vm, struct osbox_err *err)
{
    atomic_store(&vm->power_pressed, false);
    if (bus_register(&vm->pio, OSBOX_POWER_PORT, 1, &power_ops, vm) < 0)
        return osbox_error(err, 0, "power button port is taken");
    return 0;
}

void power_button_press(struct vm *vm)
{
    atomic_store(&vm->power_pressed, true);
    vm_irq_line(vm, OSBOX_POWER_IRQ, 1);
    vm_irq_line(vm, OSBOX_POWER_IRQ, 0);
    vm_log(vm, "power button pressed");
}
