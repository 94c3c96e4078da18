/* The spawn start method: a fresh run of this program (CPython's popen_spawn_posix.py).
 *
 * The child is started with posix_spawn(3) on this program's image (found through /proc/self/exe,
 * so a relative path or a symlink does not matter); its sentinel and reaping are the fork start
 * method's. What the child needs travels in a sealed memfd:
 * a header with the descriptors the pickle refers to, then the pickle. Only the memfd and those
 * descriptors survive the exec: every other libmp descriptor is close-on-exec, so the child
 * inherits nothing it was not given. The environment tells the child where the memfd is and
 * which target it runs, so that constructors can tell a spawned child from a program started
 * by a user before main() runs (process_start.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_impl.h"

#define MAGIC 0x3153504dU /* "MPS1" */

extern char **environ;

/* The memfd: magic, count, the descriptors, then the pickle. Sealed, so that the child reads
 * what the parent wrote even if someone else holds the descriptor. */
int mp__spawn_payload(const void *pickle, size_t len, const mp__fdlist_t *fds)
{
    int fd = memfd_create("libmp-spawn", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return mp__fail(mp__errno(), "memfd_create: %s", strerror(errno));
    uint32_t head[2] = {MAGIC, (uint32_t)fds->n};
    int ok = write(fd, head, sizeof head) == (ssize_t)sizeof head;
    size_t fdbytes = fds->n * sizeof(int);
    ok = ok && (fdbytes == 0 || write(fd, fds->fd, fdbytes) == (ssize_t)fdbytes);
    ok = ok && (len == 0 || write(fd, pickle, len) == (ssize_t)len);
    if (!ok || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
        int e = mp__errno();
        close(fd);
        return mp__fail(e, "writing the spawn payload: %s", strerror(-e));
    }
    return fd;
}

/* environ without any marker of ours (a spawned child spawning again), plus the new marker. */
static char **child_environ(char *marker)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **envp = malloc((n + 2) * sizeof *envp);
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], MP__SPAWN_ENV "=", sizeof MP__SPAWN_ENV) != 0 &&
            strncmp(environ[i], MP__FORKSERVER_ENV "=", sizeof MP__FORKSERVER_ENV) != 0)
            envp[k++] = environ[i];
    envp[k++] = marker;
    envp[k] = NULL;
    return envp;
}

/* The file to exec: this program's path, as the kernel knows it, unless the file there is no
 * longer the one running (rebuilt meanwhile: " (deleted)"), where /proc/self/exe still reaches
 * the running image. The path comes first because a program run by valgrind has valgrind's tool
 * as /proc/self/exe, while readlink() answers with the program's own path. */
static const char *self_image(char *buf, size_t cap)
{
    static const char deleted[] = " (deleted)";
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return "/proc/self/exe";
    buf[n] = '\0';
    size_t d = sizeof deleted - 1;
    if ((size_t)n > d && strcmp(buf + n - d, deleted) == 0)
        return "/proc/self/exe";
    return access(buf, X_OK) == 0 ? buf : "/proc/self/exe";
}

/* posix_spawn(3) execs in a child that shares our memory until the exec (vfork-like): it costs
 * no copy of our page tables, reports a failed exec as its return value, and a file action that
 * dup2s a descriptor onto itself clears its close-on-exec flag in the child only, which is how
 * exactly the descriptors the child needs survive. */
static int spawn_image(const mp__fdlist_t *fds, int memfd, int sentinel, char **envp, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    int rc = posix_spawn_file_actions_init(&fa);
    for (size_t i = 0; rc == 0 && i <= fds->n + 1; i++) {
        int fd = i < fds->n ? fds->fd[i] : i == fds->n ? memfd : sentinel;
        if (fd >= 0)
            rc = posix_spawn_file_actions_adddup2(&fa, fd, fd);
    }
    char *argv[] = {program_invocation_name, NULL}, buf[4096];
    const char *image = self_image(buf, sizeof buf);
    if (rc == 0)
        rc = posix_spawn(pid, image, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    return rc ? mp__fail(-rc, "spawn: cannot start %s: %s", image, strerror(rc)) : 0;
}

int mp__popen_exec(mp_process_t *p, const char *env_name, const char *what, const void *pickle,
                   size_t len, const mp__fdlist_t *fds)
{
    int memfd, pipefd[2] = {-1, -1}, rc;
    char *marker = NULL, **envp = NULL;
    pid_t pid = 0;
    if ((memfd = mp__spawn_payload(pickle, len, fds)) < 0)
        return memfd;
    /* Where pidfds are missing the sentinel is a pipe whose write end only the child holds; the
     * child learns its number from the marker, to keep it from its own children. */
    if (!mp__popen_have_pidfd() && pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = mp__fail(mp__errno(), "pipe2: %s", strerror(errno));
        goto out;
    }
    if (asprintf(&marker, "%s=%d:%d:%s", env_name, memfd, pipefd[1], what) < 0)
        marker = NULL;
    if (!marker || !(envp = child_environ(marker))) {
        rc = mp__fail(MP_ENOMEM, "out of memory");
        goto out;
    }
    (void)fflush(NULL); /* the child's output must not come before what we printed */
    if ((rc = spawn_image(fds, memfd, pipefd[1], envp, &pid)) == 0) {
        rc = mp__popen_adopt_child(p, pid, pipefd[0]);
        pipefd[0] = -1;
    }
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    free(envp);
    free(marker);
    close(memfd);
    return rc;
}

int mp__spawn_read(int memfd, void **pickle, size_t *len, int *fds, size_t *nfds)
{
    struct stat st;
    uint32_t head[2];
    if (fstat(memfd, &st) < 0 || (size_t)st.st_size < sizeof head)
        return mp__fail(MP_EDECODE, "spawn payload: unreadable");
    size_t size = (size_t)st.st_size;
    if (pread(memfd, head, sizeof head, 0) != (ssize_t)sizeof head || head[0] != MAGIC ||
        head[1] > MP__FDLIST_MAX || sizeof head + head[1] * sizeof(int) > size)
        return mp__fail(MP_EDECODE, "spawn payload: bad header");
    size_t off = sizeof head + head[1] * sizeof(int);
    *len = size - off;
    *nfds = head[1];
    *pickle = malloc(*len ? *len : 1);
    if (!*pickle)
        return mp__fail(MP_ENOMEM, "out of memory");
    if (pread(memfd, fds, head[1] * sizeof(int), sizeof head) != (ssize_t)(head[1] * sizeof(int)) ||
        pread(memfd, *pickle, *len, (off_t)off) != (ssize_t)*len) {
        free(*pickle);
        return mp__fail(MP_EDECODE, "spawn payload: short read");
    }
    return 0;
}
