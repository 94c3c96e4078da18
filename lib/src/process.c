/* Process objects: construction, start, join, signals, close and the accessors.
 *
 * A started child is watched through a pidfd (or, where the kernel has none, a pipe whose write
 * end only the child holds), not a SIGCHLD handler, so libmp never takes a process-wide signal
 * disposition away from the program or another library. The pidfd is also
 * the sentinel: it turns readable when the child ends, whoever else holds its fds (CPython's
 * sentinel pipe can stay open in a grandchild and stall join(timeout); SPEC 2.5).
 * The child is reaped with waitpid() on its own pid, which cannot be reused before we reap it. */
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

#include "mp_internal.h"

static int check_open(const mp_process_t *p)
{
    if (!p)
        return mp__fail(MP_EINVAL, "process is NULL");
    if (p->state == MP__PS_CLOSED)
        return mp__fail(MP_ECLOSED, "process object is closed");
    return 0;
}

/* The creator's checks of join/is_alive/exitcode/signals: only the process that made the
 * object may use it on the child (CPython asserts the same with _parent_pid). */
static int check_creator(const mp_process_t *p, const char *what)
{
    if (mp__is_current(p) || p->parent_pid != getpid())
        return mp__fail(MP_ESTATE, "can only %s a child process", what);
    return 0;
}

/* CPython stores tuple(args), so a list is accepted and frozen. */
static mp_obj_t *list_to_tuple(mp_obj_t *list)
{
    return mp_tuple_from_seq(list);
}

static int set_args(mp_process_t *p, mp_obj_t *args, mp_obj_t *kwargs)
{
    mp_obj_t *a, *k;
    if (!args)
        a = mp_build("()");
    else if (mp_obj_type(args) == MP_TYPE_TUPLE)
        a = mp_obj_incref(args);
    else if (mp_obj_type(args) == MP_TYPE_LIST)
        a = list_to_tuple(args);
    else
        return mp__fail(MP_EINVAL, "args must be a tuple or a list");
    if (!a)
        return MP_ENOMEM;
    if (kwargs && mp_obj_type(kwargs) != MP_TYPE_DICT) {
        mp_obj_decref(a);
        return mp__fail(MP_EINVAL, "kwargs must be a dict");
    }
    k = kwargs ? mp_obj_incref(kwargs) : mp_build("{}");
    if (!k) {
        mp_obj_decref(a);
        return MP_ENOMEM;
    }
    p->args = a;
    p->kwargs = k;
    return 0;
}

static const mp_process_vtable_t base_vtable = {"Process", NULL, NULL};

/* Shared by mp_process_init() and mp_process_new(); undoes itself on failure. */
static int init_common(mp_process_t *p, const mp_process_vtable_t *vt,
                       const mp_process_opts_t *opts, mp_obj_t *args)
{
    static const mp_process_opts_t defaults = MP_PROCESS_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    memset(p, 0, sizeof *p);
    p->vt = vt ? vt : &base_vtable;
    p->pidfd = -1;
    p->state = MP__PS_NEW;
    p->parent_pid = getpid();
    p->ctx = opts->ctx;
    p->daemon = opts->daemon == MP_DAEMON_INHERIT ? mp_current_process()->daemon : !!opts->daemon;
    int rc = set_args(p, args, opts->kwargs);
    if (rc < 0)
        return rc;
    const char *cls = p->vt->class_name ? p->vt->class_name : "Process";
    rc = mp__next_identity(cls, &p->name, &p->identity);
    if (rc == 0 && opts->name && opts->name[0])
        rc = mp_process_set_name(p, opts->name);
    if (rc < 0) {
        mp_obj_decref(p->args);
        mp_obj_decref(p->kwargs);
        free(p->name);
        free(p->identity);
    }
    return rc;
}

int mp_process_init(mp_process_t *p, const mp_process_vtable_t *vt, const mp_process_opts_t *opts)
{
    if (!p)
        return mp__fail(MP_EINVAL, "process is NULL");
    return init_common(p, vt, opts, NULL);
}

int mp_process_new(mp_process_t **out, mp_target_t target, mp_obj_t *args,
                   const mp_process_opts_t *opts)
{
    if (!out)
        return mp__fail(MP_EINVAL, "out is NULL");
    *out = NULL;
    mp_process_t *p = malloc(sizeof *p);
    if (!p)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = init_common(p, NULL, opts, args);
    if (rc < 0) {
        free(p);
        return rc;
    }
    p->target = target;
    p->allocated = 1;
    *out = p;
    return 0;
}

void mp_process_run(mp_process_t *p)
{
    if (p && p->target)
        p->target(p->args, p->kwargs, p->ctx);
}

int mp_process_start(mp_process_t *p)
{
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (p->state != MP__PS_NEW)
        return mp__fail(MP_ESTATE, "cannot start a process twice");
    if (p->parent_pid != getpid())
        return mp__fail(MP_ESTATE, "can only start a process object created by current process");
    if (mp_current_process()->daemon)
        return mp__fail(MP_EDAEMON, "daemonic processes are not allowed to have children");
    mp_active_children(NULL, 0); /* reap finished children first, as CPython's _cleanup() */
    mp__authkey_init();
    mp__atexit_init();
    /* Where pidfds are missing (kernels before 5.3, valgrind, some sandboxes) the sentinel is
     * a pipe whose write end only the child holds, as in CPython. */
    int pipefd[2] = {-1, -1};
    if (!mp__have_pidfd() && pipe2(pipefd, O_CLOEXEC) < 0)
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
        mp__bootstrap(p, pipefd[0], pipefd[1]);
    int fd = pipefd[0];
    if (fd >= 0)
        close(pipefd[1]);
    else if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0 && errno == ESRCH) {
        /* Gone already: with SIGCHLD ignored the kernel reaps a child that ends at once, before
         * we could open its pidfd. Its status is lost; the sentinel is a pipe that reads EOF. */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
            return mp__fail(-errno, "pipe2: %s", strerror(errno));
        close(pipefd[1]);
        fd = pipefd[0];
    } else if (fd < 0) {
        /* Without a sentinel the child could never be waited on with a timeout: undo it. */
        int err = errno;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return mp__fail(-err, "pidfd_open: %s", strerror(err));
    }
    p->pid = pid;
    p->pidfd = fd;
    p->state = MP__PS_STARTED;
    mp__registry_add(p);
    return 0;
}

/* Serialises reaping: two threads polling one child must not both call waitpid(), or the
 * loser would see ECHILD and overwrite the exit code the winner recorded. */
static pthread_mutex_t reap_lock = PTHREAD_MUTEX_INITIALIZER;

int mp__process_poll(mp_process_t *p)
{
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
        mp__registry_remove(p);
    }
    pthread_mutex_unlock(&reap_lock);
    return done;
}

int mp_process_join(mp_process_t *p, double timeout)
{
    double deadline;
    int rc = check_open(p);
    if (rc < 0 || (rc = mp__deadline(timeout, &deadline)) < 0)
        return rc;
    if ((rc = check_creator(p, "join")) < 0)
        return rc;
    if (p->state == MP__PS_NEW)
        return mp__fail(MP_ESTATE, "can only join a started process");
    for (;;) {
        rc = mp__process_poll(p);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        rc = mp__poll_until(p->pidfd, POLLIN, deadline);
        if (rc < 0)
            return mp__fail(rc, "poll: %s", strerror(-rc));
        if (rc == 0 && mp__process_poll(p) == 0)
            return mp__fail(MP_ETIMEDOUT, "join: the process is still running");
        if (rc == 1 && mp__process_poll(p) == 0) {
            /* A pipe sentinel reads EOF while the child is still closing its files, a moment
             * before it can be reaped: wait that moment out without spinning. */
            struct timespec pause = {0, 200000};
            nanosleep(&pause, NULL);
        }
    }
}

int mp_process_is_alive(mp_process_t *p)
{
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (mp__is_current(p))
        return 1;
    if (mp__is_parent(p))
        return mp__parent_alive();
    if ((rc = check_creator(p, "test")) < 0)
        return rc;
    if (p->state == MP__PS_NEW)
        return 0;
    rc = mp__process_poll(p);
    return rc < 0 ? rc : !rc;
}

int mp_process_exitcode(mp_process_t *p, int *code)
{
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (p->state == MP__PS_NEW || mp__is_current(p) || mp__is_parent(p))
        return mp__fail(MP_EAGAIN, "no exit code: the process has not ended");
    if ((rc = check_creator(p, "poll")) < 0)
        return rc;
    rc = mp__process_poll(p);
    if (rc == 0)
        return mp__fail(MP_EAGAIN, "no exit code: the process is still running");
    if (p->exitcode == MP_ECHILD)
        return mp__fail(MP_ECHILD, "the child's status was taken by someone else");
    if (code)
        *code = p->exitcode;
    return 0;
}

static int send_signal(mp_process_t *p, int sig)
{
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (p->state == MP__PS_NEW)
        return mp__fail(MP_ESTATE, "process not started");
    if ((rc = check_creator(p, "signal")) < 0)
        return rc;
    /* Once reaped the pid may belong to someone else: never signal it then (CPython's no-op). */
    if (mp__process_poll(p) == 0 && kill(p->pid, sig) < 0 && errno != ESRCH)
        return mp__fail(-errno, "kill: %s", strerror(errno));
    return 0;
}

int mp_process_terminate(mp_process_t *p)
{
    return send_signal(p, SIGTERM);
}

int mp_process_kill(mp_process_t *p)
{
    return send_signal(p, SIGKILL);
}

int mp_process_close(mp_process_t *p)
{
    if (!p)
        return mp__fail(MP_EINVAL, "process is NULL");
    if (p->state == MP__PS_CLOSED)
        return 0;
    if (p->state == MP__PS_STARTED && p->parent_pid == getpid() && mp__process_poll(p) == 0)
        return mp__fail(MP_EBUSY, "Cannot close a process while it is still running. "
                                  "You should first call join() or terminate().");
    if (p->state == MP__PS_STARTED)
        mp__registry_remove(p); /* a copy inherited by another process: just forget it */
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->pidfd = -1;
    mp_obj_decref(p->args);
    mp_obj_decref(p->kwargs);
    p->args = p->kwargs = NULL;
    p->state = MP__PS_CLOSED;
    return 0;
}

int mp_process_free(mp_process_t *p)
{
    if (!p)
        return 0;
    int rc = mp_process_close(p);
    if (rc < 0)
        return rc;
    if (p->vt && p->vt->finalize)
        p->vt->finalize(p);
    free(p->name);
    free(p->identity);
    p->name = p->identity = NULL;
    if (p->allocated)
        free(p);
    return 0;
}
