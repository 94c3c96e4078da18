/* start() under each start method, and the other end of spawn and forkserver: how a fresh run
 * of the program becomes the child instead of running main() (CPython's Popen classes and
 * spawn.spawn_main).
 *
 * A fresh image finds out what it is from its environment, in a constructor. It must run the
 * target after every MP_TARGET() registration and before main(): registrations are
 * constructors of priority 101, which run before all constructors without a priority, and the
 * hook is one of the latter (each MP_TARGET() use adds one, and this file has one for a process
 * without a target and for the fork server). The first hook that can find the target runs the
 * child; the others return at once (docs/pages/start-methods.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process_impl.h"

static void __attribute__((noreturn)) fork_bootstrap(mp_process_t *p)
{
    mp__process_bootstrap(p, p->parent_pid);
}

/* spawn and forkserver: the payload is made here, in the parent, so that whatever cannot be
 * sent fails start() before any process exists (CPython pickles inside start() too). */
static int start_fresh(mp_process_t *p, int method)
{
    const char *target = NULL;
    mp__fdlist_t fds;
    void *buf = NULL;
    size_t len = 0;
    int rc = mp__payload_build(p, &target, &fds, &buf, &len);
    if (rc < 0)
        return rc;
    if (method == MP__START_SPAWN)
        rc = mp__popen_exec(p, MP__SPAWN_ENV, target, buf, len, &fds);
    else
        rc = mp__forkserver_start(p, target, buf, len, &fds);
    free(buf);
    return rc;
}

int mp_process_start(mp_process_t *p)
{
    MP__NEED(p);
    if (p->state == MP__PS_CLOSED)
        return mp__fail(MP_ECLOSED, "process object is closed");
    if (p->state != MP__PS_NEW)
        return mp__fail(MP_ESTATE, "cannot start a process twice");
    if (p->parent_pid != getpid())
        return mp__fail(MP_ESTATE, "can only start a process object created by current process");
    if (mp_current_process()->daemon)
        return mp__fail(MP_EDAEMON, "daemonic processes are not allowed to have children");
    if (mp__context_method(p->context) == MP__START_TRANSPORT)
        return mp__fail(MP_EINVAL, "the '%s' context starts Pool workers only",
                        mp_context_start_method(p->context));
    mp_active_children(NULL, 0); /* reap finished children first, as CPython's _cleanup() */
    mp__authkey_init();
    mp__atexit_init();
    p->method = mp__context_method(p->context);
    int rc =
        p->method == MP__START_FORK ? mp__popen_fork(p, fork_bootstrap) : start_fresh(p, p->method);
    if (rc < 0)
        return rc;
    p->state = MP__PS_STARTED;
    mp__registry_add(p);
    return 0;
}

/* A spawned child whose payload cannot be read has no parent to tell but through its exit
 * code and stderr, as CPython's child prints the traceback of a failed spawn_main. */
static void __attribute__((noreturn)) child_fails(const char *what)
{
    fprintf(stderr, "libmp: a spawned child cannot start: %s: %s\n", what, mp_errmsg());
    _exit(255);
}

static void __attribute__((noreturn)) enter_spawned(int memfd, int sentinel)
{
    unsetenv(MP__SPAWN_ENV); /* our own children must not take themselves for spawned ones */
    mp__popen_adopt_sentinel(sentinel);
    int fds[MP__FDLIST_MAX];
    size_t nfds = 0, len = 0;
    void *pickle = NULL;
    mp_process_t *p = NULL;
    if (mp__spawn_read(memfd, &pickle, &len, fds, &nfds) < 0)
        child_fails("reading the payload");
    close(memfd);
    if (mp__payload_enter(pickle, len, fds, nfds, &p) < 0)
        child_fails("unpickling the process");
    free(pickle);
    /* The handles hold copies of their own: ours would keep a queue's put side or a pipe end
     * open for the child's whole life, and no end of file would ever come. */
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    mp__process_bootstrap(p, p->parent_pid);
}

void mp__spawn_hook(void)
{
    const char *env = getenv(MP__SPAWN_ENV);
    int memfd = -1, sentinel = -1, at = 0;
    if (!env) {
        mp__forkserver_hook();
        return;
    }
    if (sscanf(env, "%d :%d:%n", &memfd, &sentinel, &at) < 2 || at == 0)
        return;
    const char *target = env + at;
    /* Not found yet: a later hook, after the registrations of the image that holds it (a
     * library's constructors run before the program's), will find it. */
    if (target[0] && !mp_target_lookup(target))
        return;
    enter_spawned(memfd, sentinel);
}

static void __attribute__((constructor)) spawn_hook(void)
{
    mp__spawn_hook();
}
