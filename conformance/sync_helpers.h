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

#endif /* MP_CONFORMANCE_SYNC_HELPERS_H */
