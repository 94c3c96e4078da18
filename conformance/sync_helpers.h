/* Helpers of the synchronisation suites (test_lock.c ... test_barrier.c): children that run a
 * function and report by exit code, shared scratch memory, and threads.
 *
 * A child's function returns 0 for "as expected" or a small number saying which check failed;
 * the test asserts on it. Children are libmp Processes (so fork goes through mp_process_start,
 * as in a user's program); `finish` joins one with a time limit and kills it past the limit. */
#ifndef MP_CONFORMANCE_SYNC_HELPERS_H
#define MP_CONFORMANCE_SYNC_HELPERS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "helpers.h"

typedef int (*job_fn)(void *arg);

struct job {
    job_fn fn;
    void *arg;
};

static void job_target(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    const struct job *j = ctx;
    mp_exit(j->fn(j->arg));
}

/* Starts fn(arg) in a child. `arg` is read in the child's copy of memory: a pointer to the
 * parent's stack is fine, pointers to shared memory are shared. */
static inline mp_process_t *go(job_fn fn, void *arg)
{
    struct job j = {fn, arg}; /* copied into the child by fork, inside mp_process_start */
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = &j;
    ck_assert_mp(mp_process_new(&p, job_target, NULL, &o), 0);
    ck_assert_mp(mp_process_start(p), 0);
    return p;
}

/* Joins the child within `timeout` (killing it past that) and frees it. Returns its exit code
 * (negative: the signal that ended it), or 999 when it had to be killed. */
static inline int finish(mp_process_t *p, double timeout)
{
    int code = 999;
    if (mp_process_join(p, timeout) == MP_ETIMEDOUT) {
        mp_process_kill(p);
        mp_process_join(p, 5);
    } else {
        mp_process_exitcode(p, &code);
    }
    mp_process_free(p);
    return code;
}

/* SIGKILLs the child and waits until it is gone (it stays a zombie: nobody reaps it yet, which
 * is the hardest case for a liveness check), then frees the handle later with finish(). */
static inline void kill_now(mp_process_t *p)
{
    ck_assert_mp(mp_process_kill(p), 0);
    ck_assert(proc_wait_gone(mp_process_pid(p), 5));
}

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

#endif /* MP_CONFORMANCE_SYNC_HELPERS_H */
