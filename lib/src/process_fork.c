/* The fork start method: the fork itself, the sentinel, and reaping (CPython's popen_fork.py,
 * Popen._launch, poll, wait and _send_signal).
 *
 * A started child is watched through a pidfd (or, where the kernel has none, a pipe whose write
 * end only the child holds), not a SIGCHLD handler, so libmp never takes a process-wide signal
 * disposition away from the program or another library. The pidfd is also the sentinel: it
 * turns readable when the child ends, whoever else holds its fds, where CPython's sentinel pipe
 * can stay open in a grandchild and stall join(timeout) (docs/pages/deviations.md).
 * The child is reaped with waitpid() on its own pid, which cannot be reused before we reap it.
 *
 * This file knows the object only as a pid, a sentinel and an exit code: what the child runs is
 * the bootstrap it is given, and the registry of children is its caller's business. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process_impl.h"

/* The write end of this process's own pipe sentinel, if it has one. */
static int own_sentinel = -1;

/* Serialises reaping: two threads polling one child must not both call waitpid(), or the
 * loser would see ECHILD and overwrite the exit code the winner recorded. */
static pthread_mutex_t reap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether this kernel (or this sandbox, or valgrind) has pidfd_open(2). Probed once. */
int mp__popen_have_pidfd(void)
{
    static int known = -1;
    if (known < 0 && getenv("MP_NO_PIDFD")) /* testing and debugging: take the pipe path */
        known = 0;
    if (known < 0) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        known = fd >= 0;
        if (fd >= 0)
            close(fd);
    }
    return known;
}

/* The child's first steps. A pipe sentinel: keep our write end (it closes when we end); the
 * parent's own write end, inherited if the parent is a child with a pipe sentinel, is not ours
 * to hold open. */
static void __attribute__((noreturn))
child_side(mp_process_t *p, const int pipefd[2], mp__bootstrap_t bootstrap)
{
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (own_sentinel >= 0)
        close(own_sentinel);
    own_sentinel = pipefd[1];
    bootstrap(p);
}

/* The sentinel of a child forked without a pipe. Returns the fd, or a negative code after
 * killing and reaping the child, which could never be waited on with a timeout. */
static int open_pidfd(pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0)
        return fd;
    if (errno == ESRCH) {
        /* Gone already: with SIGCHLD ignored the kernel reaps a child that ends at once, before
         * we could open its pidfd. Its status is lost; the sentinel is a pipe that reads EOF. */
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
            return mp__fail(-errno, "pipe2: %s", strerror(errno));
        close(pipefd[1]);
        return pipefd[0];
    }
    int err = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return mp__fail(-err, "pidfd_open: %s", strerror(err));
}

int mp__popen_fork(mp_process_t *p, mp__bootstrap_t bootstrap)
{
    /* Where pidfds are missing (kernels before 5.3, valgrind, some sandboxes) the sentinel is
     * a pipe whose write end only the child holds, as in CPython. */
    int pipefd[2] = {-1, -1};
    if (!mp__popen_have_pidfd() && pipe2(pipefd, O_CLOEXEC) < 0)
        return mp__fail(-errno, "pipe2: %s", strerror(errno));
    /* Buffered output would otherwise be written once by each process. */
    (void)fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        if (pipefd[0] >= 0)
            close(pipefd[0]), close(pipefd[1]);
        return mp__fail(-err, "fork: %s", strerror(err));
    }
    if (pid == 0)
        child_side(p, pipefd, bootstrap);
    int fd = pipefd[0];
    if (fd >= 0)
        close(pipefd[1]);
    else if ((fd = open_pidfd(pid)) < 0)
        return fd;
    p->pid = pid;
    p->pidfd = fd;
    return 0;
}

static const mp__popen_ops_t *forkserver_ops;

void mp__popen_set_forkserver_ops(const mp__popen_ops_t *ops)
{
    forkserver_ops = ops;
}

/* A child of the fork server is not ours to reap: its server reports its end. */
static int not_ours(const mp_process_t *p)
{
    return p->method == MP__START_FORKSERVER && forkserver_ops;
}

int mp__popen_poll(mp_process_t *p)
{
    if (not_ours(p))
        return forkserver_ops->poll(p);
    pthread_mutex_lock(&reap_lock);
    int done = p->state == MP__PS_REAPED;
    int status = 0;
    pid_t r = 0;
    if (!done) {
        while ((r = waitpid(p->pid, &status, WNOHANG)) < 0 && errno == EINTR)
            ;
    }
    if (!done && r != 0) {
        /* r < 0: SIGCHLD set to SIG_IGN, or a waitpid(-1) elsewhere, took the status. */
        p->exitcode = r < 0                 ? MP_ECHILD
                      : WIFSIGNALED(status) ? -WTERMSIG(status)
                                            : WEXITSTATUS(status);
        p->state = MP__PS_REAPED;
        done = 1;
    }
    pthread_mutex_unlock(&reap_lock);
    return done;
}

int mp__popen_wait(mp_process_t *p, double deadline)
{
    int rc;
    while ((rc = mp__popen_poll(p)) == 0) {
        int ready = mp__poll_until(p->pidfd, POLLIN, deadline);
        if (ready < 0)
            return mp__fail(ready, "poll: %s", strerror(-ready));
        if (ready == 0)
            return mp__popen_poll(p);
        if (mp__popen_poll(p) == 0) {
            /* A pipe sentinel reads EOF while the child is still closing its files, a moment
             * before it can be reaped: wait that moment out without spinning. */
            struct timespec pause = {0, 200000};
            nanosleep(&pause, NULL);
        }
    }
    return rc;
}

int mp__popen_send_signal(mp_process_t *p, int sig)
{
    if (not_ours(p))
        return forkserver_ops->send_signal(p, sig);
    /* Under the reap lock, so that no thread reaps the child between the check and kill():
     * once reaped, the pid may belong to someone else (CPython's no-op after the end). */
    pthread_mutex_lock(&reap_lock);
    int err = 0;
    if (p->state != MP__PS_REAPED && kill(p->pid, sig) < 0 && errno != ESRCH)
        err = errno;
    pthread_mutex_unlock(&reap_lock);
    return err ? mp__fail(-err, "kill: %s", strerror(err)) : 0;
}

int mp__popen_own_sentinel(void)
{
    return own_sentinel;
}

void mp__popen_adopt_sentinel(int fd)
{
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    own_sentinel = fd;
}

int mp__popen_adopt_child(mp_process_t *p, pid_t pid, int pipe_rd)
{
    int fd = pipe_rd >= 0 ? pipe_rd : open_pidfd(pid);
    if (fd < 0)
        return fd;
    p->pid = pid;
    p->pidfd = fd;
    return 0;
}
