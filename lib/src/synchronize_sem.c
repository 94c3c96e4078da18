/* Semaphore and BoundedSemaphore: a counter that is its own futex, and a count of sleepers so
 * that release makes a system call only when someone may be asleep.
 *
 * The sleeper count and the value follow the Dekker pattern: a waiter increments `sleepers`
 * and then reads the value; release increments the value and then reads `sleepers`; both
 * sequentially consistent, so either the waiter sees the new value or release sees the waiter.
 * A waiter killed while counted leaves `sleepers` too high, which costs later releases a
 * needless wake-up call and nothing else.
 *
 * The bound of a BoundedSemaphore is checked in the same compare-and-swap that increments, so
 * two releases can never both pass it (CPython reads the value, then posts: docs/pages/deviations.md). */
#include <stdlib.h>

#include "synchronize_impl.h"

struct sem_shared {
    _Atomic uint32_t value;
    _Atomic uint32_t sleepers;
    uint32_t max;
    mp__spin_t spin;
};

struct mp_sem_s {
    struct sem_shared *sh;
};

static int sem_new(mp_sem_t **out, long value, int bounded)
{
    *out = NULL;
    if (value < 0)
        return mp__fail(MP_EINVAL, "semaphore value must be >= 0, not %ld", value);
    if (value > MP_SEM_VALUE_MAX)
        return mp__fail(MP_EINVAL, "semaphore value %ld is larger than SEM_VALUE_MAX", value);
    int rc = mp__sync_alloc(out, sizeof **out, sizeof(struct sem_shared));
    if (rc < 0)
        return rc;
    struct sem_shared *sh = (*out)->sh;
    sh->max = bounded ? (uint32_t)value : (uint32_t)MP_SEM_VALUE_MAX;
    atomic_store(&sh->value, (uint32_t)value);
    return 0;
}

int mp_sem_new(mp_sem_t **out, long value)
{
    MP__NEED(out);
    return sem_new(out, value, 0);
}

int mp_bsem_new(mp_sem_t **out, long value)
{
    MP__NEED(out);
    return sem_new(out, value, 1);
}

void mp_sem_free(mp_sem_t *s)
{
    mp__sync_free(s);
}

int mp__sem_import(int fd, size_t offset, mp_sem_t **out)
{
    return mp__sync_import(fd, offset, out, sizeof **out, sizeof(struct sem_shared));
}

/* The state keeps the bound only, so a BoundedSemaphore(SEM_VALUE_MAX) reads as a Semaphore,
 * which it behaves exactly like. */
int mp__sem_bounded(const mp_sem_t *s)
{
    return s->sh->max < (uint32_t)MP_SEM_VALUE_MAX;
}

static int try_down(struct sem_shared *sh)
{
    uint32_t v = atomic_load_explicit(&sh->value, memory_order_relaxed);
    while (v > 0)
        if (atomic_compare_exchange_weak_explicit(&sh->value, &v, v - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    return 0;
}

static int sleep_down(struct sem_shared *sh, double deadline)
{
    atomic_fetch_add(&sh->sleepers, 1);
    int rc;
    for (;;) {
        if (try_down(sh)) {
            rc = 0;
            break;
        }
        rc = mp__futex_wait(&sh->value, 0, deadline);
        if (rc == MP_ETIMEDOUT) {
            rc = try_down(sh) ? 0 : mp__fail(MP_ETIMEDOUT, "acquire timed out");
            break;
        }
    }
    atomic_fetch_sub(&sh->sleepers, 1);
    return rc;
}

int mp_sem_acquire(mp_sem_t *s, int block, double timeout)
{
    MP__NEED(s);
    struct sem_shared *sh = s->sh;
    if (try_down(sh))
        return 0;
    if (!block)
        return mp__fail(MP_EAGAIN, "semaphore is 0");
    double deadline;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    /* Spin while it is 0, then sleep; another taker may beat us to the count, hence the loop
     * in sleep_down. */
    if (deadline > mp__now() && mp__spin(&sh->value, UINT32_MAX, 0, 1, &sh->spin, 20000) &&
        try_down(sh))
        return 0;
    return sleep_down(sh, deadline);
}

int mp_sem_release(mp_sem_t *s)
{
    MP__NEED(s);
    struct sem_shared *sh = s->sh;
    uint32_t v = atomic_load_explicit(&sh->value, memory_order_relaxed);
    do {
        if (v >= sh->max)
            return mp__fail(MP_EOVERFLOW, "semaphore or lock released too many times");
    } while (!atomic_compare_exchange_weak(&sh->value, &v, v + 1));
    if (atomic_load(&sh->sleepers) > 0)
        mp__futex_wake(&sh->value, 1);
    return 0;
}

int mp_sem_get_value(const mp_sem_t *s)
{
    MP__NEED(s);
    return (int)atomic_load_explicit(&s->sh->value, memory_order_relaxed);
}
