/* Who the calling process is: its own object (current_process), its parent, the counter of
 * default names and the authkey; CPython keeps the same as globals of process.py.
 *
 * A forked child inherits a copy of all of it that describes the parent, so the child's
 * bootstrap calls mp__self_enter_child() before anything else. A process made by a plain fork()
 * that is not libmp's keeps the copy, as in CPython. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "process_impl.h"

static const mp_process_vtable_t main_vtable = {"_MainProcess", NULL, NULL};
static mp_process_t main_process = {.vt = &main_vtable,
                                    .name = "MainProcess",
                                    .identity = "",
                                    .state = MP__PS_STARTED,
                                    .pidfd = -1};
static mp_process_t *current = &main_process;
static mp_process_t parent; /* valid when have_parent */
static int have_parent;
static int main_process_renamed;

/* Threads of one process may make process objects, or start them, at once. */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned counter;
static pthread_mutex_t authkey_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char authkey[MP_AUTHKEY_LEN];
static int authkey_ready;

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

int mp__in_main_process(void)
{
    return current == &main_process;
}

/* A fork server's child has the server as its OS parent: it watches its real parent through a
 * pidfd the parent sent (-1 otherwise). `pending` is one given before the bootstrap, which takes
 * it as it makes the parent. */
static int parent_pidfd = -1, pending_pidfd = -1;

void mp__self_watch_parent(int pidfd)
{
    pending_pidfd = pidfd;
}

/* The parent is alive as long as we have not been re-parented: that needs no descriptor, and
 * cannot be fooled by a reused pid. Nor can a pidfd, for a parent that is not our OS parent. */
int mp__parent_alive(void)
{
    if (!have_parent)
        return 0;
    if (parent_pidfd >= 0) {
        struct pollfd pf = {parent_pidfd, POLLIN, 0};
        return poll(&pf, 1, 0) == 0;
    }
    /* Not our OS parent and no pidfd (a kernel without them): the pid is all there is. */
    if (parent_pidfd == MP__PARENT_BY_PID)
        return kill(parent.pid, 0) == 0 || errno == EPERM;
    return getppid() == parent.pid;
}

int mp__owns_name(const mp_process_t *p)
{
    return p != &main_process || main_process_renamed;
}

void mp__name_set_owned(const mp_process_t *p)
{
    if (p == &main_process)
        main_process_renamed = 1;
}

int mp__next_identity(const char *cls, char **name, char **identity)
{
    pthread_mutex_lock(&counter_lock);
    unsigned n = ++counter;
    pthread_mutex_unlock(&counter_lock);
    const char *base = current->identity ? current->identity : "";
    if (asprintf(identity, "%s%s%u", base, base[0] ? ":" : "", n) < 0)
        return mp__fail(MP_ENOMEM, "out of memory");
    if (asprintf(name, "%s-%s", cls, *identity) < 0) {
        free(*identity);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    return 0;
}

void mp__self_enter_child(mp_process_t *p)
{
    /* The parent as a child sees it: a name and a pid, alive while we are not re-parented. */
    parent = (mp_process_t){.vt = &main_vtable, .state = MP__PS_STARTED, .pid = p->parent_pid};
    parent.name = strdup(current->name);
    parent.identity = "";
    parent.pidfd = -1;
    have_parent = 1;
    if (parent_pidfd >= 0)
        close(parent_pidfd);
    parent_pidfd = pending_pidfd;
    pending_pidfd = -1;
    counter = 0;
    current = p;
}

void mp__self_prepare_spawned(const char *parent_name, const unsigned char *key)
{
    /* A fresh image starts as MainProcess; the bootstrap then makes the parent out of the
     * current process, as after fork, so the current one first takes the parent's name. The
     * authkey is the parent's: children of one program share it (CPython sends it too). */
    char *name = strdup(parent_name);
    if (name) {
        main_process.name = name;
        main_process_renamed = 1;
    }
    pthread_mutex_lock(&authkey_lock);
    memcpy(authkey, key, sizeof authkey);
    authkey_ready = 1;
    pthread_mutex_unlock(&authkey_lock);
}

void mp__authkey_init(void)
{
    pthread_mutex_lock(&authkey_lock);
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
    pthread_mutex_unlock(&authkey_lock);
}

const unsigned char *mp_process_authkey(const mp_process_t *p)
{
    MP__NEED_OR(p, NULL);
    mp__authkey_init();
    return authkey;
}

int mp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : mp__fail(MP_ENOSYS, "cannot determine number of cpus");
}
