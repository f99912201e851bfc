/* Guest test: system calls busybox does not exercise much — signal
 * handlers and sigreturn, kill/wait status, SIGSEGV on a read-only page,
 * mmap/munmap/mprotect, file mmap, pipes+poll, dup2/fcntl, vfork+exec
 * (posix_spawn), file ops, time.  Prints one line per failure and a total. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails, checks;
#define CHECK(cond, what) do { checks++; if (!(cond)) { fails++; printf("sysck: FAIL %s (errno %d)\n", what, errno); } } while (0)

static volatile sig_atomic_t got_usr1;
static sigjmp_buf segv_jmp;
static void on_usr1(int sig) { got_usr1 = sig; }
static void on_segv(int sig) { (void)sig; siglongjmp(segv_jmp, 1); }

int main(void)
{
    /* handler, kill to self, state intact after sigreturn */
    volatile long keep = 12345;
    signal(SIGUSR1, on_usr1);
    CHECK(kill(getpid(), SIGUSR1) == 0, "kill self");
    CHECK(got_usr1 == SIGUSR1 && keep == 12345, "SIGUSR1 handler ran and returned");

    /* child killed by SIGTERM: wait status says so */
    pid_t c = fork();
    if (c == 0) { pause(); _exit(0); }
    CHECK(c > 0, "fork");
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    CHECK(kill(c, SIGTERM) == 0, "kill child");
    int st = 0;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child killed by SIGTERM");
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no more children");

    /* anonymous mmap, mprotect to read-only, write faults into a handler */
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap anon");
    CHECK(m[5000] == 0, "mmap demand-zero");
    m[5000] = 7;
    CHECK(mprotect(m, 3 * 4096, PROT_READ) == 0, "mprotect");
    signal(SIGSEGV, on_segv);
    int faulted = 0;
    if (sigsetjmp(segv_jmp, 1) == 0) m[5000] = 8;
    else faulted = 1;
    CHECK(faulted && m[5000] == 7, "write to read-only page raised SIGSEGV");
    signal(SIGSEGV, SIG_DFL);
    CHECK(munmap(m, 3 * 4096) == 0, "munmap");

    /* files: write, pread/pwrite, lseek, ftruncate, rename, mmap, getdents */
    CHECK(mkdir("/tmp/sysck", 0755) == 0 || errno == EEXIST, "mkdir");
    CHECK(chdir("/tmp/sysck") == 0, "chdir");
    char cwd[64];
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp/sysck") == 0, "getcwd");
    int fd = open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open create");
    CHECK(write(fd, "hello world", 11) == 11, "write");
    CHECK(pwrite(fd, "W", 1, 6) == 1, "pwrite");
    char buf[32] = { 0 };
    CHECK(pread(fd, buf, 11, 0) == 11 && strcmp(buf, "hello World") == 0, "pread");
    CHECK(lseek(fd, 0, SEEK_END) == 11, "lseek end");
    CHECK(ftruncate(fd, 5) == 0, "ftruncate");
    struct stat sb;
    CHECK(fstat(fd, &sb) == 0 && sb.st_size == 5 && S_ISREG(sb.st_mode), "fstat size");
    char *fm = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(fm != MAP_FAILED && memcmp(fm, "hello", 5) == 0, "file mmap");
    close(fd);
    CHECK(rename("a.txt", "b.txt") == 0 && access("a.txt", F_OK) != 0 && access("b.txt", F_OK) == 0, "rename");
    DIR *d = opendir(".");
    int seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) seen += strcmp(e->d_name, "b.txt") == 0;
    if (d) closedir(d);
    CHECK(seen == 1, "readdir sees b.txt");
    CHECK(unlink("b.txt") == 0 && open("b.txt", O_RDONLY) < 0 && errno == ENOENT, "unlink");
    CHECK(chdir("/") == 0 && rmdir("/tmp/sysck") == 0, "rmdir");
    CHECK(open("/no/such/file", O_RDONLY) < 0 && errno == ENOENT, "ENOENT");
    CHECK(open("/etc/passwd/x", O_RDONLY) < 0 && errno == ENOTDIR, "ENOTDIR");

    /* pipes, poll, dup2, fcntl */
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC, "FD_CLOEXEC");
    struct pollfd pf = { p[0], POLLIN, 0 };
    CHECK(poll(&pf, 1, 0) == 0, "poll empty pipe");
    CHECK(write(p[1], "x", 1) == 1 && poll(&pf, 1, 100) == 1 && (pf.revents & POLLIN), "poll readable");
    CHECK(dup2(p[0], 20) == 20 && read(20, buf, 1) == 1 && buf[0] == 'x', "dup2 + read");
    close(p[1]);
    CHECK(read(p[0], buf, 1) == 0, "EOF after writer closed");
    close(p[0]);
    close(20);

    /* posix_spawn (vfork-style clone) + exec + exit status */
    pid_t sp;
    char *argv[] = { "/bin/busybox", "sh", "-c", "exit 5", NULL };
    CHECK(posix_spawn(&sp, argv[0], NULL, NULL, argv, NULL) == 0, "posix_spawn");
    CHECK(waitpid(sp, &st, 0) == sp && WIFEXITED(st) && WEXITSTATUS(st) == 5, "spawned child status");

    /* clocks */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ts.tv_nsec = 30 * 1000 * 1000;
    nanosleep(&ts, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CHECK(ms >= 29 && ms < 2000, "nanosleep 30ms");

    printf("sysck: %d checks, %d failed\n", checks, fails);
    return fails != 0;
}
