/* Guest test: a program that dereferences a bad pointer must be killed (SIGSEGV). */
#include <stdio.h>
#include <stdint.h>
int main(int argc, char **argv)
{
    (void)argv;
    volatile int *bad = (volatile int *)(uintptr_t)(argc * 16);
    printf("segv: about to fault\n");
    fflush(stdout);
    *bad = 1;
    printf("segv: still alive?!\n");
    return 0;
}
