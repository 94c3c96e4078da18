/* Barrier: threading.Barrier's state machine (which multiprocessing.Barrier reuses:
 * Lib/multiprocessing/synchronize.py, Barrier) in
 * shared memory, under an internal lock word, with a sequence number as the futex the parties
 * sleep on.
 *
 * States as in CPython: FILLING (parties arrive), DRAINING (all arrived; they are leaving),
 * RESETTING (reset() while parties waited; they leave broken), BROKEN; plus ACTION, ours: the
 * last party runs the action *without* the internal lock (a user function must not be able to
 * wedge the barrier), and arrivals wait while it runs, as they would behind CPython's lock.
 *
 * Dead parties. CPython's Barrier waits for ever when a party is killed (python/cpython#123899).
 * Each party inside wait() writes its identity (pid and start time) in the slot of its arrival
 * index; sleepers wake every SLICE, and at most one of them every SLICE looks at the slots. A
 * dead party found while the barrier fills (or runs the action) breaks it; found while it drains,
 * it is only counted out, as it had already passed. A party that dies holding the internal lock
 * is seen by the next one to take it (EOWNERDEAD): it recounts from the slots, and breaks the
 * barrier if it was filling, as a party died in the middle of it. */
#include <limits.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "shm_impl.h"
#include "synchronize_impl.h"

#define SLICE 0.05

enum { FILLING, DRAINING, RESETTING, BROKEN, ACTION };

struct barrier_shared {
    mp__lockword_t lk;
    _Atomic uint32_t seq;
    _Atomic int32_t state;
    _Atomic uint32_t count;
    uint32_t parties;
    double timeout;
    _Atomic uint32_t scanned_ms;
    char action[64];         /* the action's registered name, "" if it has none or has an arg */
    _Atomic uint64_t slot[]; /* the identity of the party with each arrival index, or 0 */
};

struct mp_barrier_s {
    struct barrier_shared *sh;
    mp_barrier_action_t action; /* per process: a pointer meaningful in this address space */
    void *arg;
};

int mp_barrier_new(mp_barrier_t **out, unsigned parties, mp_barrier_action_t action, void *arg,
                   double timeout)
{
    MP__NEED(out);
    *out = NULL;
    if (parties < 1 || parties > (1u << 24))
        return mp__fail(MP_EINVAL, "a barrier needs 1 to 16777216 parties, not %u", parties);
    if (isnan(timeout))
        return mp__fail(MP_EINVAL, "timeout must be a number, not NaN");
    int rc = mp__sync_alloc(out, sizeof **out,
                            sizeof(struct barrier_shared) + parties * sizeof(uint64_t));
    if (rc < 0)
        return rc;
    mp_barrier_t *b = *out;
    b->sh->parties = parties;
    b->sh->timeout = timeout;
    b->action = action;
    b->arg = arg;
    /* Only a name can travel to a fresh program image, and only without an arg (a pointer). */
    const char *name = action && !arg ? mp__barrier_action_name(action) : NULL;
    size_t len = name ? strlen(name) : sizeof b->sh->action;
    if (len < sizeof b->sh->action)
        memcpy(b->sh->action, name, len + 1);
    return 0;
}

void mp_barrier_free(mp_barrier_t *b)
{
    mp__sync_free(b);
}

/* The slots follow the header: the party count read from shared memory must leave them inside
 * the mapping, or a wait would write past it. */
int mp__barrier_import(int fd, size_t offset, mp_barrier_t **out)
{
    int rc = mp__sync_import(fd, offset, out, sizeof **out, sizeof(struct barrier_shared));
    if (rc < 0)
        return rc;
    int mfd;
    size_t off, size;
    uint32_t parties = (*out)->sh->parties;
    rc = mp__shm_locate((*out)->sh, &mfd, &off, &size);
    if (rc == 0 && (parties < 1 || parties > (1u << 24) ||
                    size - off < sizeof(struct barrier_shared) + parties * sizeof(uint64_t)))
        rc = mp__fail(MP_EDECODE, "the Barrier's shared state is not one (%u parties)", parties);
    if (rc == 0 && (*out)->sh->action[0]) {
        char name[sizeof(*out)->sh->action];
        memcpy(name, (*out)->sh->action, sizeof name);
        name[sizeof name - 1] = '\0'; /* another process wrote it: bound it before use */
        if (!((*out)->action = mp__barrier_action_lookup(name)))
            rc = MP_EDECODE;
    }
    if (rc < 0) {
        mp_barrier_free(*out);
        *out = NULL;
    }
    return rc;
}

int mp__barrier_exportable(const mp_barrier_t *b)
{
    if (b->action && !b->sh->action[0])
        return mp__fail(MP_EENCODE, "a Barrier with an action cannot be sent to a process "
                                    "started by spawn or forkserver unless the action is "
                                    "registered by name (MP_BARRIER_ACTION()) and its arg is "
                                    "NULL: a function pointer means nothing in another image");
    return 0;
}

static void wake_all(struct barrier_shared *sh)
{
    atomic_fetch_add(&sh->seq, 1);
    mp__futex_wake(&sh->seq, INT_MAX);
}

static void set_state(struct barrier_shared *sh, int32_t state)
{
    atomic_store(&sh->state, state);
    wake_all(sh);
}

/* A party is out: the last one out of a drain or a reset opens the barrier again. */
static void leave(struct barrier_shared *sh, unsigned idx)
{
    atomic_store(&sh->slot[idx], 0);
    uint32_t n = atomic_load(&sh->count) - 1;
    atomic_store(&sh->count, n);
    int32_t st = atomic_load(&sh->state);
    if (n == 0 && (st == DRAINING || st == RESETTING))
        set_state(sh, FILLING);
}

/* Counts out the parties that died inside wait(); breaks a barrier that was filling. */
static void count_out_dead(struct barrier_shared *sh)
{
    int dead = 0;
    for (unsigned i = 0; i < sh->parties; i++) {
        uint64_t id = atomic_load(&sh->slot[i]);
        if (id && !mp__ident_alive(id)) {
            dead++;
            leave(sh, i);
        }
    }
    int32_t st = atomic_load(&sh->state);
    if (dead && (st == FILLING || st == ACTION))
        set_state(sh, BROKEN);
}

static void lock_internal(struct barrier_shared *sh)
{
    uint64_t me = mp__self_ident();
    if (mp__lw_acquire_fast(&sh->lk, me))
        return;
    if (mp__lw_acquire_slow(&sh->lk, me, 1, MP_FOREVER) != MP_EOWNERDEAD)
        return;
    /* Its holder died part-way through an update: rebuild the count from the slots. */
    uint32_t n = 0;
    for (unsigned i = 0; i < sh->parties; i++)
        n += atomic_load(&sh->slot[i]) != 0;
    atomic_store(&sh->count, n);
    count_out_dead(sh);
    int32_t st = atomic_load(&sh->state);
    if (st == FILLING || st == ACTION)
        set_state(sh, BROKEN);
    atomic_store(&sh->lk.health, MP__LW_CONSISTENT);
}

static void unlock_internal(struct barrier_shared *sh)
{
    mp__lw_release(&sh->lk);
}

/* One sleep with the internal lock released; returns holding it. MP_ETIMEDOUT only at the
 * deadline: the end of a slice is a chance to look for dead parties. */
static int sleep_once(struct barrier_shared *sh, double deadline)
{
    uint32_t seq = atomic_load(&sh->seq);
    unlock_internal(sh);
    double slice = mp__now() + SLICE;
    int rc = mp__futex_wait(&sh->seq, seq, slice < deadline ? slice : deadline);
    lock_internal(sh);
    if (rc == MP_ETIMEDOUT && slice < deadline)
        rc = 0;
    uint32_t t = (uint32_t)(uint64_t)(mp__now() * 1000), last = atomic_load(&sh->scanned_ms);
    if (t - last >= (uint32_t)(SLICE * 1000)) {
        atomic_store(&sh->scanned_ms, t);
        count_out_dead(sh);
    }
    return rc;
}

/* The last party: runs the action, then lets everyone through. */
static int release_parties(mp_barrier_t *b)
{
    struct barrier_shared *sh = b->sh;
    if (b->action) {
        set_state(sh, ACTION);
        unlock_internal(sh);
        int rc = b->action(b->arg);
        lock_internal(sh);
        if (atomic_load(&sh->state) != ACTION)
            return rc < 0 ? rc : mp__fail(MP_EBROKEN, "barrier broken during the action");
        if (rc < 0) {
            set_state(sh, BROKEN);
            return rc;
        }
    }
    set_state(sh, DRAINING);
    return 0;
}

/* Any other party: waits for the last one, the deadline, or a break. */
static int wait_for_release(struct barrier_shared *sh, double deadline)
{
    for (;;) {
        int32_t st = atomic_load(&sh->state);
        if (st != FILLING && st != ACTION)
            break;
        /* Once the action runs, every party has arrived: no timeout can break it then. */
        int rc = sleep_once(sh, st == ACTION ? INFINITY : deadline);
        if (rc == MP_ETIMEDOUT && atomic_load(&sh->state) == FILLING) {
            set_state(sh, BROKEN);
            break;
        }
    }
    return atomic_load(&sh->state) == DRAINING ? 0 : mp__fail(MP_EBROKEN, "barrier is broken");
}

int mp_barrier_wait(mp_barrier_t *b, double timeout, unsigned *index)
{
    MP__NEED(b);
    struct barrier_shared *sh = b->sh;
    double deadline;
    if (timeout == MP_BARRIER_DEFAULT)
        timeout = sh->timeout;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    lock_internal(sh);
    /* Wait out a drain, a reset or an action in progress, as CPython's _enter() does. */
    for (int32_t st; (st = atomic_load(&sh->state)) == DRAINING || st == RESETTING || st == ACTION;)
        sleep_once(sh, INFINITY);
    if (atomic_load(&sh->state) == BROKEN) {
        unlock_internal(sh);
        return mp__fail(MP_EBROKEN, "barrier is broken");
    }
    unsigned idx = atomic_load(&sh->count);
    atomic_store(&sh->count, idx + 1);
    atomic_store(&sh->slot[idx], mp__self_ident());
    int rc = idx + 1 == sh->parties ? release_parties(b) : wait_for_release(sh, deadline);
    leave(sh, idx);
    unlock_internal(sh);
    if (rc == 0 && index)
        *index = idx;
    return rc;
}

int mp_barrier_reset(mp_barrier_t *b)
{
    MP__NEED(b);
    struct barrier_shared *sh = b->sh;
    lock_internal(sh);
    int32_t st = atomic_load(&sh->state);
    if (atomic_load(&sh->count) == 0)
        set_state(sh, FILLING);
    else if (st != DRAINING)
        set_state(sh, RESETTING); /* the waiters leave broken; the last one out opens it */
    else
        wake_all(sh);
    unlock_internal(sh);
    return 0;
}

int mp_barrier_abort(mp_barrier_t *b)
{
    MP__NEED(b);
    lock_internal(b->sh);
    set_state(b->sh, BROKEN);
    unlock_internal(b->sh);
    return 0;
}

unsigned mp_barrier_parties(const mp_barrier_t *b)
{
    MP__NEED_OR(b, 0);
    return b->sh->parties;
}

unsigned mp_barrier_n_waiting(const mp_barrier_t *b)
{
    MP__NEED_OR(b, 0);
    return atomic_load(&b->sh->state) == FILLING ? atomic_load(&b->sh->count) : 0;
}

int mp_barrier_broken(const mp_barrier_t *b)
{
    MP__NEED_OR(b, 0);
    return atomic_load(&b->sh->state) == BROKEN;
}
