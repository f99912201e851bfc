/* Just enough of the i8042 keyboard controller for a guest to reset the
 * machine: command 0xFE on port 0x64 pulses the reset line, which ends the
 * VM (exit status 0 unless the guest set one through the exit port). */
#include <string.h>

#include "guest/include/osbox_guest_abi.h"
#include "vm.h"

#define I8042_DATA 0x60

static void i8042_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    (void)opaque;
    (void)off;
    memset(data, 0, len); /* status: no data, input buffer empty */
}

static void i8042_write_data(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    (void)opaque, (void)off, (void)data, (void)len; /* no keyboard behind it */
}

static void i8042_write_cmd(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    struct vm *vm = opaque;
    uint8_t v;

    (void)off, (void)len;
    memcpy(&v, data, 1);
    if (v == OSBOX_I8042_RESET)
        vm_stop(vm, VMM_STOP_RESET, NULL);
}

static const struct bus_ops data_ops = { i8042_read, i8042_write_data };
static const struct bus_ops cmd_ops = { i8042_read, i8042_write_cmd };

int i8042_setup(struct vm *vm, struct osbox_err *err)
{
    /* 0x61 (speaker/PIT gate) sits between 0x60 and 0x64 but belongs to the
     * in-kernel PIT, so register the two ports separately. */
    if (bus_register(&vm->pio, I8042_DATA, 1, &data_ops, vm) < 0 ||
        bus_register(&vm->pio, OSBOX_I8042_CMD_PORT, 1, &cmd_ops, vm) < 0)
        return osbox_error(err, 0, "i8042 ports are taken");
    return 0;
}
