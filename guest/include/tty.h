#ifndef GUEST_TTY_H
#define GUEST_TTY_H
#include "types.h"
void tty_input(char c);
void uart_enable_rx_irq(void);
#endif
