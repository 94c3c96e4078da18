/* Internals of the synchronisation primitives (synchronize*.c): the futex calls, the identity of
 * the calling process and thread, the liveness check of a holder, bounded adaptive spinning, and
 * the owner-recording lock word that Lock, RLock, Condition and Barrier are built on.
 * Nothing here is part of the API. */
#ifndef MP_SYNCHRONIZE_IMPL_H
#define MP_SYNCHRONIZE_IMPL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "mp_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the lock word's futex half assumes a little-endian machine"
#endif

/* ---- futexes (process-shared, CLOCK_MONOTONIC absolute deadlines) ---------------------------- */

/* Sleeps while *addr == val, until woken or `deadline` (mp__now() seconds, INFINITY for none).
 * Returns 0 (woken, or the value had changed), MP_ETIMEDOUT, or MP_EINTR: callers re-check
 * their condition and call again with the same deadline, which is how EINTR gets the time left. */
int mp__futex_wait(_Atomic uint32_t *addr, uint32_t val, double deadline);
void mp__futex_wake(_Atomic uint32_t *addr, int n);

/* ---- who we are ------------------------------------------------------------------------------ */

/* The calling process as a lock word records it: pid in the low 32 bits (the futex half), the
 * low 32 bits of its start time (clock ticks after boot, /proc/PID/stat field 22) in the high
 * half, so a waiter can tell a reused pid from the holder. Cached; reset after fork. */
uint64_t mp__self_ident_slow(void);
pid_t mp__self_tid_slow(void);
/* The caches behind them, read inline: every acquire and release reads both, and a call each
 * was a tenth of an uncontended Value access. initial-exec: one %fs-relative load, not a
 * __tls_get_addr call, also in libmp.so. */
extern _Atomic uint64_t mp__self_ident_cache;
extern _Thread_local pid_t mp__self_tid_cache __attribute__((tls_model("initial-exec")));

static inline uint64_t mp__self_ident(void)
{
    uint64_t id = atomic_load_explicit(&mp__self_ident_cache, memory_order_relaxed);
    return __builtin_expect(id != 0, 1) ? id : mp__self_ident_slow();
}

static inline pid_t mp__self_tid(void)
{
    pid_t t = mp__self_tid_cache;
    return __builtin_expect(t != 0, 1) ? t : mp__self_tid_slow();
}

/* Whether the process a lock word names still runs: 0 when it is gone, a zombie, or its pid now
 * belongs to a process with another start time; 1 otherwise (and when it cannot be told). */
int mp__ident_alive(uint64_t ident);

/* ---- bounded adaptive spinning ---------------------------------------------------------------- */

/* Spin state kept in shared memory, one per object: `est`, the nanoseconds recent spins needed
 * before the awaited change came (0: do not spin), and `gap`, log2 of how many waits pass
 * between two probes (full-length spins that find out whether spinning pays again). */
typedef struct mp__spin {
    _Atomic uint32_t est;
    _Atomic uint32_t gap;
} mp__spin_t;

/* Spins until (*w & mask) == want (with `differ`: until it is not), for at most `max_ns` scaled
 * by the estimate. Returns 1 when that came true, 0 when the caller should sleep instead. */
int mp__spin(const _Atomic uint32_t *w, uint32_t mask, uint32_t want, int differ, mp__spin_t *est,
             uint32_t max_ns);

/* ---- the lock word ---------------------------------------------------------------------------- */

#define MP__LW_PID 0x3FFFFFFFu     /* low half: the holder's pid, 0 when free */
#define MP__LW_WAITERS 0x80000000u /* low half: someone may sleep on the futex */
#define MP__LW_POISON 0x3FFFFFFFu  /* the pid field of a lock that is not recoverable */

enum { MP__LW_CONSISTENT = 0, MP__LW_INCONSISTENT = 1 };

/* Shared. `word` is 0 (free), POISON (not recoverable), or the holder's ident (pid | start<<32)
 * with maybe the WAITERS bit; its low half is the futex. `tid` is the holding thread (RLock's
 * owner; Condition's ownership check), `count` RLock's recursion depth. `health` says whether
 * the holder got the lock from a dead one and has not called make_consistent yet. */
typedef struct mp__lockword {
    _Atomic uint64_t word;
    _Atomic int32_t tid;
    _Atomic uint32_t count;
    _Atomic uint32_t health;
    _Atomic uint32_t checked_ms; /* when a holder's liveness was last checked: rate limit */
    mp__spin_t spin;
} mp__lockword_t;

/* The futex half of the word. */
static inline _Atomic uint32_t *mp__lw_futex(mp__lockword_t *lw)
{
    return (_Atomic uint32_t *)(void *)&lw->word;
}

/* Takes the lock for the calling process. Returns 0; MP_EOWNERDEAD (taken from a holder that
 * died: health is now INCONSISTENT); MP_EAGAIN / MP_ETIMEDOUT; MP_ENOTRECOVERABLE; MP_EINVAL for
 * a NaN timeout. `block` 0 ignores the timeout, as common.h's timeout rules say. */
static inline int mp__lw_acquire_fast(mp__lockword_t *lw, uint64_t me)
{
    uint64_t expect = 0;
    return atomic_compare_exchange_strong_explicit(&lw->word, &expect, me, memory_order_acquire,
                                                   memory_order_relaxed);
}
int mp__lw_acquire_slow(mp__lockword_t *lw, uint64_t me, int block, double timeout);

/* Frees the lock whoever holds it. A holder that got it with MP_EOWNERDEAD and did not make it
 * consistent poisons it instead. Returns 0, MP_EOVERFLOW (it was not held), or
 * MP_ENOTRECOVERABLE. */
int mp__lw_release(mp__lockword_t *lw);

/* Whether the calling thread holds it (the word names this process and `tid` this thread). */
static inline int mp__lw_is_mine(mp__lockword_t *lw)
{
    uint64_t w = atomic_load_explicit(&lw->word, memory_order_relaxed);
    return (uint32_t)(w & MP__LW_PID) == (uint32_t)(mp__self_ident() & MP__LW_PID) &&
           atomic_load_explicit(&lw->tid, memory_order_relaxed) == mp__self_tid();
}

/* ---- the handles ------------------------------------------------------------------------------ */

/* Every handle is process-local and starts with the pointer to its shared state: handles are
 * local so that a start method that maps the shared memory elsewhere can rebuild them (fork
 * simply copies them). mp__sync_alloc makes a zeroed handle of `hsize` bytes and `ssize` bytes
 * of shared state; mp__sync_free undoes it (NULL is a no-op). */
int mp__sync_alloc(void *out, size_t hsize, size_t ssize);
void mp__sync_free(void *handle);

/* The handles of a process started by exec (reduction*.c): mp__sync_import makes a handle over
 * `ssize` bytes of shared state at `offset` in the memfd `fd` (mp__shm_adopt checks that they
 * fit); mp__sync_free undoes it. The mp__*_import calls build each kind on it, checking what
 * they read from the state; the state itself is the exporter's: *(void **)handle. */
int mp__sync_import(int fd, size_t offset, void *out, size_t hsize, size_t ssize);
int mp__lock_import(int fd, size_t offset, int recursive, mp_lock_t **out);
int mp__sem_import(int fd, size_t offset, mp_sem_t **out);
int mp__sem_bounded(const mp_sem_t *s);
/* `lock` becomes the condition's, freed with it, even when the import fails. */
int mp__cond_import(int fd, size_t offset, mp_lock_t *lock, mp_cond_t **out);
int mp__event_import(int fd, size_t offset, mp_event_t **out);
int mp__barrier_import(int fd, size_t offset, mp_barrier_t **out);
/* A barrier's action is a pointer into this process: MP_EENCODE when it has one. */
int mp__barrier_exportable(const mp_barrier_t *b);

/* A Lock or RLock handle. */
struct mp_lock_s {
    mp__lockword_t *sh;
    int recursive;
};

/* synchronize_actions.c: Barrier actions by name. The name of `fn` if exactly one function is
 * registered under it, else NULL; the function registered under `name`, else NULL with
 * mp_errmsg() set. */
const char *mp__barrier_action_name(mp_barrier_action_t fn);
mp_barrier_action_t mp__barrier_action_lookup(const char *name);

/* RLock-aware full release and re-acquire, for Condition.wait: *saved gets the recursion depth. */
int mp__lock_release_all(mp_lock_t *l, uint32_t *saved);
int mp__lock_reacquire(mp_lock_t *l, uint32_t saved);

#endif /* MP_SYNCHRONIZE_IMPL_H */
