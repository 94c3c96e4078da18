/* The Process object's life: construction, start, the child's bootstrap, join, signals, close
 * (CPython's process.py, BaseProcess). The attributes and repr are in process_info.c, the
 * start method in process_fork.c, the registry of children in process_exit.c, and who the
 * calling process is in process_self.c; process_impl.h shows how they stack. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "process_impl.h"

static int check_open(const mp_process_t *p)
{
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

static int set_args(mp_process_t *p, mp_obj_t *args, mp_obj_t *kwargs)
{
    mp_obj_t *a, *k;
    if (!args)
        a = mp_build("()");
    else if (mp_obj_type(args) == MP_TYPE_TUPLE)
        a = mp_obj_incref(args);
    else if (mp_obj_type(args) == MP_TYPE_LIST)
        a = mp_tuple_from_seq(args); /* CPython stores tuple(args): a list is frozen */
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
    p->killfd = -1;
    p->state = MP__PS_NEW;
    p->parent_pid = getpid();
    p->ctx = opts->ctx;
    p->context = opts->context;
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
    MP__NEED(p);
    return init_common(p, vt, opts, NULL);
}

int mp_process_new(mp_process_t **out, mp_target_t target, mp_obj_t *args,
                   const mp_process_opts_t *opts)
{
    MP__NEED(out);
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
    MP__NEED_OR(p, );
    if (p->target)
        p->target(p->args, p->kwargs, p->ctx);
}

/* The child's side of start() once the start method has set it up (CPython's
 * BaseProcess._bootstrap): every per-process state it inherited describes the parent until it
 * is reset here, then run() runs and the child leaves through its own exit processing. */
void mp__process_bootstrap(mp_process_t *p, pid_t ppid)
{
    if (p->daemon) {
        /* Beyond CPython (docs/pages/deviations.md): a daemon must not outlive a parent that
         * died without exit processing. The death signal is armed first, then the parent is
         * checked, so a parent that died in between is seen either way. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != ppid)
            _exit(128 + SIGKILL);
    }
    mp__self_enter_child(p);
    mp__exit_state_reset();
    p->pid = getpid();
    p->state = MP__PS_STARTED;
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->pidfd = -1;
    if (p->vt && p->vt->run)
        p->vt->run(p);
    else
        mp_process_run(p);
    mp__child_exit(0);
}

int mp_process_join(mp_process_t *p, double timeout)
{
    MP__NEED(p);
    double deadline;
    int rc = check_open(p);
    if (rc < 0 || (rc = mp__deadline(timeout, &deadline)) < 0)
        return rc;
    if ((rc = check_creator(p, "join")) < 0)
        return rc;
    if (p->state == MP__PS_NEW)
        return mp__fail(MP_ESTATE, "can only join a started process");
    rc = mp__child_wait(p, deadline);
    if (rc == 0)
        return mp__fail(MP_ETIMEDOUT, "join: the process is still running");
    return rc < 0 ? rc : 0;
}

int mp_process_is_alive(mp_process_t *p)
{
    MP__NEED(p);
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
    return !mp__child_poll(p);
}

int mp_process_exitcode(mp_process_t *p, int *code)
{
    MP__NEED(p);
    MP__NEED(code);
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (p->state == MP__PS_NEW || mp__is_current(p) || mp__is_parent(p))
        return mp__fail(MP_EAGAIN, "no exit code: the process has not ended");
    if ((rc = check_creator(p, "poll")) < 0)
        return rc;
    if (mp__child_poll(p) == 0)
        return mp__fail(MP_EAGAIN, "no exit code: the process is still running");
    if (p->exitcode == MP_ECHILD)
        return mp__fail(MP_ECHILD, "the child's status was taken by someone else");
    *code = p->exitcode;
    return 0;
}

/* terminate() and kill(); each checks its own NULL first, so that the message names it. */
static int send_signal(mp_process_t *p, int sig)
{
    int rc = check_open(p);
    if (rc < 0)
        return rc;
    if (p->state == MP__PS_NEW)
        return mp__fail(MP_ESTATE, "process not started");
    if ((rc = check_creator(p, "signal")) < 0)
        return rc;
    /* The poll sees a status that SIGCHLD's SIG_IGN took, after which the pid is not ours. */
    mp__child_poll(p);
    return mp__popen_send_signal(p, sig);
}

int mp_process_terminate(mp_process_t *p)
{
    MP__NEED(p);
    return send_signal(p, SIGTERM);
}

int mp_process_kill(mp_process_t *p)
{
    MP__NEED(p);
    return send_signal(p, SIGKILL);
}

int mp_process_close(mp_process_t *p)
{
    MP__NEED(p);
    if (p->state == MP__PS_CLOSED)
        return 0;
    if (p->state == MP__PS_STARTED && p->parent_pid == getpid() && mp__child_poll(p) == 0)
        return mp__fail(MP_EBUSY, "Cannot close a process while it is still running. "
                                  "You should first call join() or terminate().");
    /* A child reaped without leaving the registry (process_fork.c reaps and knows none), or a
     * copy inherited by another process: either way the registry must not keep a pointer to
     * an object that may be freed next. */
    if (p->state != MP__PS_NEW)
        mp__registry_remove(p);
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->killfd >= 0)
        close(p->killfd);
    p->pidfd = p->killfd = -1;
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
