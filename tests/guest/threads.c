/* Guest test: threads (clone), mutexes (futex) and join: the total must be exact. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define ITERS 20000
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        long v = counter;
        if ((i & 1023) == 0) sched_yield();   /* widen the race window */
        counter = v + 1;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, work, NULL)) { perror("pthread_create"); return 1; }
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    printf("threads: counter=%ld expected=%d\n", counter, NTHREADS * ITERS);
    return counter == NTHREADS * ITERS ? 0 : 1;
}
