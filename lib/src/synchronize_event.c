/* Event: one 32-bit word that is the flag, a "someone sleeps" bit and a generation, and the
 * futex all at once.
 *
 * CPython builds Event from a Condition, a Lock and a Semaphore: every set() and wait() takes a
 * lock. Here set() is one compare-and-swap, plus a wake-up call only when the SLEEPERS bit says
 * someone sleeps; wait() on a set event is one load. The generation is bumped by every set()
 * that changes the flag, so a waiter also returns when the event was set and cleared again
 * before it ran (a pulse), where a look at the flag alone would miss it and sleep on.
 *
 * W6 of the benchmarks is two processes handing the turn back and forth through two events; a
 * waiter first spins (bounded, adaptive; see synchronize_core.c) so that the hand-over does not
 * pay a cross-core wake-up each way when both processes have a CPU. */
#include <limits.h>
#include <stdlib.h>

#include "synchronize_impl.h"

#define SET 1u
#define SLEEPERS 2u
#define GEN_ONE 4u
#define GEN_MASK (~(SET | SLEEPERS))
#define SPIN_EVENT_NS 50000u /* a peer on another CPU usually answers within a few us */

struct event_shared {
    _Atomic uint32_t word;
    mp__spin_t spin;
};

struct mp_event_s {
    struct event_shared *sh;
};

int mp_event_new(mp_event_t **out)
{
    MP__NEED(out);
    return mp__sync_alloc(out, sizeof **out, sizeof(struct event_shared));
}

void mp_event_free(mp_event_t *e)
{
    mp__sync_free(e);
}

int mp__event_import(int fd, size_t offset, mp_event_t **out)
{
    return mp__sync_import(fd, offset, out, sizeof **out, sizeof(struct event_shared));
}

int mp_event_is_set(const mp_event_t *e)
{
    MP__NEED_OR(e, 0);
    return (atomic_load(&e->sh->word) & SET) != 0;
}

void mp_event_set(mp_event_t *e)
{
    MP__NEED_OR(e, );
    _Atomic uint32_t *w = &e->sh->word;
    uint32_t old = atomic_load(w);
    do {
        if (old & SET)
            return;
    } while (!atomic_compare_exchange_weak(w, &old, ((old + GEN_ONE) & GEN_MASK) | SET));
    if (old & SLEEPERS)
        mp__futex_wake(w, INT_MAX);
}

void mp_event_clear(mp_event_t *e)
{
    MP__NEED_OR(e, );
    atomic_fetch_and(&e->sh->word, ~SET);
}

/* Set now, or set since the wait began (a newer generation). */
static int happened(uint32_t w, uint32_t gen0)
{
    return (w & SET) || (w & GEN_MASK) != gen0;
}

int mp_event_wait(mp_event_t *e, double timeout)
{
    MP__NEED(e);
    _Atomic uint32_t *word = &e->sh->word;
    uint32_t w = atomic_load(word);
    if (w & SET)
        return 0;
    uint32_t gen0 = w & GEN_MASK;
    double deadline;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    if (deadline > mp__now() &&
        mp__spin(word, GEN_MASK | SET, gen0, 1, &e->sh->spin, SPIN_EVENT_NS))
        return 0;
    for (;;) {
        w = atomic_load(word);
        if (happened(w, gen0))
            return 0;
        if (!(w & SLEEPERS)) {
            if (!atomic_compare_exchange_weak(word, &w, w | SLEEPERS))
                continue;
            w |= SLEEPERS;
        }
        int rc = mp__futex_wait(word, w, deadline);
        if (rc == MP_ETIMEDOUT)
            return happened(atomic_load(word), gen0) ? 0 : mp__fail(MP_ETIMEDOUT, "wait timed out");
    }
}
