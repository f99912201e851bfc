/* 8250 UART on COM1: polled output, interrupt-driven input. */
#include "kernel.h"
#include "tty.h"
#include "proc.h"

#define COM OSBOX_COM1_PORT

void uart_init(void)
{
    outb(COM + 1, 0);       /* no interrupts yet */
    outb(COM + 3, 0x80);    /* DLAB */
    outb(COM + 0, 1);       /* 115200 */
    outb(COM + 1, 0);
    outb(COM + 3, 0x03);    /* 8N1 */
    outb(COM + 2, 0);       /* no FIFO: enabling it would drop input that arrived early */
    outb(COM + 4, 0x0b);    /* DTR RTS OUT2 (OUT2 gates the IRQ line) */
}

void uart_enable_rx_irq(void) { outb(COM + 1, 0x01); }

void uart_putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM + 5) & 0x20); i++)
        ;
    outb(COM, (u8)c);
}

void uart_irq(void)
{
    for (int i = 0; i < 64 && (inb(COM + 5) & 1); i++)
        tty_input((char)inb(COM));
}
