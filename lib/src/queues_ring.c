/* The ring under every queue: pickled messages in shared memory, written by the caller.
 *
 * Why no feeder thread. CPython's Queue hands each put() to a thread that pickles it and writes it
 * into a pipe later. Three of the most reported multiprocessing bugs come from that thread
 * (Lib/multiprocessing/queues.py, Queue._feed): pickling errors surface nowhere, a child cannot
 * exit until a reader drains what its thread still holds (join-before-get deadlocks), and data in
 * the thread is lost when the process dies. Here put() pickles in the caller and copies the bytes
 * into a ring that every process maps; when put() returns, the message is in shared memory and
 * belongs to the queue, not to the process. So exit never waits, and nothing is lost when a
 * producer exits.
 *
 * The ring. One memfd (shm.c gives every large region its own, sized lazily): a 4 KiB header,
 * then `cap` bytes of ring, a power of two, 2 GiB by default. Each message is an 8-byte length
 * and the bytes, padded to 8 so that a length never straddles the end of the ring (a payload
 * may: it is copied in two pieces). Positions count bytes; head and tail are positions, and
 * offset = position & (cap - 1).
 *
 * Memory. A 2 GiB ring must not cost 2 GiB. The memfd's pages exist only once written, and the
 * consumer hands back to the kernel (MADV_REMOVE, a hole punched in the memfd) every whole MiB
 * it has passed. When the queue becomes empty, positions restart at 0, so a queue that keeps
 * up with its traffic stays in its first pages, warm in the cache; the first MiB (`keep`) is
 * never handed back, so that such traffic makes no system call. What a queue costs is thus what
 * waits in it, plus at most about 2 MiB. A punch never touches a byte the producers may already
 * have written on the next lap (positions >= tail - cap).
 *
 * The lock, and why a process killed holding it cannot corrupt the queue. One process-shared
 * *robust* pthread mutex guards the ring: only the process that locked it unlocks it (unlike
 * CPython's Lock, which synchronize_core.c must emulate), and the kernel tells the next locker
 * at once, with EOWNERDEAD, when the holder died. Recovery must then be possible without
 * knowing what the dead holder was doing, so every change is made to be committed by a single
 * store: the state (head, tail, count, unfinished tasks) exists twice, st[cur] committed and the
 * other scratch; a put writes its message beyond the committed tail, fills in the scratch copy
 * and flips `cur`. A holder killed before the flip changed nothing that anyone can see (a half
 * message beyond the tail is overwritten by the next put); after it, the change is whole. A get
 * copies the message out before its flip, so a consumer killed before it leaves the message for
 * the next one, never a duplicate. Recovery is therefore only: mark the mutex consistent, and
 * wake every waiter (the dead holder may have committed without waking anyone).
 *
 * Waiting. Not the pthread condition variable: glibc's keeps counts of its waiters that a
 * waiter killed inside a wait leaves behind, and a later signal can wait for them for ever.
 * Instead each direction has a futex word, a sequence number bumped by every commit that may
 * interest its waiters, and a count of sleepers so that a commit makes a system call only when
 * someone may sleep (the Dekker pattern of synchronize_sem.c). A waiter first spins briefly
 * (mp__spin, adaptive; never on one CPU), then sleeps in slices of SLICE seconds, so that a
 * wake-up lost with a dead process, or the end of every producer (queues.c), is noticed within
 * a slice. A woken putter or getter that leaves room or messages behind wakes the next one.
 *
 * Fault injection (MP_FAULT, see queues.h) kills the process at the points where a death is
 * hardest to survive, so that the conformance suite can show the above holds. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "queues_impl.h"

#define Q_MAGIC 0x6d707175u
#define REC_HDR 8u
#define CHUNK ((uint64_t)1 << 20) /* memory goes back to the kernel in whole MiB */
#define SLICE 0.05                /* seconds a waiter sleeps before it looks again */
#define SPIN_NS 20000u            /* the longest a waiter spins before it sleeps */
#define SPIN_LOCK_NS 5000u        /* the longest a locker spins before it sleeps */

_Static_assert(sizeof(mp__qshared_t) <= MP__Q_RING_OFF, "queue header larger than its page");

/* ===== fault injection ========================================================================= */

enum { F_UNKNOWN = -1, F_NONE, F_PUT_COPY, F_PUT_COMMIT, F_GET_COPY, F_GET_COMMIT, F_COUNT };

static const char *const fault_names[F_COUNT] = {
    NULL, "queue.put.copy", "queue.put.commit", "queue.get.copy", "queue.get.commit",
};
static int fault_at = F_UNKNOWN; /* read from MP_FAULT at a process's first queue call */
static long fault_left;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

/* A forked child reads MP_FAULT afresh: a test sets it in the child before the fatal call. */
static void fault_forget(void)
{
    fault_at = F_UNKNOWN;
}

static void fault_init(void)
{
    pthread_atfork(NULL, NULL, fault_forget);
}

static void fault_read(void)
{
    const char *v = getenv("MP_FAULT");
    fault_at = F_NONE;
    for (int i = 1; v && i < F_COUNT; i++) {
        size_t n = strlen(fault_names[i]);
        if (strncmp(v, fault_names[i], n) == 0 && (v[n] == '\0' || v[n] == ':')) {
            fault_left = v[n] == ':' ? atol(v + n + 1) : 1;
            fault_at = i;
        }
    }
}

/* Whether a fault point may fire in this process: then a put splits its copy around one. */
static inline int fault_armed(void)
{
    if (__builtin_expect(fault_at == F_NONE, 1))
        return 0;
    if (fault_at == F_UNKNOWN)
        fault_read();
    return fault_at != F_NONE;
}

static inline void fault(int point)
{
    if (__builtin_expect(fault_at == F_NONE, 1))
        return;
    if (fault_at == F_UNKNOWN)
        fault_read();
    if (fault_at == point && --fault_left <= 0)
        raise(SIGKILL);
}

/* ===== the lock and the committed state ======================================================== */

static const mp__qstate_t *committed(const mp__qshared_t *sh)
{
    return &sh->st[atomic_load_explicit(&sh->cur, memory_order_relaxed)];
}

/* Writes the new state `n` (a local copy the caller changed) into the scratch copy, then makes
 * it the committed one with one store; release: the message bytes and the scratch copy are in
 * memory before it, whatever happens to this process after it. */
static void commit(mp__qshared_t *sh, const mp__qstate_t *n)
{
    unsigned cur = atomic_load_explicit(&sh->cur, memory_order_relaxed);
    sh->st[cur ^ 1] = *n;
    atomic_store_explicit(&sh->cur, cur ^ 1, memory_order_release);
}

static void wake_all(mp__qwait_t *w)
{
    atomic_fetch_add(&w->seq, 1);
    mp__futex_wake(&w->seq, INT_MAX);
}

/* After a commit: moves w->seq and wakes one sleeper, unless none sleeps or a wake-up is
 * already on its way (a burst of puts then costs one system call, not one each). The Dekker
 * pattern: the bump and the read of `sleepers` here, the count and the futex's own read of
 * `seq` in await(), all sequentially consistent. A waiter that read `seq` before the bump either
 * sees it moved when it calls futex_wait, or is counted here; so a wake-up that finds nobody in
 * the kernel yet is never lost, and the waiter it missed clears `pending` on its way out. */
static void wake_one(mp__qwait_t *w)
{
    atomic_fetch_add(&w->seq, 1);
    if (!atomic_load(&w->sleepers) || atomic_exchange(&w->pending, 1))
        return;
    /* Nobody woken (the counted sleepers are dead, or not in the kernel yet, and those see the
     * bump): no wake-up is on its way, so the next commit must not wait for one. */
    if (syscall(SYS_futex, &w->seq, FUTEX_WAKE, 1, NULL, NULL, 0) == 0)
        atomic_store(&w->pending, 0);
}

/* The holder died: the committed state is whole by construction, so the lock is made
 * consistent as it is, and every waiter is woken to look again. */
static void recover(mp__qshared_t *sh)
{
    pthread_mutex_consistent(&sh->lock);
    atomic_fetch_add(&sh->recoveries, 1);
    wake_all(&sh->items);
    wake_all(&sh->space);
    wake_all(&sh->done);
}

/* glibc's mutex word (its ABI): the holder's thread id in the low bits, 0 when free. A locker
 * that finds the mutex held watches this word for a while before it sleeps in the kernel: the
 * ring is held for tens of nanoseconds, a sleep and a wake-up cost tens of microseconds. */
static const _Atomic uint32_t *lock_word(const mp__qshared_t *sh)
{
    return (const _Atomic uint32_t *)(const void *)&sh->lock.__data.__lock;
}

/* A holder's death wakes one waiter (the kernel's robust-futex handling); if that waiter was
 * killed too, the wake-up is lost and an untimed pthread_mutex_lock would sleep for ever while
 * the lock is free (seen in LIBMP_Q25: a consumer stuck past every timeout). Waiting in slices
 * makes every waiter look at the lock word again, and then it sees the owner-died mark. */
static int lock_in_slices(mp__qshared_t *sh)
{
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(SLICE * 1e9);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int e = pthread_mutex_clocklock(&sh->lock, CLOCK_MONOTONIC, &ts);
        if (e != ETIMEDOUT)
            return e;
    }
}

static int lock(mp__qshared_t *sh)
{
    int e = pthread_mutex_trylock(&sh->lock);
    if (e == EBUSY) {
        mp__spin(lock_word(sh), FUTEX_TID_MASK, 0, 0, &sh->lock_spin, SPIN_LOCK_NS);
        e = lock_in_slices(sh);
    }
    if (e == EOWNERDEAD) {
        recover(sh);
        e = 0;
    }
    if (e == ENOTRECOVERABLE)
        return mp__fail(MP_EBROKEN, "queue lock is not recoverable");
    if (e)
        return mp__fail(-e, "queue lock: %s", strerror(e));
    if (atomic_load_explicit(&sh->broken, memory_order_relaxed)) {
        pthread_mutex_unlock(&sh->lock);
        return mp__fail(MP_EBROKEN, "queue is broken: its ring was found damaged");
    }
    return 0;
}

static void unlock(mp__qshared_t *sh)
{
    pthread_mutex_unlock(&sh->lock);
}

/* Called with the lock held when what the caller waits for is not there yet. Unlocks, then
 * gives up (`miss` when not blocking, MP_ETIMEDOUT past the deadline) or waits until w->seq
 * moves, a slice passes or the deadline comes. Returns 0 when the caller should look again. */
static int await(mp__qshared_t *sh, mp__qwait_t *w, int spin, int block, double deadline, int miss,
                 const char *what)
{
    uint32_t seen = atomic_load(&w->seq);
    unlock(sh);
    if (!block)
        return mp__fail(miss, "%s", what);
    double now = mp__now();
    if (now >= deadline)
        return mp__fail(MP_ETIMEDOUT, "%s (timed out)", what);
    if (spin && mp__spin(&w->seq, UINT32_MAX, seen, 1, &w->spin, SPIN_NS))
        return 0;
    atomic_fetch_add(&w->sleepers, 1);
    mp__futex_wait(&w->seq, seen, now + SLICE < deadline ? now + SLICE : deadline);
    atomic_fetch_sub(&w->sleepers, 1);
    atomic_store(&w->pending, 0); /* whatever woke us, the next commit may wake another */
    return 0;
}

/* ===== the ring's bytes ======================================================================== */

static uint64_t record_size(uint64_t len)
{
    return REC_HDR + ((len + 7) & ~(uint64_t)7);
}

/* Inline, so that the 8-byte lengths and small messages are plain moves, not calls. */
static inline void ring_write(const struct mp_queue_s *q, uint64_t pos, const void *src, size_t n)
{
    uint64_t off = pos & (q->sh->cap - 1), room = q->sh->cap - off;
    size_t first = n < room ? n : (size_t)room;
    if (first)
        memcpy(q->ring + off, src, first);
    if (first < n)
        memcpy(q->ring, (const char *)src + first, n - first);
}

static inline void ring_read(const struct mp_queue_s *q, uint64_t pos, void *dst, size_t n)
{
    uint64_t off = pos & (q->sh->cap - 1), room = q->sh->cap - off;
    size_t first = n < room ? n : (size_t)room;
    if (first)
        memcpy(dst, q->ring + off, first);
    if (first < n)
        memcpy((char *)dst + first, q->ring, n - first);
}

/* A record's length: 8 bytes at a multiple of 8, so never split by the end of the ring, and a
 * fixed-size copy that the compiler makes one move instead of ring_write()'s two calls. */
static inline void ring_put_len(const struct mp_queue_s *q, uint64_t pos, uint64_t len)
{
    memcpy(q->ring + (pos & (q->sh->cap - 1)), &len, sizeof len);
}

static inline uint64_t ring_get_len(const struct mp_queue_s *q, uint64_t pos)
{
    uint64_t len;
    memcpy(&len, q->ring + (pos & (q->sh->cap - 1)), sizeof len);
    return len;
}

/* Hands ring offsets [a, b) back to the kernel, except the first `keep` bytes. */
static void punch_offsets(const struct mp_queue_s *q, uint64_t a, uint64_t b)
{
    if (a < q->sh->keep)
        a = q->sh->keep;
    if (b > a)
        madvise(q->ring + a, b - a, MADV_REMOVE);
}

/* Positions [lo, hi), which the caller knows hold nothing live, lo and hi multiples of CHUNK. */
static void punch(const struct mp_queue_s *q, uint64_t lo, uint64_t hi)
{
    uint64_t cap = q->sh->cap;
    if (hi - lo >= cap) {
        punch_offsets(q, 0, cap);
        return;
    }
    uint64_t a = lo & (cap - 1), end = a + (hi - lo);
    punch_offsets(q, a, end < cap ? end : cap);
    if (end > cap)
        punch_offsets(q, 0, end - cap);
}

/* After a get's commit: the memory behind the consumers goes back to the kernel. */
static void give_back(struct mp_queue_s *q, const mp__qstate_t *now)
{
    mp__qshared_t *sh = q->sh;
    if (now->count == 0) { /* positions restarted at 0: everything but `keep` is free */
        if (sh->spilled)
            punch_offsets(q, 0, sh->cap);
        sh->spilled = 0;
        sh->clean = 0;
        return;
    }
    uint64_t lo = sh->clean, next_lap = now->tail > sh->cap ? now->tail - sh->cap : 0;
    next_lap = (next_lap + CHUNK - 1) & ~(CHUNK - 1);
    if (lo < next_lap)
        lo = next_lap;
    uint64_t hi = now->head & ~(CHUNK - 1);
    if (hi > lo) {
        punch(q, lo, hi);
        sh->clean = hi;
    }
}

/* ===== put and get ============================================================================= */

static int has_room(const mp__qshared_t *sh, const mp__qstate_t *s, uint64_t rec)
{
    if (sh->maxsize > 0 && s->count >= (uint64_t)sh->maxsize)
        return 0;
    return s->tail - s->head + rec <= sh->cap;
}

/* The length, then the bytes in one copy; when MP_FAULT arms a fault point (a test), in two, so
 * that queue.put.copy sits half-way through them. */
static void write_message(struct mp_queue_s *q, uint64_t pos, const void *data, size_t len)
{
    size_t half = len / 2;
    ring_put_len(q, pos, len);
    if (!fault_armed()) {
        ring_write(q, pos + REC_HDR, data, len);
        return;
    }
    ring_write(q, pos + REC_HDR, data, half);
    fault(F_PUT_COPY);
    ring_write(q, pos + REC_HDR + half, (const char *)data + half, len - half);
}

int mp__q_put(struct mp_queue_s *q, const void *data, size_t len, int block, double deadline)
{
    mp__qshared_t *sh = q->sh;
    if (len > sh->cap - REC_HDR)
        return mp__fail(MP_EMSGSIZE,
                        "a message of %zu bytes does not fit in the queue's ring of "
                        "%llu bytes",
                        len, (unsigned long long)sh->cap);
    uint64_t rec = record_size(len);
    for (;;) {
        int rc = lock(sh);
        if (rc < 0)
            return rc;
        if (has_room(sh, committed(sh), rec))
            break;
        rc = await(sh, &sh->space, 1, block, deadline, MP_EFULL, "queue is full");
        if (rc < 0)
            return rc;
    }
    uint64_t tail = committed(sh)->tail;
    if (tail + rec > sh->keep)
        sh->spilled = 1; /* before the bytes: a death half-way still leaves the hint right */
    write_message(q, tail, data, len);
    mp__qstate_t n = *committed(sh);
    n.tail += rec;
    n.count++;
    n.unfinished += sh->kind == MP__Q_JOINABLE;
    int more_room = has_room(sh, &n, REC_HDR);
    commit(sh, &n);
    fault(F_PUT_COMMIT);
    unlock(sh);
    wake_one(&sh->items);
    if (more_room)
        wake_one(&sh->space); /* the baton: room for another sleeping putter, maybe */
    return 0;
}

/* Reads the oldest message's length and checks it against the committed state; on failure the
 * queue is marked broken and the lock released. */
static int message_length(struct mp_queue_s *q, const mp__qstate_t *s, uint64_t *len)
{
    *len = ring_get_len(q, s->head);
    if (*len <= q->sh->cap && record_size(*len) <= s->tail - s->head)
        return 0;
    atomic_store(&q->sh->broken, 1); /* only a stray write into shared memory can do this */
    unlock(q->sh);
    return mp__fail(MP_EBROKEN,
                    "queue is broken: a message length of %llu bytes at position "
                    "%llu does not fit",
                    (unsigned long long)*len, (unsigned long long)s->head);
}

int mp__q_get(struct mp_queue_s *q, void *small, size_t small_cap, void **out, size_t *len,
              int block, double deadline, mp__q_eof_fn eof)
{
    mp__qshared_t *sh = q->sh;
    for (;;) {
        int rc = lock(sh);
        if (rc < 0)
            return rc;
        if (committed(sh)->count > 0)
            break;
        /* Under the lock no commit can come between the count and the end of the producers,
         * so a message put just before the last producer ended is never missed. */
        if (eof && eof(q)) {
            unlock(sh);
            return mp__fail(MP_EOF, "queue is empty and every process that could put is gone");
        }
        rc = await(sh, &sh->items, 1, block, deadline, MP_EEMPTY, "queue is empty");
        if (rc < 0)
            return rc;
    }
    const mp__qstate_t *s = committed(sh);
    uint64_t n_bytes;
    int rc = message_length(q, s, &n_bytes);
    if (rc < 0)
        return rc;
    if (!out && n_bytes > small_cap) { /* into the caller's buffer only: the message stays */
        unlock(sh);
        *len = n_bytes;
        return mp__fail(MP_EMSGSIZE,
                        "the next message has %llu bytes, more than the %zu of the "
                        "buffer; it stays in the queue",
                        (unsigned long long)n_bytes, small_cap);
    }
    void *buf = small && n_bytes <= small_cap ? small : malloc(n_bytes ? n_bytes : 1);
    if (!buf) {
        unlock(sh);
        return mp__fail(MP_ENOMEM, "out of memory for a message of %llu bytes",
                        (unsigned long long)n_bytes);
    }
    ring_read(q, s->head + REC_HDR, buf, n_bytes);
    fault(F_GET_COPY);
    mp__qstate_t n = *s;
    n.head += record_size(n_bytes);
    if (--n.count == 0)
        n.head = n.tail = 0;
    commit(sh, &n);
    fault(F_GET_COMMIT);
    give_back(q, &n);
    unlock(sh);
    wake_one(&sh->space);
    if (n.count)
        wake_one(&sh->items); /* the baton: messages left for another sleeping getter */
    if (out)
        *out = buf;
    *len = n_bytes;
    return 0;
}

/* ===== JoinableQueue, state, creation ========================================================== */

int mp__q_task_done(struct mp_queue_s *q)
{
    mp__qshared_t *sh = q->sh;
    int rc = lock(sh);
    if (rc < 0)
        return rc;
    if (committed(sh)->unfinished == 0) {
        unlock(sh);
        return mp__fail(MP_EOVERFLOW, "task_done() called too many times");
    }
    mp__qstate_t n = *committed(sh);
    int all_done = --n.unfinished == 0;
    commit(sh, &n);
    unlock(sh);
    if (all_done)
        wake_all(&sh->done);
    return 0;
}

int mp__q_join(struct mp_queue_s *q, double deadline)
{
    mp__qshared_t *sh = q->sh;
    for (;;) {
        int rc = lock(sh);
        if (rc < 0)
            return rc;
        if (committed(sh)->unfinished == 0) {
            unlock(sh);
            return 0;
        }
        rc = await(sh, &sh->done, 0, 1, deadline, MP_ETIMEDOUT, "join: tasks are still unfinished");
        if (rc < 0)
            return rc;
    }
}

int mp__q_snapshot(struct mp_queue_s *q, mp__qstate_t *st)
{
    int rc = lock(q->sh);
    if (rc < 0)
        return rc;
    *st = *committed(q->sh);
    unlock(q->sh);
    return 0;
}

int mp__q_memory(const struct mp_queue_s *q, size_t *bytes)
{
    int fd;
    size_t off, size;
    struct stat stt;
    int rc = mp__shm_locate(q->sh, &fd, &off, &size);
    if (rc < 0)
        return rc;
    if (fstat(fd, &stt) < 0)
        return mp__fail(-errno, "fstat of the queue's memory: %s", strerror(errno));
    *bytes = (size_t)stt.st_blocks * 512u;
    return 0;
}

/* What is read from the header before the ring is used is checked, since an index computed
 * from a bad `cap` would reach past the mapping. */
int mp__q_shared_adopt(int fd, size_t offset, int kind, mp__qshared_t **out)
{
    void *mem;
    int mfd;
    size_t off, size;
    int rc = mp__shm_adopt(fd, offset, MP__Q_RING_OFF, &mem);
    if (rc < 0)
        return rc;
    mp__qshared_t *sh = mem;
    uint64_t cap = sh->cap;
    rc = mp__shm_locate(sh, &mfd, &off, &size);
    if (rc == 0 && (sh->magic != Q_MAGIC || sh->kind != (uint32_t)kind || cap < MP_QUEUE_RING_MIN ||
                    (cap & (cap - 1)) || cap > size - off - MP__Q_RING_OFF))
        rc = mp__fail(MP_EDECODE, "the memory given for a queue does not hold one of that kind");
    if (rc < 0) {
        mp__shm_free(mem);
        return rc;
    }
    *out = sh;
    return 0;
}

int mp__q_shared_new(mp__qshared_t **out, int kind, int64_t maxsize, uint64_t cap)
{
    pthread_once(&fault_once, fault_init);
    void *mem;
    int rc = mp__shm_alloc(MP__Q_RING_OFF + cap, &mem);
    if (rc < 0)
        return rc;
    mp__qshared_t *sh = mem;
    sh->magic = Q_MAGIC;
    sh->kind = (uint32_t)kind;
    sh->cap = cap;
    sh->keep = cap < CHUNK ? cap : CHUNK;
    sh->maxsize = maxsize > 0 ? maxsize : 0;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    int e = pthread_mutex_init(&sh->lock, &a);
    pthread_mutexattr_destroy(&a);
    if (e) {
        mp__shm_free(mem);
        return mp__fail(-e, "queue lock: %s", strerror(e));
    }
    *out = sh;
    return 0;
}
