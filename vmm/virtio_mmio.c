/* virtio-mmio version 2 transport (virtio 1.x, section 4.2). Each device
 * gets a 0x200 window at 0xd0000000 + n*0x200 and IRQ 5+n. Queue kicks
 * arrive on ioeventfds (no exit to userspace for QueueNotify), interrupts
 * leave through an irqfd, and a thread per device serves its queues. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio_mmio.h"
#include "vm.h"

enum {
    REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
    REG_DEV_FEATURES = 0x010, REG_DEV_FEATURES_SEL = 0x014,
    REG_DRV_FEATURES = 0x020, REG_DRV_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
    REG_INT_STATUS = 0x060, REG_INT_ACK = 0x064, REG_STATUS = 0x070,
    REG_QUEUE_DESC_LO = 0x080, REG_QUEUE_DESC_HI = 0x084,
    REG_QUEUE_AVAIL_LO = 0x090, REG_QUEUE_AVAIL_HI = 0x094,
    REG_QUEUE_USED_LO = 0x0a0, REG_QUEUE_USED_HI = 0x0a4,
    REG_SHM_LEN_LO = 0x0b0, REG_SHM_LEN_HI = 0x0b4,
    REG_CONFIG_GEN = 0x0fc, REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define OSBOX_VENDOR_ID   0x584f424fu /* "OBOX" */

struct virtio_mmio {
    struct vm *vm;
    struct virtio_dev *dev;
    int index, irq;
    uint64_t base;
    pthread_mutex_t lock;
    uint32_t dev_feat_sel, drv_feat_sel, queue_sel, status, isr;
    int irqfd;
    int kickfd[VIRTIO_MAX_QUEUES];
    int wakefd;               /* the service thread re-reads its poll set */
    pthread_t thread;
    bool thread_started;
    bool broken;              /* driver broke the protocol; waits for a reset */
};

static void raise_irq(struct virtio_mmio *t, uint32_t why)
{
    uint64_t one = 1;

    __atomic_fetch_or(&t->isr, why, __ATOMIC_SEQ_CST);
    if (write(t->irqfd, &one, sizeof one) < 0) {
        /* cannot fail for a valid eventfd short of counter overflow */
    }
}

static void dev_interrupt(struct virtio_dev *dev)
{
    raise_irq(dev->transport, VIRTIO_ISR_USED);
}

static void dev_log(struct virtio_dev *dev, const char *msg)
{
    struct virtio_mmio *t = dev->transport;

    vm_log(t->vm, "%s%d: %s", dev->ops->name, t->index, msg);
}

/* The driver broke the protocol: report it, stop serving, ask for a reset. */
static void fail(struct virtio_mmio *t, const char *why)
{
    if (t->broken)
        return;
    t->broken = true;
    t->status |= VIRTIO_STATUS_NEEDS_RESET;
    vm_log(t->vm, "%s%d: %s; device needs reset", t->dev->ops->name, t->index, why);
    raise_irq(t, VIRTIO_ISR_CONFIG);
}

static void wake(struct virtio_mmio *t)
{
    uint64_t one = 1;

    if (t->wakefd >= 0 && write(t->wakefd, &one, sizeof one) < 0) {
    }
}

static void reset(struct virtio_mmio *t)
{
    struct virtio_dev *d = t->dev;

    if (d->ops->reset)
        d->ops->reset(d);
    memset(d->vq, 0, sizeof d->vq);
    d->driver_features = 0;
    t->status = t->isr = 0;
    t->dev_feat_sel = t->drv_feat_sel = t->queue_sel = 0;
    t->broken = false;
    wake(t);
}

static struct virtq *cur_queue(struct virtio_mmio *t)
{
    return t->queue_sel < (uint32_t)t->dev->ops->nqueues ? &t->dev->vq[t->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_mmio *t, uint64_t off)
{
    struct virtio_dev *d = t->dev;
    struct virtq *q = cur_queue(t);

    switch (off) {
    case REG_MAGIC: return VIRTIO_MMIO_MAGIC;
    case REG_VERSION: return 2;
    case REG_DEVICE_ID: return d->ops->device_id;
    case REG_VENDOR_ID: return OSBOX_VENDOR_ID;
    case REG_DEV_FEATURES:
        return t->dev_feat_sel < 2 ? (uint32_t)(d->ops->features(d) >> (32 * t->dev_feat_sel)) : 0;
    case REG_QUEUE_NUM_MAX: return q ? d->ops->queue_max : 0;
    case REG_QUEUE_READY: return q ? q->ready : 0;
    case REG_INT_STATUS: return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
    case REG_STATUS: return t->status;
    case REG_SHM_LEN_LO: case REG_SHM_LEN_HI: return 0xffffffff; /* no shared memory */
    case REG_CONFIG_GEN: return 0;
    default: return 0;
    }
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
    *v = high ? (*v & 0xffffffffULL) | ((uint64_t)val << 32) : (*v & ~0xffffffffULL) | val;
}

static void write_status(struct virtio_mmio *t, uint32_t val)
{
    struct virtio_dev *d = t->dev;
    uint64_t offered = d->ops->features(d);

    if (val == 0) {
        reset(t);
        return;
    }
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Accept only a subset of what we offered, and only modern drivers. */
        const char *why = NULL;
        if ((d->driver_features & ~offered) || !(d->driver_features & VIRTIO_F_VERSION_1)) {
            val &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        } else if (d->ops->activate && d->ops->activate(d, &why) < 0) {
            vm_log(t->vm, "%s%d: %s; features refused", d->ops->name, t->index, why);
            val &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        }
    }
    if ((val & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_DRIVER_OK))
        wake(t); /* the backend fd (a TAP) is worth polling from now on */
    t->status = (val & 0xff) | (t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void reg_write(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
    struct virtio_dev *d = t->dev;
    struct virtq *q = cur_queue(t);
    const char *why;
    uint64_t one = 1;

    switch (off) {
    case REG_DEV_FEATURES_SEL: t->dev_feat_sel = val; break;
    case REG_DRV_FEATURES_SEL: t->drv_feat_sel = val; break;
    case REG_DRV_FEATURES:
        if (t->drv_feat_sel < 2 && !(t->status & VIRTIO_STATUS_FEATURES_OK))
            set_half(&d->driver_features, t->drv_feat_sel, val);
        break;
    case REG_QUEUE_SEL: t->queue_sel = val; break;
    case REG_QUEUE_NUM: if (q && !q->ready) q->size = (uint16_t)(val > 0xffff ? 0 : val); break;
    case REG_QUEUE_DESC_LO: case REG_QUEUE_DESC_HI:
        if (q && !q->ready) set_half(&q->desc_gpa, off == REG_QUEUE_DESC_HI, val);
        break;
    case REG_QUEUE_AVAIL_LO: case REG_QUEUE_AVAIL_HI:
        if (q && !q->ready) set_half(&q->avail_gpa, off == REG_QUEUE_AVAIL_HI, val);
        break;
    case REG_QUEUE_USED_LO: case REG_QUEUE_USED_HI:
        if (q && !q->ready) set_half(&q->used_gpa, off == REG_QUEUE_USED_HI, val);
        break;
    case REG_QUEUE_READY:
        if (!q)
            break;
        if (!val) {
            q->ready = false;
        } else if (!q->ready) {
            if (q->size > d->ops->queue_max) {
                fail(t, "queue size above QueueNumMax");
            } else if (virtq_enable(q, d->mem, &why) < 0) {
                fail(t, why);
            }
        }
        break;
    case REG_QUEUE_NOTIFY:
        /* Normally caught by the ioeventfd; this is the fallback. */
        if (val < (uint32_t)d->ops->nqueues && write(t->kickfd[val], &one, sizeof one) < 0) {
        }
        break;
    case REG_INT_ACK: __atomic_fetch_and(&t->isr, ~val, __ATOMIC_SEQ_CST); break;
    case REG_STATUS: write_status(t, val); break;
    }
}

static void mmio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;

    memset(data, 0, len);
    pthread_mutex_lock(&t->lock);
    if (off >= REG_CONFIG) {
        uint32_t clen = 0;
        const uint8_t *cfg = t->dev->ops->config ? t->dev->ops->config(t->dev, &clen) : NULL;
        uint64_t co = off - REG_CONFIG;
        if (cfg && co < clen && len <= clen - co)
            memcpy(data, cfg + co, len);
    } else if (len == 4 && !(off & 3)) {
        uint32_t v = reg_read(t, off);
        memcpy(data, &v, 4);
    }
    pthread_mutex_unlock(&t->lock);
}

static void mmio_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
    struct virtio_mmio *t = opaque;
    uint32_t v;

    if (off >= REG_CONFIG || len != 4 || (off & 3))
        return; /* config space is read-only for our devices; registers are 32-bit */
    memcpy(&v, data, 4);
    pthread_mutex_lock(&t->lock);
    reg_write(t, off, v);
    pthread_mutex_unlock(&t->lock);
}

static const struct bus_ops mmio_ops = { mmio_read, mmio_write };

static void serve(struct virtio_mmio *t, int q, bool backend)
{
    const char *why = "protocol error";
    int r;

    pthread_mutex_lock(&t->lock);
    if ((t->status & VIRTIO_STATUS_DRIVER_OK) && !t->broken) {
        r = backend ? t->dev->ops->backend_ready(t->dev, &why)
                    : t->dev->ops->queue_notify(t->dev, q, &why);
        if (r < 0)
            fail(t, why);
    }
    pthread_mutex_unlock(&t->lock);
}

/* The backend fd is polled only while the driver runs the device, the
 * device is not broken and the device wants it: otherwise a readable TAP
 * with nobody to take its frames would spin this thread. */
static int backend_fd(struct virtio_mmio *t)
{
    struct virtio_dev *d = t->dev;
    int fd = -1;

    if (!d->ops->backend_fd)
        return -1;
    pthread_mutex_lock(&t->lock);
    if ((t->status & VIRTIO_STATUS_DRIVER_OK) && !t->broken)
        fd = d->ops->backend_fd(d);
    pthread_mutex_unlock(&t->lock);
    return fd;
}

static void *service_thread(void *arg)
{
    struct virtio_mmio *t = arg;
    struct virtio_dev *d = t->dev;
    struct pollfd p[VIRTIO_MAX_QUEUES + 3];
    int nq = d->ops->nqueues, n;
    uint64_t cnt;

    for (int i = 0; i < nq; i++)
        p[i] = (struct pollfd){ .fd = t->kickfd[i], .events = POLLIN };
    p[nq] = (struct pollfd){ .fd = t->vm->stop_efd, .events = POLLIN };
    p[nq + 1] = (struct pollfd){ .fd = t->wakefd, .events = POLLIN };
    while (!atomic_load(&t->vm->stopping)) {
        int bfd = backend_fd(t);
        n = nq + 2;
        if (bfd >= 0)
            p[n++] = (struct pollfd){ .fd = bfd, .events = POLLIN };
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[nq].revents)
            break;
        if (p[nq + 1].revents & POLLIN && read(t->wakefd, &cnt, sizeof cnt) < 0) {
        }
        for (int i = 0; i < nq; i++)
            if (p[i].revents & POLLIN && read(p[i].fd, &cnt, sizeof cnt) == sizeof cnt)
                serve(t, i, false);
        if (n > nq + 2 && p[nq + 2].revents)
            serve(t, 0, true);
    }
    return NULL;
}

int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, struct osbox_err *err)
{
    struct virtio_mmio *t;
    struct kvm_irqfd irqfd = { 0 };
    int r;

    if (vm->nvirtio >= VMM_MAX_DISKS + 1) {
        dev->ops->destroy(dev);
        return osbox_error(err, 0, "too many virtio devices");
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        dev->ops->destroy(dev);
        return osbox_error(err, ENOMEM, "virtio-mmio");
    }
    t->vm = vm;
    t->dev = dev;
    t->index = vm->nvirtio;
    t->irq = VMM_VIRTIO_IRQ_BASE + t->index;
    t->base = VMM_VIRTIO_MMIO_BASE + (uint64_t)t->index * VMM_VIRTIO_MMIO_SIZE;
    t->irqfd = -1;
    t->wakefd = -1;
    for (int i = 0; i < VIRTIO_MAX_QUEUES; i++)
        t->kickfd[i] = -1;
    pthread_mutex_init(&t->lock, NULL);
    dev->transport = t;
    dev->mem = &vm->mem;
    dev->interrupt = dev_interrupt;
    dev->log = dev_log;
    vm->virtio[vm->nvirtio++] = t;

    if (bus_register(&vm->mmio, t->base, VMM_VIRTIO_MMIO_SIZE, &mmio_ops, t) < 0)
        return osbox_error(err, 0, "virtio-mmio window 0x%llx is taken", (unsigned long long)t->base);
    t->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->irqfd < 0)
        return osbox_error(err, errno, "eventfd");
    irqfd.fd = (uint32_t)t->irqfd;
    irqfd.gsi = (uint32_t)t->irq;
    if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
        return osbox_error(err, errno, "KVM_IRQFD for IRQ %d", t->irq);
    for (int i = 0; i < dev->ops->nqueues; i++) {
        struct kvm_ioeventfd io = {
            .datamatch = (uint64_t)i, .addr = t->base + REG_QUEUE_NOTIFY, .len = 4,
            .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
        };
        t->kickfd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (t->kickfd[i] < 0)
            return osbox_error(err, errno, "eventfd");
        io.fd = t->kickfd[i];
        if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
            return osbox_error(err, errno, "KVM_IOEVENTFD for queue %d", i);
    }
    t->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->wakefd < 0)
        return osbox_error(err, errno, "eventfd");
    r = pthread_create(&t->thread, NULL, service_thread, t);
    if (r)
        return osbox_error(err, r, "start the %s thread", dev->ops->name);
    t->thread_started = true;
    return 0;
}

void virtio_teardown_all(struct vm *vm)
{
    for (int i = 0; i < vm->nvirtio; i++) {
        struct virtio_mmio *t = vm->virtio[i];

        if (t->thread_started)
            pthread_join(t->thread, NULL);
        for (int q = 0; q < VIRTIO_MAX_QUEUES; q++)
            if (t->kickfd[q] >= 0)
                close(t->kickfd[q]);
        if (t->irqfd >= 0)
            close(t->irqfd);
        if (t->wakefd >= 0)
            close(t->wakefd);
        t->dev->ops->destroy(t->dev);
        pthread_mutex_destroy(&t->lock);
        free(t);
    }
    vm->nvirtio = 0;
}
