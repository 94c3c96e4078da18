/* The tracker of shared memory blocks: libmp's counterpart of CPython's resource tracker. The
 * design, and its limits, are on the docs page docs/pages/shared_memory.md.
 *
 * A process that creates its first block starts one tracker, a grandchild (so that it is
 * nobody's child to reap, and mp_active_children() never sees it) that holds only the far end
 * of a SOCK_SEQPACKET pair. The creator sends "R<name>" when it makes a block and "U<name>"
 * when it unlinks one; when every holder of the near end is gone (the creator and the children
 * it forked after, whether they exited or were killed) the tracker reads end of file and
 * unlinks the names still registered. A socket, not a pipe: MSG_NOSIGNAL spares the caller a
 * SIGPIPE should the tracker have died, and each record arrives whole. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared_memory_impl.h"

static pthread_mutex_t tracker_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int tracker_fd = -1;

/* A fork while another thread holds the lock would leave the child's copy locked for ever: the
 * lock is taken around every fork, so the child inherits it free. No fork ever runs with the
 * lock held (the tracker is started outside it): the fork would take the other prepare
 * handlers' locks, in an order of their own, while a fork in another thread holding one of
 * them waited here for this lock. */
static void lock_tracker(void)
{
    pthread_mutex_lock(&tracker_mu);
}
static void unlock_tracker(void)
{
    pthread_mutex_unlock(&tracker_mu);
}
static void register_atfork(void)
{
    pthread_atfork(lock_tracker, unlock_tracker, unlock_tracker);
}

/* ---- the tracker process ------------------------------------------------------------------- */

typedef struct {
    char **names;
    size_t n, cap;
} name_set_t;

static void set_add(name_set_t *s, const char *name)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **grown = realloc(s->names, cap * sizeof *grown);
        if (!grown)
            return; /* the block would then outlive its creator: the one cost of no memory */
        s->names = grown, s->cap = cap;
    }
    char *copy = strdup(name);
    if (copy)
        s->names[s->n++] = copy;
}

static void set_remove(name_set_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) {
            free(s->names[i]);
            s->names[i] = s->names[--s->n];
            return;
        }
}

/* Every other descriptor of the creator is closed: a tracker that kept a connection's end
 * would hide that connection's end of file from its peer for as long as the tracker lives. */
static void close_others(int keep)
{
    if (dup2(keep, 0) < 0)
        _exit(1);
    if (syscall(SYS_close_range, 1u, ~0u, 0u) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 1; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close((int)fd);
}

/* A mapping of a block or of libmp's shared memory, by its path in /proc/self/maps; other
 * shared mappings are not ours to drop (valgrind's own, under valgrind, are among them). */
static int ours(const char *path)
{
    return strncmp(path, "/dev/shm/", 9) == 0 || strncmp(path, "/memfd:libmp", 12) == 0;
}

/* Unmaps the shared mappings the fork copied from the creator (its blocks, libmp's memfds):
 * mapped here, a block the creator unlinks and closes would keep its memory until the tracker
 * ends, which is when the creator does. The list is read whole before anything is unmapped. */
static void drop_shared_mappings(void)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t len = 0, cap = 1 << 16;
    char *text = malloc(cap);
    for (ssize_t n = 1; text && n > 0;) {
        if (cap - len < 4096) {
            char *grown = realloc(text, cap * 2);
            if (!grown) {
                free(text);
                text = NULL;
                break;
            }
            text = grown, cap *= 2;
        }
        while ((n = read(fd, text + len, cap - len - 1)) < 0 && errno == EINTR)
            ;
        len += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    if (!text)
        return;
    text[len] = '\0';
    for (char *line = text; line && *line;) {
        unsigned long lo, hi;
        char perms[8];
        int at = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &at) == 3 &&
            strlen(perms) == 4 && perms[3] == 's' && at > 0 && ours(line + at))
            munmap((void *)lo, hi - lo); /* NOLINT(performance-no-int-to-ptr) */
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    free(text);
}

/* Runs in the forked grandchild. malloc is safe there: glibc's fork resets its locks. */
static void __attribute__((noreturn)) tracker_main(int fd)
{
    close_others(fd);
    drop_shared_mappings();
    if (chdir("/") != 0) { /* keeps no directory busy; nothing depends on it */
    }
    name_set_t set = {0};
    char rec[MP__SHM_NAME_MAX + 2];
    for (;;) {
        ssize_t n = recv(0, rec, sizeof rec - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        rec[n] = '\0';
        if (rec[0] == 'R')
            set_add(&set, rec + 1);
        else if (rec[0] == 'U')
            set_remove(&set, rec + 1);
    }
    for (size_t i = 0; i < set.n; i++) {
        shm_unlink(set.names[i]);
        free(set.names[i]);
    }
    free(set.names); /* nothing to lose at _exit, but valgrind of a test run stays clean */
    _exit(0);
}

/* Starts a tracker; *near is this process's end. Called without tracker_mu. */
static int tracker_start(int *near)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return mp__fail(mp__errno(), "SharedMemory: cannot start its tracker: %s", strerror(errno));
    pid_t mid = fork();
    if (mid < 0) {
        int err = mp__errno();
        close(sv[0]), close(sv[1]);
        return mp__fail(err, "SharedMemory: cannot start its tracker: %s", strerror(-err));
    }
    if (mid == 0) {
        /* A Ctrl-C or a hang-up meant for the program must not take the tracker with it before
         * it has cleaned up after the program (CPython's tracker ignores SIGINT and SIGTERM);
         * and a session of its own keeps it out of a kill of the creator's process group (a
         * test runner's killpg, a shell's job control). Both are done here, before the
         * grandchild exists, so that it is out of the group by the time the creator, which
         * waits for this process, goes on. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        setsid();
        if (fork() == 0)
            tracker_main(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    int st;
    while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
        ;
    *near = sv[0];
    return 0;
}

static int tracker_send(char kind, const char *name)
{
    char rec[MP__SHM_NAME_MAX + 2];
    size_t len = strlen(name);
    if (len > MP__SHM_NAME_MAX)
        return MP_EINVAL; /* shm_open(3) refused such a name first */
    rec[0] = kind;
    memcpy(rec + 1, name, len);
    ssize_t n;
    while ((n = send(tracker_fd, rec, len + 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n < 0 ? mp__errno() : 0;
}

int mp__shm_track(const char *name)
{
    pthread_once(&atfork_once, register_atfork);
    int rc = MP_EPIPE;
    for (int tries = 0; rc == MP_EPIPE && tries < 2; tries++) {
        pthread_mutex_lock(&tracker_mu);
        int seen = tracker_fd;
        rc = seen < 0 ? MP_EPIPE : tracker_send('R', name);
        pthread_mutex_unlock(&tracker_mu);
        if (rc != MP_EPIPE || tries == 1)
            break;
        /* No tracker yet, or it died (killed by hand: the names it held are lost, later ones
         * are not): a new one, installed unless another thread installed one meanwhile (then
         * this one reads end of file at once and ends). */
        int near = -1;
        rc = tracker_start(&near);
        if (rc < 0 || near < 0)
            return rc < 0 ? rc : MP_EPIPE;
        pthread_mutex_lock(&tracker_mu);
        if (tracker_fd == seen) {
            if (seen >= 0)
                close(seen);
            tracker_fd = near;
        } else {
            close(near);
        }
        pthread_mutex_unlock(&tracker_mu);
        rc = MP_EPIPE;
    }
    return rc;
}

void mp__shm_untrack(const char *name)
{
    pthread_mutex_lock(&tracker_mu);
    if (tracker_fd >= 0)
        (void)tracker_send('U', name);
    pthread_mutex_unlock(&tracker_mu);
}
