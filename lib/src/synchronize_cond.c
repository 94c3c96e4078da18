/* Condition: waiters and wake-up tokens counted under the condition's own lock, and a sequence
 * number that is the futex.
 *
 * CPython's Condition makes notify() wait until each woken sleeper says it woke, so a waiter
 * that dies makes notify() hang for ever (python/cpython#75158). Here notify() only grants
 * tokens and wakes: `waiters` counts the calls inside wait(), `tokens` the wake-ups granted and
 * not yet taken, and tokens <= waiters always. notify(n) grants min(n, waiters - tokens), bumps
 * `seq` and wakes that many sleepers; a woken waiter takes a token under the lock, or sleeps
 * again if another took it first. Whoever wakes takes the token, and the kernel never wakes a
 * dead sleeper, so no wake-up is lost to a dead waiter. What a dead waiter costs is that it
 * stays counted: a later notify may grant it a token that a live waiter then takes on a timeout,
 * which reads as notified. That is the conservative error (a spurious wake-up, which callers of
 * a condition must tolerate anyway), never a hang.
 *
 * Every field but `seq` changes only under the lock, so plain relaxed accesses would do; they are
 * atomics to state that other processes read them. */
#include <limits.h>
#include <stdlib.h>

#include "synchronize_impl.h"

struct cond_shared {
    _Atomic uint32_t seq;
    _Atomic uint32_t waiters;
    _Atomic uint32_t tokens;
};

struct mp_cond_s {
    struct cond_shared *sh;
    mp_lock_t *lock;
    int owns_lock;
};

int mp_cond_new(mp_cond_t **out, mp_lock_t *lock)
{
    MP__NEED(out);
    int rc = mp__sync_alloc(out, sizeof **out, sizeof(struct cond_shared));
    if (rc < 0)
        return rc;
    mp_cond_t *c = *out;
    if (!lock) {
        rc = mp_rlock_new(&lock);
        if (rc < 0) {
            mp__sync_free(c);
            *out = NULL;
            return rc;
        }
        c->owns_lock = 1;
    }
    c->lock = lock;
    return 0;
}

void mp_cond_free(mp_cond_t *c)
{
    if (c && c->owns_lock)
        mp_lock_free(c->lock);
    mp__sync_free(c);
}

int mp__cond_import(int fd, size_t offset, mp_lock_t *lock, mp_cond_t **out)
{
    int rc = mp__sync_import(fd, offset, out, sizeof **out, sizeof(struct cond_shared));
    if (rc < 0) {
        mp_lock_free(lock);
        return rc;
    }
    (*out)->lock = lock;
    (*out)->owns_lock = 1;
    return 0;
}

mp_lock_t *mp_cond_lock(mp_cond_t *c)
{
    MP__NEED_OR(c, NULL);
    return c->lock;
}

int mp_cond_acquire(mp_cond_t *c, int block, double timeout)
{
    MP__NEED(c);
    return mp_lock_acquire(c->lock, block, timeout);
}

int mp_cond_release(mp_cond_t *c)
{
    MP__NEED(c);
    return mp_lock_release(c->lock);
}

static int take_token(struct cond_shared *sh)
{
    uint32_t t = atomic_load_explicit(&sh->tokens, memory_order_relaxed);
    if (t == 0)
        return 0;
    atomic_store_explicit(&sh->tokens, t - 1, memory_order_relaxed);
    return 1;
}

/* One sleep, lock released: returns with the lock held again. *rc gets the lock's code when
 * re-acquiring it failed or found a dead holder. */
static int sleep_unlocked(mp_cond_t *c, double deadline, uint32_t *depth, int *lock_rc)
{
    struct cond_shared *sh = c->sh;
    uint32_t seq = atomic_load(&sh->seq);
    int rc = mp__lock_release_all(c->lock, depth);
    if (rc < 0 && rc != MP_ENOTRECOVERABLE)
        return rc;
    rc = mp__futex_wait(&sh->seq, seq, deadline);
    int lrc = mp__lock_reacquire(c->lock, *depth);
    if (lrc < 0 && *lock_rc == 0)
        *lock_rc = lrc;
    return rc;
}

int mp_cond_wait(mp_cond_t *c, double timeout)
{
    MP__NEED(c);
    struct cond_shared *sh = c->sh;
    if (!mp__lw_is_mine(c->lock->sh))
        return mp__fail(MP_ENOTOWNER, "must acquire() condition before using wait()");
    double deadline;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    atomic_fetch_add_explicit(&sh->waiters, 1, memory_order_relaxed);
    uint32_t depth = 0;
    int lock_rc = 0, notified = 0;
    for (;;) {
        int rc = sleep_unlocked(c, deadline, &depth, &lock_rc);
        if (lock_rc == MP_ENOTRECOVERABLE)
            break; /* the lock is gone for good: nothing guards the counters any more */
        if (take_token(sh)) {
            notified = 1;
            break;
        }
        if (rc == MP_ETIMEDOUT)
            break;
    }
    if (lock_rc != MP_ENOTRECOVERABLE) {
        uint32_t w = atomic_load_explicit(&sh->waiters, memory_order_relaxed) - 1;
        atomic_store_explicit(&sh->waiters, w, memory_order_relaxed);
        /* Keep tokens <= waiters: a token nobody else is left to take is ours. */
        if (!notified && atomic_load_explicit(&sh->tokens, memory_order_relaxed) > w)
            notified = take_token(sh);
    }
    if (lock_rc < 0)
        return lock_rc;
    return notified ? 0 : mp__fail(MP_ETIMEDOUT, "wait timed out");
}

int mp_cond_wait_for(mp_cond_t *c, mp_predicate_t pred, void *arg, double timeout, int *value)
{
    MP__NEED(c);
    MP__NEED(pred);
    double deadline;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    int v = pred(arg);
    while (!v) {
        double left = deadline - mp__now();
        if (left <= 0)
            break;
        int rc = mp_cond_wait(c, left);
        if (rc < 0 && rc != MP_ETIMEDOUT) {
            if (value)
                *value = 0;
            return rc;
        }
        v = pred(arg);
    }
    if (value)
        *value = v;
    return v ? 0 : mp__fail(MP_ETIMEDOUT, "wait_for timed out");
}

int mp_cond_notify(mp_cond_t *c, unsigned n)
{
    MP__NEED(c);
    struct cond_shared *sh = c->sh;
    if (!mp__lw_is_mine(c->lock->sh))
        return mp__fail(MP_ENOTOWNER, "lock is not owned");
    uint32_t w = atomic_load_explicit(&sh->waiters, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&sh->tokens, memory_order_relaxed);
    uint32_t k = w - t < n ? w - t : n;
    if (k == 0)
        return 0;
    atomic_store_explicit(&sh->tokens, t + k, memory_order_relaxed);
    atomic_fetch_add(&sh->seq, 1);
    mp__futex_wake(&sh->seq, k >= INT_MAX ? INT_MAX : (int)k);
    return 0;
}

int mp_cond_notify_all(mp_cond_t *c)
{
    MP__NEED(c);
    return mp_cond_notify(c, UINT_MAX);
}
