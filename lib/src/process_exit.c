/* The children of the calling process and what happens when it exits: the registry behind
 * active_children(), exit processing (CPython's util._exit_function, registered with atexit and
 * run by every child after run()), and the ways out of a process (sys.exit and an uncaught
 * exception).
 *
 * The registry is reset in a new child by mp__exit_state_reset(); it ignores entries whose
 * creator is another pid, so a process made by a plain fork() that is not libmp's never waits
 * for its parent's children. */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process_impl.h"

#ifdef MP_COVERAGE
void __gcov_dump(void);
#endif

/* Guards the registry: threads of one process may start and reap processes at once. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static mp_process_t *children;
static pid_t atexit_pid;
static pid_t exit_done_pid;

void mp__registry_add(mp_process_t *p)
{
    pthread_mutex_lock(&registry_lock);
    p->next = children;
    children = p;
    pthread_mutex_unlock(&registry_lock);
}

void mp__registry_remove(mp_process_t *p)
{
    pthread_mutex_lock(&registry_lock);
    for (mp_process_t **pp = &children; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    p->next = NULL;
    pthread_mutex_unlock(&registry_lock);
}

int mp__child_poll(mp_process_t *p)
{
    int rc = mp__popen_poll(p);
    if (rc == 1)
        mp__registry_remove(p);
    return rc;
}

int mp__child_wait(mp_process_t *p, double deadline)
{
    int rc = mp__popen_wait(p, deadline);
    if (rc == 1)
        mp__registry_remove(p);
    return rc;
}

int mp_active_children(mp_process_t **buf, size_t cap)
{
    /* Reaping takes the child out of the list, so walk a snapshot of it. */
    pthread_mutex_lock(&registry_lock);
    size_t n = 0;
    for (mp_process_t *c = children; c; c = c->next)
        n++;
    mp_process_t **all = n ? malloc(n * sizeof *all) : NULL;
    n = 0;
    for (mp_process_t *c = children; c && all; c = c->next)
        if (c->parent_pid == getpid())
            all[n++] = c;
    pthread_mutex_unlock(&registry_lock);
    size_t alive = 0;
    for (size_t i = 0; i < n; i++) {
        if (mp__child_poll(all[i]) != 0)
            continue;
        if (buf && alive < cap)
            buf[alive] = all[i];
        alive++;
    }
    free(all);
    return (int)alive;
}

void mp__exit_state_reset(void)
{
    /* The inherited registry lists our siblings: they are not ours to wait for. */
    for (mp_process_t *c = children; c; c = c->next)
        if (c->pidfd >= 0)
            close(c->pidfd);
    children = NULL;
    exit_done_pid = 0;
}

static void exit_processing(void)
{
    /* Once per process: mp_exit() inside an atexit handler must not run it twice. */
    if (exit_done_pid == getpid())
        return;
    exit_done_pid = getpid();
    /* Daemons first, all of them, before waiting on anybody (docs/pages/spec.md, DMN-08). */
    int n = mp_active_children(NULL, 0);
    mp_process_t **live = n > 0 ? malloc((size_t)n * sizeof *live) : NULL;
    if (live) {
        /* A thread may have started a child in between: never read past what was stored. */
        int now = mp_active_children(live, (size_t)n);
        n = now < n ? now : n;
    }
    for (int i = 0; live && i < n; i++)
        if (live[i]->daemon)
            mp__popen_send_signal(live[i], SIGTERM);
    for (int i = 0; live && i < n; i++)
        mp__child_wait(live[i], MP_FOREVER);
    free(live);
    /* Out of memory for the list: still wait for every child, one at a time. */
    mp_process_t *one;
    while (mp_active_children(&one, 1) > 0) {
        if (one->daemon)
            mp__popen_send_signal(one, SIGTERM);
        mp__child_wait(one, MP_FOREVER);
    }
}

static void atexit_handler(void)
{
    exit_processing();
}

void mp__atexit_init(void)
{
    /* atexit handlers are inherited by fork, so one registration serves every descendant. */
    pthread_mutex_lock(&registry_lock);
    if (!atexit_pid) {
        atexit_pid = getpid();
        atexit(atexit_handler);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* How many threads the calling process has; 0 if unknown. procfs counts a task directory's
 * links as 2 plus its threads, so one stat() answers where a directory walk took four calls. */
static int thread_count(void)
{
    struct stat st;
    if (stat("/proc/self/task", &st) != 0 || st.st_nlink < 3)
        return 0;
    return (int)st.st_nlink - 2;
}

/* CPython's child runs threading._shutdown() before os._exit: the threads the target started
 * finish first. C threads have no daemon flag and no exit hook to join them by, so the child's
 * main thread waits until it is the process's only thread, polling /proc (1 ms, doubling to
 * 50 ms). Only the main thread waits: a thread that ends the child itself would otherwise wait
 * for the main thread, which may be waiting for it (docs/pages/deviations.md). */
static void wait_other_threads(void)
{
    /* glibc clears __libc_single_threaded when a thread is created and never sets it again in
     * this process: while it holds, the /proc walk (a path lookup per child) is not needed. */
    if (__libc_single_threaded || getpid() != (pid_t)syscall(SYS_gettid))
        return;
    useconds_t nap = 1000;
    while (thread_count() > 1) {
        usleep(nap);
        nap = nap * 2 < 50000 ? nap * 2 : 50000;
    }
}

void mp__child_exit(int code)
{
    exit_processing();
    wait_other_threads();
    fflush(NULL);
#ifdef MP_COVERAGE
    __gcov_dump();
#endif
    _exit(code & 0xFF);
}

void mp_exit(int code)
{
    if (mp__in_main_process())
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
    const char *name = mp_current_process()->name;
    fflush(stdout);
    if (!mp__in_main_process())
        fprintf(stderr, "Process %s:\n", name);
    fprintf(stderr, "Traceback (most recent call last):\n  File \"<C target>\", in %s\n%s", name,
            exc_type ? exc_type : "Exception");
    /* Python prints a bare "ValueError" for an exception raised without a message. */
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs(": ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    mp_exit(1);
}
