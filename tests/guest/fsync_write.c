/* Guest test: write a file and fsync it (read back after a reboot). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: fsync_write FILE TEXT\n"); return 2; }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    char buf[64 * 1024];
    /* a large body (several blocks, an indirect block) then the text */
    memset(buf, 'x', sizeof buf);
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
    size_t n = strlen(argv[2]);
    if (write(fd, argv[2], n) != (ssize_t)n || write(fd, "\n", 1) != 1) { perror("write"); return 1; }
    if (fsync(fd)) { perror("fsync"); return 1; }
    close(fd);
    printf("fsync_write: wrote %zu bytes to %s\n", sizeof buf + n + 1, argv[1]);
    return 0;
}
