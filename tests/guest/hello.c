/* Guest test: the smallest static musl program, plus an unknown system
 * call (twice) that must fail with ENOSYS and be logged once. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    printf("hello from musl (argc=%d argv[0]=%s)\n", argc, argv[0]);
    for (int i = 0; i < 2; i++) {
        long r = syscall(4242);
        printf("syscall 4242 -> %ld errno=%d\n", r, errno);
    }
    return 0;
}
