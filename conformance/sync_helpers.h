/* Helpers of the synchronisation suites (test_lock.c ... test_barrier.c): shared scratch
 * memory, progress flags and timed calls. Their children are started with go() and ended with
 * finish() or kill_now(), from helpers.h: a child's function returns 0 for "as expected" or a
 * small number saying which check failed, and the test asserts on it. */
#ifndef MP_CONFORMANCE_SYNC_HELPERS_H
#define MP_CONFORMANCE_SYNC_HELPERS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "helpers.h"

/* Zeroed memory shared with every child forked afterwards (the test's own scratch space). */
static inline void *shared_mem(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return p;
}

/* Waits up to `timeout` for *flag to reach `value` (children signal progress this way). */
static inline int wait_flag(volatile int *flag, int value, double timeout)
{
    double deadline = now_s() + timeout;
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < value) {
        if (now_s() > deadline)
            return 0;
        sleep_s(0.001);
    }
    return 1;
}

static inline void flag_add(volatile int *flag, int n)
{
    __atomic_fetch_add(flag, n, __ATOMIC_ACQ_REL);
}

/* Times one call: `took` gets the seconds. */
#define TIMED(took, call)                                                                         \
    ({                                                                                            \
        double t0_ = now_s();                                                                     \
        int trc_ = (call);                                                                        \
        (took) = now_s() - t0_;                                                                   \
        trc_;                                                                                     \
    })

/* ---- under every start method ----------------------------------------------------------------
 *
 * shared_mem() above is anonymous: only a forked child sees it. A child of spawn or forkserver
 * reaches memory by name instead: a POSIX shared memory object (shm_open, what Python's
 * multiprocessing.shared_memory uses), whose name travels in the child's args as a str and
 * which the child maps again with named_mem_open(). The suites use it only for what a flag
 * (helpers.h) cannot stand for: a plain read-modify-write that a lock must protect, and
 * counters that must be read and changed in one atomic step. */

#include <dirent.h>
#include <sys/stat.h>

enum { NAMED_MEM_NAME = 64, NAMED_MEM_MAX = 8 };

/* The names this process made, unlinked when it exits: a test that fails leaves its process
 * with exit(), and nothing should stay behind in /dev/shm. Only the maker unlinks (a forked
 * child inherits the list and the atexit handler). */
static struct {
    pid_t maker;
    int n;
    char names[NAMED_MEM_MAX][NAMED_MEM_NAME];
} named_mem_made;

static inline void named_mem_unlink_all(void)
{
    if (named_mem_made.maker != getpid())
        return;
    for (int i = 0; i < named_mem_made.n; i++)
        shm_unlink(named_mem_made.names[i]);
    named_mem_made.n = 0;
}

/* Check ends a failing test with _exit(), so the atexit handler above does not run then: each
 * new name first removes those of makers that are gone (the pid in the name is not alive). */
static inline void named_mem_sweep(void)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int pid = 0, end = 0;
        unsigned serial;
        if (sscanf(e->d_name, "mp-conformance-%d-%u%n", &pid, &serial, &end) != 2 ||
            e->d_name[end] != '\0' || pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[sizeof e->d_name + 1];
        snprintf(path, sizeof path, "/%s", e->d_name);
        shm_unlink(path);
    }
    if (d)
        closedir(d);
}

/* Zeroed memory shared by name with every child, under every start method; `name` receives the
 * name to pass in args (mp_build("s", name)). */
static inline void *named_mem_new(size_t size, char name[NAMED_MEM_NAME])
{
    static unsigned serial;
    int fd;
    ck_assert_int_lt(named_mem_made.n, NAMED_MEM_MAX);
    named_mem_sweep();
    do
        snprintf(name, NAMED_MEM_NAME, "/mp-conformance-%d-%u", (int)getpid(), serial++);
    while ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 &&
           errno == EEXIST);
    ck_assert_msg(fd >= 0, "shm_open(%s): %s", name, strerror(errno));
    if (named_mem_made.maker != getpid()) {
        named_mem_made.maker = getpid();
        named_mem_made.n = 0;
        atexit(named_mem_unlink_all);
    }
    snprintf(named_mem_made.names[named_mem_made.n++], NAMED_MEM_NAME, "%s", name);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return p;
}

/* In a child: the memory named_mem_new() made, mapped again; NULL if it cannot be (the job then
 * reports a failure by its exit code). */
static inline void *named_mem_open(const char *name, size_t size)
{
    int fd = name ? shm_open(name, O_RDWR | O_CLOEXEC, 0) : -1;
    if (fd < 0)
        return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* In a child: argument i as a str (a named_mem_new() name), or NULL. */
static inline const char *arg_str(mp_obj_t *a, size_t i)
{
    const char *s = NULL;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "s", &s) == 0 ? s : NULL;
}

/* A tuple of value wrappers of n locks, for a child that needs many (mp_build() takes a fixed
 * format); NULL if one cannot be made. */
static inline mp_obj_t *lock_objs(mp_lock_t *const *locks, size_t n)
{
    mp_obj_t **items = calloc(n, sizeof *items);
    mp_obj_t *t = NULL;
    size_t made = 0;
    while (items && made < n && (items[made] = mp_lock_obj(locks[made])) != NULL)
        made++;
    if (items && made == n)
        t = mp_tuple_new(n, items);
    for (size_t i = 0; items && i < made; i++)
        mp_obj_decref(items[i]);
    free(items);
    return t;
}

#endif /* MP_CONFORMANCE_SYNC_HELPERS_H */
