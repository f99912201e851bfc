/* Guest test: burn CPU for N seconds without syscalls, then report. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2, start = now();
    volatile unsigned long x = 0;
    while (now() - start < secs)
        for (int i = 0; i < 100000; i++) x += i;
    printf("hog: done after %.1f s\n", now() - start);
    return 0;
}
