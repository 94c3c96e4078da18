/* The spawn start method: a fresh run of this program (CPython's popen_spawn_posix.py).
 *
 * The child is forked with the fork start method's machinery (so the sentinel and reaping are
 * the same) and at once execs /proc/self/exe, which is this program's image even when it was
 * started through a relative path or a symlink. What the child needs travels in a sealed memfd:
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_impl.h"

#define ENV_NAME "LIBMP_SPAWN"
#define MAGIC 0x3153504dU /* "MPS1" */

extern char **environ;

/* What the forked child needs to exec, prepared before fork: after fork, a child of a threaded
 * parent may only make async-signal-safe calls, so nothing is allocated there. */
struct exec_plan {
    char **envp;
    char *sentinel_digits; /* in the marker: room for the child's sentinel fd, filled there */
    char *argv[2];
    const int *keep; /* descriptors to hand down: close-on-exec cleared in the child only */
    size_t nkeep;
    int err_wr; /* write end of the pipe that reports a failed exec */
};

static __thread const struct exec_plan *plan;

static void __attribute__((noreturn)) exec_child(mp_process_t *p)
{
    (void)p;
    const struct exec_plan *x = plan;
    for (size_t i = 0; i < x->nkeep; i++)
        fcntl(x->keep[i], F_SETFD, 0);
    /* A pipe sentinel (no pidfd) must stay open in the new image, which must know its number
     * to keep it from its own children: written into the marker here, without printf. */
    int s = mp__popen_own_sentinel();
    if (s >= 0) {
        fcntl(s, F_SETFD, 0);
        char *d = x->sentinel_digits + 10;
        for (int v = s; v > 0 || d == x->sentinel_digits + 10; v /= 10)
            *d-- = (char)('0' + v % 10);
        while (d >= x->sentinel_digits)
            *d-- = ' ';
    }
    execve("/proc/self/exe", x->argv, x->envp);
    int err = errno;
    ssize_t w = write(x->err_wr, &err, sizeof err);
    (void)w;
    _exit(127);
}

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
        if (strncmp(environ[i], ENV_NAME "=", sizeof ENV_NAME) != 0 &&
            strncmp(environ[i], MP__FORKSERVER_ENV "=", sizeof MP__FORKSERVER_ENV) != 0)
            envp[k++] = environ[i];
    envp[k++] = marker;
    envp[k] = NULL;
    return envp;
}

/* After the fork: 0 if the exec went through, else reaps the child and returns its error. */
static int exec_outcome(mp_process_t *p, int err_rd)
{
    int err = 0;
    ssize_t r;
    while ((r = read(err_rd, &err, sizeof err)) < 0 && errno == EINTR)
        ;
    if (r != (ssize_t)sizeof err)
        return 0; /* EOF: the exec closed the pipe */
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    close(p->pidfd);
    p->pidfd = -1;
    p->pid = 0;
    return mp__fail(-err, "spawn: cannot exec /proc/self/exe: %s", strerror(err));
}

int mp__popen_exec(mp_process_t *p, const char *env_name, const char *what, const void *pickle,
                   size_t len, const mp__fdlist_t *fds)
{
    int memfd = -1, errp[2] = {-1, -1}, rc = MP_ENOMEM;
    char *marker = NULL;
    char **envp = NULL;
    if ((memfd = mp__spawn_payload(pickle, len, fds)) < 0)
        return memfd;
    if (asprintf(&marker, "%s=%d:%11d:%s", env_name, memfd, -1, what) < 0)
        marker = NULL;
    if (!marker || !(envp = child_environ(marker))) {
        rc = mp__fail(MP_ENOMEM, "out of memory");
        goto out;
    }
    if (pipe2(errp, O_CLOEXEC) < 0) {
        rc = mp__fail(mp__errno(), "pipe2: %s", strerror(errno));
        goto out;
    }
    int keep[MP__FDLIST_MAX + 1];
    memcpy(keep, fds->fd, fds->n * sizeof(int));
    keep[fds->n] = memfd;
    char *digits = strchr(marker, ':') + 1;
    struct exec_plan x = {envp, digits, {program_invocation_name, NULL}, keep, fds->n + 1, errp[1]};
    plan = &x;
    rc = mp__popen_fork(p, exec_child);
    plan = NULL;
    close(errp[1]);
    if (rc == 0)
        rc = exec_outcome(p, errp[0]);
    close(errp[0]);
out:
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
