/* The per-process state behind Process: who we are (current_process), who our parent is,
 * which children we must wait for, the default-name counter, and exit processing.
 *
 * All of it is reset in a new child by mp__bootstrap(), because a forked child inherits a
 * copy of its parent's state that describes the parent, not itself. A process made by a plain
 * fork() that is not libmp's keeps the copy, as in CPython; the registry ignores entries
 * whose creator is another pid, so such a process never waits for its parent's children. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mp_internal.h"

#ifdef MP_COVERAGE
void __gcov_dump(void);
#endif

static const mp_process_vtable_t main_vtable = {"_MainProcess", NULL, NULL};
static mp_process_t main_process = {.vt = &main_vtable,
                                    .name = "MainProcess",
                                    .identity = "",
                                    .state = MP__PS_STARTED,
                                    .pidfd = -1};
static mp_process_t *current = &main_process;
static mp_process_t parent; /* valid when have_parent */
static int have_parent;
static int own_sentinel = -1; /* the write end of our pipe sentinel, if we have one */
static int main_process_renamed;

/* Guards the registry and the counter: threads of one process may start processes at once. */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_process_t *children;
static unsigned counter;
static unsigned char authkey[MP_AUTHKEY_LEN];
static int authkey_ready;
static pid_t atexit_pid;
static pid_t exit_done_pid;

mp_process_t *mp_current_process(void)
{
    return current;
}

mp_process_t *mp_parent_process(void)
{
    return have_parent ? &parent : NULL;
}

int mp__is_current(const mp_process_t *p)
{
    return p == current;
}

int mp__is_parent(const mp_process_t *p)
{
    return have_parent && p == &parent;
}

int mp__owns_name(const mp_process_t *p)
{
    /* MainProcess's first name is a string literal; every other name is malloc'd. */
    return p != &main_process || main_process_renamed;
}

void mp__name_set_owned(const mp_process_t *p)
{
    if (p == &main_process)
        main_process_renamed = 1;
}

int mp__next_identity(const char *cls, char **name, char **identity)
{
    pthread_mutex_lock(&state_lock);
    unsigned n = ++counter;
    pthread_mutex_unlock(&state_lock);
    const char *base = current->identity ? current->identity : "";
    if (asprintf(identity, "%s%s%u", base, base[0] ? ":" : "", n) < 0)
        return mp__fail(MP_ENOMEM, "out of memory");
    if (asprintf(name, "%s-%s", cls, *identity) < 0) {
        free(*identity);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    return 0;
}

void mp__registry_add(mp_process_t *p)
{
    pthread_mutex_lock(&state_lock);
    p->next = children;
    children = p;
    pthread_mutex_unlock(&state_lock);
}

void mp__registry_remove(mp_process_t *p)
{
    pthread_mutex_lock(&state_lock);
    for (mp_process_t **pp = &children; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    p->next = NULL;
    pthread_mutex_unlock(&state_lock);
}

int mp_active_children(mp_process_t **buf, size_t cap)
{
    /* Reaping takes the child out of the list, so walk a snapshot of it. */
    pthread_mutex_lock(&state_lock);
    size_t n = 0;
    for (mp_process_t *c = children; c; c = c->next)
        n++;
    mp_process_t **all = n ? malloc(n * sizeof *all) : NULL;
    n = 0;
    for (mp_process_t *c = children; c && all; c = c->next)
        if (c->parent_pid == getpid())
            all[n++] = c;
    pthread_mutex_unlock(&state_lock);
    size_t alive = 0;
    for (size_t i = 0; i < n; i++) {
        if (mp__process_poll(all[i]) != 0)
            continue;
        if (buf && alive < cap)
            buf[alive] = all[i];
        alive++;
    }
    free(all);
    return (int)alive;
}

void mp__authkey_init(void)
{
    pthread_mutex_lock(&state_lock);
    if (!authkey_ready) {
        /* getrandom never fails for 32 bytes once the pool is ready; loop over EINTR anyway. */
        size_t got = 0;
        while (got < sizeof authkey) {
            ssize_t r = getrandom(authkey + got, sizeof authkey - got, 0);
            if (r > 0)
                got += (size_t)r;
        }
        authkey_ready = 1;
    }
    pthread_mutex_unlock(&state_lock);
}

const unsigned char *mp_process_authkey(const mp_process_t *p)
{
    (void)p;
    mp__authkey_init();
    return authkey;
}

int mp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : mp__fail(MP_ENOSYS, "cannot determine number of cpus");
}

/* ===== Exit processing ======================================================================= */

void mp__exit_processing(void)
{
    /* Once per process: mp_exit() inside an atexit handler must not run it twice. */
    if (exit_done_pid == getpid())
        return;
    exit_done_pid = getpid();
    /* Daemons first, all of them, before waiting on anybody (SPEC 2.3 step 2). */
    int n = mp_active_children(NULL, 0);
    mp_process_t **live = n > 0 ? malloc((size_t)n * sizeof *live) : NULL;
    if (live) {
        /* A thread may have started a child in between: never read past what was stored. */
        int now = mp_active_children(live, (size_t)n);
        n = now < n ? now : n;
    }
    for (int i = 0; live && i < n; i++)
        if (live[i]->daemon)
            mp_process_terminate(live[i]);
    for (int i = 0; live && i < n; i++)
        mp_process_join(live[i], MP_FOREVER);
    free(live);
    /* Out of memory for the list: still wait for every child, one at a time. */
    mp_process_t *one;
    while (mp_active_children(&one, 1) > 0) {
        if (one->daemon)
            mp_process_terminate(one);
        mp_process_join(one, MP_FOREVER);
    }
}

static void atexit_handler(void)
{
    mp__exit_processing();
}

void mp__atexit_init(void)
{
    /* atexit handlers are inherited by fork, so one registration serves every descendant. */
    pthread_mutex_lock(&state_lock);
    if (!atexit_pid) {
        atexit_pid = getpid();
        atexit(atexit_handler);
    }
    pthread_mutex_unlock(&state_lock);
}

void mp__child_exit(int code)
{
    mp__exit_processing();
    fflush(NULL);
#ifdef MP_COVERAGE
    __gcov_dump();
#endif
    _exit(code & 0xFF);
}

void mp_exit(int code)
{
    if (current == &main_process)
        exit(code & 0xFF);
    mp__child_exit(code);
}

void mp_exit_msg(const char *msg)
{
    fprintf(stderr, "%s\n", msg ? msg : "None");
    mp_exit(1);
}

void mp_raise(const char *exc_type, const char *fmt, ...)
{
    fflush(stdout);
    if (current != &main_process)
        fprintf(stderr, "Process %s:\n", current->name);
    fprintf(stderr,
            "Traceback (most recent call last):\n  File \"<C target>\", in %s\n%s: ", current->name,
            exc_type ? exc_type : "Exception");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    mp_exit(1);
}

/* ===== The new child ========================================================================= */

int mp__have_pidfd(void)
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

/* The parent is alive as long as we have not been re-parented: that needs no descriptor, and
 * cannot be fooled by a reused pid. */
int mp__parent_alive(void)
{
    return have_parent && getppid() == parent.pid;
}

static void become_child_of(pid_t ppid, const char *parent_name)
{
    parent = (mp_process_t){.vt = &main_vtable, .state = MP__PS_STARTED, .pid = ppid};
    parent.name = strdup(parent_name);
    parent.identity = "";
    parent.pidfd = -1;
    have_parent = 1;
}

void mp__bootstrap(mp_process_t *p, int sentinel_r, int sentinel_w)
{
    /* A pipe sentinel: keep our write end (it closes when we end); the parent's own write end,
     * inherited if the parent is a child with a pipe sentinel, is not ours to hold open. */
    if (sentinel_r >= 0)
        close(sentinel_r);
    if (own_sentinel >= 0)
        close(own_sentinel);
    own_sentinel = sentinel_w;
    pid_t ppid = p->parent_pid;
    if (p->daemon) {
        /* Beyond CPython: a daemon must not outlive a parent that died without exit
         * processing. The death signal is armed first, then the parent is checked, so a parent
         * that died in between is seen either way. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != ppid)
            _exit(128 + SIGKILL);
    }
    become_child_of(ppid, current->name);
    /* The inherited registry lists our siblings: they are not ours to wait for. */
    for (mp_process_t *c = children; c; c = c->next)
        if (c->pidfd >= 0)
            close(c->pidfd);
    children = NULL;
    counter = 0;
    exit_done_pid = 0;
    current = p;
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
