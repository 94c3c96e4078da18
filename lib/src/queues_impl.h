/* Internals of the queues (queues*.c): the shared ring and the process-local handles.
 * queues_ring.c explains the design; nothing here is part of the API. */
#ifndef MP_QUEUES_IMPL_H
#define MP_QUEUES_IMPL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "shm_impl.h"
#include "synchronize_impl.h"

enum { MP__Q_QUEUE, MP__Q_JOINABLE, MP__Q_SIMPLE };

/* The state a commit changes, kept twice: st[cur] is the committed one, the other is scratch.
 * A change is written to the scratch copy and committed by flipping `cur` (one store), so a
 * process killed half-way leaves the committed copy intact. Positions count bytes since the
 * last time the queue was empty (then they restart at 0); offset in the ring = pos & mask. */
typedef struct mp__qstate {
    uint64_t head;       /* position of the oldest message */
    uint64_t tail;       /* position after the newest */
    uint64_t count;      /* messages in the ring */
    uint64_t unfinished; /* JoinableQueue: put and not yet task_done */
} mp__qstate_t;

/* A wake-up channel: `seq` (the futex) changes on every commit that may interest its waiters;
 * `sleepers` counts those that may be asleep, so that a commit makes a system call only when
 * someone may sleep; `pending` says a wake-up is on its way and not yet taken, so that a burst
 * of commits wakes a sleeper once, not once each. A waiter killed while counted leaves
 * `sleepers` too high, which costs later commits a needless wake-up call and nothing else; a
 * `pending` left set is cleared by the next waiter that wakes, from its slice if not before. */
typedef struct mp__qwait {
    _Atomic uint32_t seq;
    _Atomic uint32_t sleepers;
    _Atomic uint32_t pending;
    mp__spin_t spin;
} mp__qwait_t;

/* The shared part of a queue: this header, then the ring at MP__Q_RING_OFF. Laid out by cache
 * line, as the processes pass them from core to core: the lock and what is read with it, the
 * two copies of the state, what changes rarely, then each wake-up channel on a line of its own. */
typedef struct mp__qshared {
    pthread_mutex_t lock; /* process-shared, robust */
    _Atomic uint32_t cur;
    _Atomic uint32_t broken;
    uint32_t kind;
    /* Memory hints, under the lock; a stale hint costs memory or a needless call, never data:
     * `spilled`: some page beyond `keep` may hold data (set before a put writes past it);
     * `clean`: ring positions below it (and beyond `keep`) hold no pages. */
    uint32_t spilled;
    alignas(64) mp__qstate_t st[2];
    alignas(64) uint64_t cap; /* ring bytes, a power of two */
    uint64_t keep;            /* the first `keep` ring bytes are never handed back to the kernel */
    int64_t maxsize;          /* messages; 0 for none */
    uint64_t clean;
    uint32_t magic;
    _Atomic uint32_t recoveries;
    mp__spin_t lock_spin;
    alignas(64) mp__qwait_t items; /* a message was put: getters wait here */
    alignas(64) mp__qwait_t space; /* a message was taken: putters wait here */
    alignas(64) mp__qwait_t done;  /* unfinished reached 0: joiners wait here */
} mp__qshared_t;

#define MP__Q_RING_OFF 4096u

/* A handle: process-local, copied by fork. */
struct mp_queue_s {
    mp__qshared_t *sh;
    unsigned char *ring;
    int kind;
    int protocol;
    int closed;     /* close() in this process: no put, no get */
    int put_closed; /* this process gave up putting (close_put, close) */
    int eof_rd;     /* the put-side pipe: every process that may put holds eof_wr; */
    int eof_wr;     /* its read end sees POLLHUP when none is left. -1 when absent */
};

struct mp_squeue_s {
    struct mp_queue_s q;
};

/* Tells a waiting get() that no producer is left (returns 1), or not (0). */
typedef int (*mp__q_eof_fn)(const struct mp_queue_s *q);

int mp__q_shared_new(mp__qshared_t **out, int kind, int64_t maxsize, uint64_t cap);
/* The shared part of a queue of `kind` made by another process, from its memfd (checked). */
int mp__q_shared_adopt(int fd, size_t offset, int kind, mp__qshared_t **out);

/* A handle rebuilt in a process started by exec (queues_import.c): over the shared part at
 * `offset` in the memfd `memfd`, with its own copies of the put side's descriptors (-1: absent).
 * *out is an mp_queue_t, or an mp_squeue_t for MP__Q_SIMPLE. */
int mp__queue_import(int kind, int protocol, int memfd, size_t offset, int eof_rd, int eof_wr,
                     void **out);

/* Copy a message of `len` bytes in / out. `deadline` is absolute (mp__now()); `block` 0 never
 * waits. mp__q_get copies a message of at most `small_cap` bytes into `small` (then *out ==
 * small) and mallocs a bigger one; with `out` NULL it copies into `small` only, and a longer
 * message stays in the queue (MP_EMSGSIZE, *len its length). */
int mp__q_put(struct mp_queue_s *q, const void *data, size_t len, int block, double deadline);
int mp__q_get(struct mp_queue_s *q, void *small, size_t small_cap, void **out, size_t *len,
              int block, double deadline, mp__q_eof_fn eof);

/* Reads the committed state under the lock. */
int mp__q_snapshot(struct mp_queue_s *q, mp__qstate_t *st);

/* The bytes of shared memory the queue holds now (the memfd's allocated blocks). */
int mp__q_memory(const struct mp_queue_s *q, size_t *bytes);

int mp__q_task_done(struct mp_queue_s *q);
int mp__q_join(struct mp_queue_s *q, double deadline);

#endif /* MP_QUEUES_IMPL_H */
