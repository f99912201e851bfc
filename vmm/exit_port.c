/* osbox's own ports: 0x501 takes the VM's exit status (and stops it),
 * 0x502 takes boot-time marks (1 = kernel entry, 2 = init started).
 * Port 0x80 (POST codes, used by guests as an I/O delay) is swallowed. */
#include <string.h>

#include "guest/include/osbox_guest_abi.h"
#include "vm.h"

static void port_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    (void)opaque, (void)off;
    memset(data, 0, len);
}

static uint32_t value(const void *data, uint32_t len)
{
    uint32_t v = 0;

    memcpy(&v, data, len < 4 ? len : 4);
    return v;
}

static void exit_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    struct vm *vm = opaque;

    (void)off;
    vm_set_exit_status(vm, (int)(value(data, len) & 0xff));
    vm_stop(vm, VMM_STOP_EXIT_PORT, NULL);
}

static void boot_time_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    struct vm *vm = opaque;
    uint32_t mark = value(data, len);
    double now = vm_elapsed_ms(vm);

    (void)off;
    pthread_mutex_lock(&vm->lock);
    if (mark == OSBOX_BOOT_KERNEL_ENTRY && vm->res->entry_ms < 0)
        vm->res->entry_ms = now;
    else if (mark == OSBOX_BOOT_INIT_EXEC && vm->res->init_ms < 0)
        vm->res->init_ms = now;
    pthread_mutex_unlock(&vm->lock);
}

static const struct bus_ops exit_ops = { port_read, exit_write };
static const struct bus_ops boot_time_ops = { port_read, boot_time_write };
static const struct bus_ops post_ops = { port_read, NULL };

int exit_port_setup(struct vm *vm, struct osbox_err *err)
{
    if (bus_register(&vm->pio, OSBOX_EXIT_PORT, 1, &exit_ops, vm) < 0 ||
        bus_register(&vm->pio, OSBOX_BOOT_PORT, 1, &boot_time_ops, vm) < 0 ||
        bus_register(&vm->pio, 0x80, 1, &post_ops, vm) < 0)
        return osbox_error(err, 0, "exit/boot-time ports are taken");
    return 0;
}
