#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H
#include "types.h"
#include "trap.h"
typedef long (*syscall_fn)(u64, u64, u64, u64, u64, u64, struct trapframe *);
#define SYSCALL(name) long name(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, struct trapframe *tf)
#define UNUSED_ARGS (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; (void)tf
struct file *fd_get(int fd);
int fd_install(struct file *f, int min, bool cloexec);
#endif
