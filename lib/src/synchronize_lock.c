/* Lock and RLock over the lock word of synchronize_core.c.
 *
 * A Lock's holder is a process: any process may release it (CPython's SemLock), and `tid` only records
 * which thread took it, for Condition's ownership check. An RLock's owner is a thread of a
 * process: the word names the process, `tid` the thread, `count` the depth; only the owner
 * touches tid and count while it holds the word, and it clears them before releasing, so another
 * thread never reads a stale "mine". A forked child has another pid, so it never owns its
 * parent's RLock, as CPython's after-fork reset of the count ensures there. */
#include <stdlib.h>

#include "synchronize_impl.h"

static int lock_new(mp_lock_t **out, int recursive)
{
    int rc = mp__sync_alloc(out, sizeof **out, sizeof(mp__lockword_t));
    if (rc == 0)
        (*out)->recursive = recursive;
    return rc;
}

int mp_lock_new(mp_lock_t **out)
{
    MP__NEED(out);
    return lock_new(out, 0);
}

int mp_rlock_new(mp_lock_t **out)
{
    MP__NEED(out);
    return lock_new(out, 1);
}

void mp_lock_free(mp_lock_t *l)
{
    mp__sync_free(l);
}

int mp__lock_import(int fd, size_t offset, int recursive, mp_lock_t **out)
{
    int rc = mp__sync_import(fd, offset, out, sizeof **out, sizeof(mp__lockword_t));
    if (rc == 0)
        (*out)->recursive = recursive;
    return rc;
}

/* After the word is ours: who holds it, and (EOWNERDEAD included) a fresh depth of 1. */
static int took(mp__lockword_t *sh, int rc)
{
    if (rc == 0 || rc == MP_EOWNERDEAD) {
        atomic_store_explicit(&sh->tid, mp__self_tid(), memory_order_relaxed);
        atomic_store_explicit(&sh->count, 1, memory_order_relaxed);
    }
    return rc;
}

int mp_lock_acquire(mp_lock_t *l, int block, double timeout)
{
    MP__NEED(l);
    mp__lockword_t *sh = l->sh;
    uint64_t me = mp__self_ident();
    if (l->recursive && mp__lw_is_mine(sh)) {
        uint32_t n = atomic_load_explicit(&sh->count, memory_order_relaxed);
        if (n == UINT32_MAX)
            return mp__fail(MP_EOVERFLOW, "recursion depth of the RLock overflows");
        atomic_store_explicit(&sh->count, n + 1, memory_order_relaxed);
        return 0;
    }
    if (__builtin_expect(mp__lw_acquire_fast(sh, me), 1))
        return took(sh, 0);
    return took(sh, mp__lw_acquire_slow(sh, me, block, timeout));
}

int mp_lock_release(mp_lock_t *l)
{
    MP__NEED(l);
    mp__lockword_t *sh = l->sh;
    if (l->recursive) {
        if (!mp__lw_is_mine(sh))
            return mp__fail(MP_ENOTOWNER, "attempt to release recursive lock not owned by thread");
        uint32_t n = atomic_load_explicit(&sh->count, memory_order_relaxed);
        if (n > 1) {
            atomic_store_explicit(&sh->count, n - 1, memory_order_relaxed);
            return 0;
        }
    }
    atomic_store_explicit(&sh->count, 0, memory_order_relaxed);
    atomic_store_explicit(&sh->tid, 0, memory_order_relaxed);
    return mp__lw_release(sh);
}

int mp_lock_make_consistent(mp_lock_t *l)
{
    MP__NEED(l);
    mp__lockword_t *sh = l->sh;
    uint64_t w = atomic_load(&sh->word);
    int mine =
        l->recursive ? mp__lw_is_mine(sh) : (w & MP__LW_PID) == (mp__self_ident() & MP__LW_PID);
    if (!mine)
        return mp__fail(MP_ENOTOWNER, "make_consistent: the lock is not held by the caller");
    if (atomic_load(&sh->health) != MP__LW_INCONSISTENT)
        return mp__fail(MP_EINVAL, "make_consistent: the lock was not taken from a dead holder");
    atomic_store(&sh->health, MP__LW_CONSISTENT);
    return 0;
}

int mp_lock_is_mine(const mp_lock_t *l)
{
    MP__NEED_OR(l, 0);
    return mp__lw_is_mine(l->sh);
}

int mp_lock_count(const mp_lock_t *l)
{
    MP__NEED(l);
    if (!mp__lw_is_mine(l->sh))
        return 0;
    return (int)atomic_load_explicit(&l->sh->count, memory_order_relaxed);
}

int mp__lock_release_all(mp_lock_t *l, uint32_t *saved)
{
    if (!mp__lw_is_mine(l->sh))
        return MP_ENOTOWNER;
    *saved = atomic_load_explicit(&l->sh->count, memory_order_relaxed);
    atomic_store_explicit(&l->sh->count, 0, memory_order_relaxed);
    atomic_store_explicit(&l->sh->tid, 0, memory_order_relaxed);
    return mp__lw_release(l->sh);
}

int mp__lock_reacquire(mp_lock_t *l, uint32_t saved)
{
    /* Blocking and without a timeout, as CPython re-acquires after a wait: the only way out
     * is to get it (from a dead holder too) or find it poisoned. */
    mp__lockword_t *sh = l->sh;
    uint64_t me = mp__self_ident();
    int rc = mp__lw_acquire_fast(sh, me) ? 0 : mp__lw_acquire_slow(sh, me, 1, MP_FOREVER);
    if (rc == 0 || rc == MP_EOWNERDEAD) {
        atomic_store_explicit(&sh->tid, mp__self_tid(), memory_order_relaxed);
        atomic_store_explicit(&sh->count, saved ? saved : 1, memory_order_relaxed);
    }
    return rc;
}
