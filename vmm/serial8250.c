/* COM1: an 8250/16550 UART at 0x3f8, IRQ 4. Output goes straight to the
 * console fd; input comes from a reader thread into a small FIFO and raises
 * the receive interrupt. On a terminal, Ctrl-A x stops the VM. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/include/osbox_guest_abi.h"
#include "vm.h"

#define RX_FIFO   256

enum { IER_RDI = 1, IER_THRI = 2 };
enum { LCR_DLAB = 0x80 };
enum { MCR_LOOP = 0x10 };
enum { LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04 };

struct serial {
    struct vm *vm;
    pthread_mutex_t lock;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thre_pending;
    int irq_level;
    uint8_t rx[RX_FIFO];
    unsigned rx_head, rx_count;
    pthread_t reader;
    bool reader_started;
    bool escape;          /* saw Ctrl-A on a terminal */
    bool tty;
};

static uint8_t iir(struct serial *s)
{
    if ((s->ier & IER_RDI) && s->rx_count)
        return IIR_RDI;
    if ((s->ier & IER_THRI) && s->thre_pending)
        return IIR_THRI;
    return IIR_NONE;
}

static void update_irq(struct serial *s)
{
    int level = iir(s) != IIR_NONE;

    if (level != s->irq_level) {
        s->irq_level = level;
        vm_irq_line(s->vm, OSBOX_COM1_IRQ, level);
    }
}

static void rx_push(struct serial *s, uint8_t c)
{
    if (s->rx_count < RX_FIFO)
        s->rx[(s->rx_head + s->rx_count++) % RX_FIFO] = c;
}

static void tx(struct serial *s, uint8_t c)
{
    if (s->mcr & MCR_LOOP) {
        rx_push(s, c);
        return;
    }
    if (write(s->vm->cfg->console_out, &c, 1) < 0) {
        /* the console went away (closed pipe): drop output, keep the guest running */
    }
}

static void serial_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    struct serial *s = opaque;
    uint8_t v = 0;

    pthread_mutex_lock(&s->lock);
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            v = s->dll;
        } else if (s->rx_count) {
            v = s->rx[s->rx_head];
            s->rx_head = (s->rx_head + 1) % RX_FIFO;
            s->rx_count--;
        }
        break;
    case 1: v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier; break;
    case 2:
        v = iir(s);
        if (v == IIR_THRI)
            s->thre_pending = false;
        if (s->fcr & 1)
            v |= 0xc0;
        break;
    case 3: v = s->lcr; break;
    case 4: v = s->mcr; break;
    case 5: v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0); break;
    case 6:
        if (s->mcr & MCR_LOOP) /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
            v = (uint8_t)(((s->mcr & 1) << 5) | ((s->mcr & 2) << 3) | ((s->mcr & 4) << 4) |
                          ((s->mcr & 8) << 4));
        else
            v = 0xb0; /* DCD, DSR, CTS */
        break;
    case 7: v = s->scr; break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    memset(data, 0, len);
    memcpy(data, &v, 1);
}

static void serial_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    struct serial *s = opaque;
    uint8_t v;

    (void)len;
    memcpy(&v, data, 1);
    pthread_mutex_lock(&s->lock);
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
        } else {
            tx(s, v);
            s->thre_pending = true; /* the transmitter is empty again at once */
        }
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
        } else {
            if ((v & IER_THRI) && !(s->ier & IER_THRI))
                s->thre_pending = true;
            s->ier = v & 0x0f;
        }
        break;
    case 2: s->fcr = v; if (v & 2) s->rx_count = 0; break;
    case 3: s->lcr = v; break;
    case 4: s->mcr = v & 0x1f; break;
    case 7: s->scr = v; break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

static const struct bus_ops serial_ops = { serial_read, serial_write };

/* Feed input bytes to the guest; false when the user asked to quit. */
static bool feed(struct serial *s, const uint8_t *buf, ssize_t n)
{
    pthread_mutex_lock(&s->lock);
    for (ssize_t i = 0; i < n; i++) {
        if (s->tty && s->escape) {
            s->escape = false;
            if (buf[i] == 'x') {
                pthread_mutex_unlock(&s->lock);
                return false;
            }
            if (buf[i] != 1)
                rx_push(s, 1);
        } else if (s->tty && buf[i] == 1) {
            s->escape = true;
            continue;
        }
        rx_push(s, buf[i]);
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return true;
}

static void *reader_thread(void *arg)
{
    struct serial *s = arg;
    struct vm *vm = s->vm;
    struct pollfd p[2] = { { .fd = vm->cfg->console_in, .events = POLLIN },
                           { .fd = vm->stop_efd, .events = POLLIN } };
    uint8_t buf[64];

    while (!atomic_load(&vm->stopping)) {
        unsigned room;

        pthread_mutex_lock(&s->lock);
        room = RX_FIFO - s->rx_count;
        pthread_mutex_unlock(&s->lock);
        /* A full FIFO: let the guest drain it before reading more. */
        if (poll(p, room >= sizeof buf ? 2 : 1, room >= sizeof buf ? -1 : 10) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (room < sizeof buf || !p[0].revents)
            continue;
        ssize_t n = read(p[0].fd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            break; /* EOF: no more input */
        }
        if (!feed(s, buf, n)) {
            vm_stop(vm, VMM_STOP_SIGNAL, "stopped from the console (Ctrl-A x)");
            break;
        }
    }
    return NULL;
}

int serial_setup(struct vm *vm, struct osbox_err *err)
{
    struct serial *s = calloc(1, sizeof *s);
    int r;

    if (!s)
        return osbox_error(err, ENOMEM, "serial");
    s->vm = vm;
    pthread_mutex_init(&s->lock, NULL);
    vm->serial = s;
    if (bus_register(&vm->pio, OSBOX_COM1_PORT, 8, &serial_ops, s) < 0)
        return osbox_error(err, 0, "COM1 ports are taken");
    if (vm->cfg->console_in >= 0) {
        s->tty = isatty(vm->cfg->console_in);
        r = pthread_create(&s->reader, NULL, reader_thread, s);
        if (r)
            return osbox_error(err, r, "start the console reader");
        s->reader_started = true;
    }
    return 0;
}

void serial_teardown(struct vm *vm)
{
    struct serial *s = vm->serial;

    if (!s)
        return;
    if (s->reader_started)
        pthread_join(s->reader, NULL);
    pthread_mutex_destroy(&s->lock);
    free(s);
    vm->serial = NULL;
}
