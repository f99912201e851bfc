#include "kernel.h"
#include "proc.h"
void force_signal(struct proc *p, int sig){(void)p;(void)sig;}
void return_to_user_work(struct trapframe *tf){(void)tf;}
void blk_poll_all(void){}
void tty_input(char c){(void)c;}
void init_start(void *a){(void)a; printk("init thread\n"); machine_exit(3);}
int syscall_dispatch(void *tf){(void)tf;return 1;}
