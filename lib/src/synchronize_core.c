/* The machinery under every synchronisation primitive: futexes, who holds a lock, whether that
 * holder still lives, and bounded adaptive spinning.
 *
 * Why a lock word of our own and not a robust pthread mutex. CPython's Lock may be released by
 * any process (Lib/multiprocessing/synchronize.py, Lock), which an owner-only robust mutex cannot do; and the kernel's robust-futex
 * list, which could report a dead holder by itself, is one list per thread and glibc already owns
 * it. So a lock word records its holder as pid | start-time << 32, set with one 64-bit
 * compare-and-swap: the holder is named atomically with the acquisition, so there is no window
 * in which a SIGKILL leaves a locked word without a name. Its low half is the futex.
 *
 * Liveness is checked only on the slow path: a waiter sleeps in slices of SLICE seconds and, at
 * most every CHECK_MS per lock, reads /proc/PID/stat of the holder. Gone, a zombie (which a
 * waiting parent has not reaped yet) or a different start time (the pid was reused) all mean
 * dead, and the waiter takes the lock over with one compare-and-swap against the exact word it
 * judged, so two waiters never both take it, and a holder that released meanwhile is never
 * overruled. The taker gets MP_EOWNERDEAD with the lock held, as pthread robust mutexes say it.
 * A death is noticed within about SLICE; the uncontended path pays nothing for it.
 *
 * Spinning: a wake-up on another core costs tens of microseconds, while the awaited change
 * often comes within a few (docs/pages/performance.md). So waiters spin first, for a time that adapts per object:
 * a spin that succeeds pulls the estimate towards the time it took, one that fails shrinks it,
 * so where spinning does not pay (more runnable processes than CPUs) it fades out to nothing.
 * Now and then a wait probes with a full-length spin to notice when it pays again; probes that
 * fail grow rarer exponentially, so a loaded machine pays almost nothing for them. A machine
 * with one CPU never spins. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shm_impl.h"
#include "synchronize_impl.h"

#define SLICE 0.05          /* seconds a waiter sleeps between liveness checks of the holder */
#define CHECK_MS 10u        /* a lock's holder is checked at most this often, whoever asks */
#define GAP_MIN 6u          /* while spinning pays, every 64th wait probes with a full spin */
#define GAP_MAX 14u         /* while it does not, probes thin out to one wait in 16384 */
#define SPIN_SLACK_NS 1000u /* spins run to twice the estimate plus this */
#define SPIN_LOCK_NS 20000u /* the longest a lock waiter spins */

/* ===== handles ================================================================================ */

/* A zeroed handle whose first field points to `ssize` bytes of shared state: new ones (fd < 0)
 * or those at `offset` in the memfd `fd`, which another process made. */
static int handle_over(void *out, size_t hsize, size_t ssize, int fd, size_t offset)
{
    *(void **)out = NULL;
    void **h = calloc(1, hsize);
    if (!h)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = fd < 0 ? mp__shm_alloc(ssize, h) : mp__shm_adopt(fd, offset, ssize, h);
    if (rc < 0) {
        free(h);
        return rc;
    }
    *(void **)out = h;
    return 0;
}

int mp__sync_alloc(void *out, size_t hsize, size_t ssize)
{
    if (!out)
        return mp__fail(MP_EINVAL, "out is NULL");
    return handle_over(out, hsize, ssize, -1, 0);
}

int mp__sync_import(int fd, size_t offset, void *out, size_t hsize, size_t ssize)
{
    if (fd < 0)
        return mp__fail(MP_EDECODE, "no shared memory descriptor");
    return handle_over(out, hsize, ssize, fd, offset);
}

void mp__sync_free(void *handle)
{
    if (!handle)
        return;
    mp__shm_free(*(void **)handle);
    free(handle);
}

/* ===== futexes ================================================================================ */

int mp__futex_wait(_Atomic uint32_t *addr, uint32_t val, double deadline)
{
    struct timespec ts, *tsp = NULL;
    if (!isinf(deadline)) {
        if (deadline <= mp__now())
            return MP_ETIMEDOUT;
        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_nsec = 999999999L;
        tsp = &ts;
    }
    /* WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (no FUTEX_CLOCK_REALTIME), so a retry
     * after EINTR waits exactly the time left. Not FUTEX_PRIVATE: the word is shared. */
    long rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, val, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    if (rc == 0 || errno == EAGAIN)
        return 0;
    if (errno == ETIMEDOUT)
        return MP_ETIMEDOUT;
    return MP_EINTR;
}

void mp__futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* ===== identity =============================================================================== */

_Atomic uint64_t mp__self_ident_cache; /* 0 until first use, and again after fork */
_Thread_local pid_t mp__self_tid_cache;
static _Atomic int self_cpus; /* CPUs online; 0 = not known yet */
static pthread_once_t ident_once = PTHREAD_ONCE_INIT;

static void atfork_child(void)
{
    atomic_store(&mp__self_ident_cache, 0);
    atomic_store(&self_cpus, 0);
    mp__self_tid_cache = 0; /* the forking thread is the child's only thread, with a new tid */
}

static void ident_init(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

/* State letter and start time (field 22) of /proc/PID/stat; -1 when there is no such process,
 * -2 when it cannot be read for another reason. */
static int read_stat(pid_t pid, char *state, unsigned long long *start)
{
    char path[48], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT || errno == ESRCH ? -1 : -2;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || n == 0)
        return -1;
    if (sscanf(p + 2,
               "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               state, start) != 2)
        return -2;
    return 0;
}

/* A process whose main thread called pthread_exit() shows as a zombie while its other threads
 * run: it is dead only when no thread is left (`Threads:` of /proc/PID/status is 1). */
static int threads_left(pid_t pid)
{
    char path[48], line[128];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    int threads = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &threads) == 1)
            break;
    if (f)
        fclose(f);
    return threads > 1;
}

uint64_t mp__self_ident_slow(void)
{
    pthread_once(&ident_once, ident_init);
    pid_t pid = getpid();
    char st;
    unsigned long long start = 0;
    read_stat(pid, &st, &start);
    uint64_t id = (uint64_t)(uint32_t)pid | (uint64_t)(uint32_t)start << 32;
    atomic_store_explicit(&mp__self_ident_cache, id, memory_order_relaxed);
    return id;
}

pid_t mp__self_tid_slow(void)
{
    pthread_once(&ident_once, ident_init); /* the fork hook that resets the cache */
    mp__self_tid_cache = (pid_t)syscall(SYS_gettid);
    return mp__self_tid_cache;
}

int mp__ident_alive(uint64_t ident)
{
    pid_t pid = (pid_t)(ident & MP__LW_PID);
    if (pid == 0 || (ident & MP__LW_PID) == MP__LW_POISON)
        return 1;
    char st = 0;
    unsigned long long start = 0;
    int rc = read_stat(pid, &st, &start);
    if (rc == -2) /* no /proc to read: fall back to the pid alone (a zombie looks alive) */
        return kill(pid, 0) == 0 || errno != ESRCH;
    if (rc < 0 || st == 'X' || st == 'x' || (st == 'Z' && !threads_left(pid)))
        return 0;
    return (uint32_t)start == (uint32_t)(ident >> 32);
}

/* ===== spinning =============================================================================== */

static int spin_env = -1;

static int spin_enabled(void)
{
    if (spin_env < 0) {
        const char *e = getenv("MP_SPIN");
        spin_env = !(e && e[0] == '0');
    }
    return spin_env;
}

/* Spinning needs a second CPU for the peer to run on. Not this process's affinity: processes
 * pinned one to a CPU each are where spinning pays most. A peer pinned to our CPU makes every
 * spin fail, and the adaptation below turns spinning off for it. */
static int cpus_online(void)
{
    int n = atomic_load_explicit(&self_cpus, memory_order_relaxed);
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
        atomic_store_explicit(&self_cpus, n, memory_order_relaxed);
    }
    return n;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until the condition holds or `limit_ns` pass; *spent gets the time it took. */
static int spin_for(const _Atomic uint32_t *w, uint32_t mask, uint32_t want, int differ,
                    uint64_t limit_ns, uint64_t *spent)
{
    uint64_t t0 = now_ns();
    for (unsigned i = 1;; i++) {
        if (((atomic_load_explicit(w, memory_order_relaxed) & mask) == want) != differ) {
            *spent = now_ns() - t0;
            return 1;
        }
        cpu_relax();
        if (i % 32 == 0 && now_ns() - t0 >= limit_ns) /* the clock costs more than a pause */
            return 0;
    }
}

int mp__spin(const _Atomic uint32_t *w, uint32_t mask, uint32_t want, int differ, mp__spin_t *sp,
             uint32_t max_ns)
{
    static _Thread_local unsigned waits;
    if (!spin_enabled() || cpus_online() < 2)
        return 0;
    uint32_t e = atomic_load_explicit(&sp->est, memory_order_relaxed);
    uint32_t g = atomic_load_explicit(&sp->gap, memory_order_relaxed);
    if (g < GAP_MIN)
        g = GAP_MIN;
    int probe = (++waits & ((1u << g) - 1)) == 0;
    if (e == 0 && !probe)
        return 0;
    uint64_t limit = probe ? max_ns : 2u * (uint64_t)e + SPIN_SLACK_NS, spent = 0;
    if (limit > max_ns)
        limit = max_ns;
    int done = spin_for(w, mask, want, differ, limit, &spent);
    /* Done only after the budget means this process was descheduled while it spun and the peer
     * ran in its place: sleeping would have done as well, so it counts as a failed spin. */
    if (done && spent <= limit) {
        /* A probe that pays restarts spinning at once; otherwise follow the recent times. */
        e = probe ? (spent > e ? (uint32_t)spent : e) : e + (uint32_t)(((int64_t)spent - e) / 8);
        atomic_store_explicit(&sp->est, e ? e : 1, memory_order_relaxed);
        if (g != GAP_MIN)
            atomic_store_explicit(&sp->gap, GAP_MIN, memory_order_relaxed);
        return 1;
    }
    /* A failed spin shrinks the next ones; a failed probe makes probes rarer. */
    atomic_store_explicit(&sp->est, e > 4 ? e - e / 4 : 0, memory_order_relaxed);
    if (probe && g < GAP_MAX)
        atomic_store_explicit(&sp->gap, g + 1, memory_order_relaxed);
    return done;
}

/* ===== the lock word ========================================================================== */

static uint32_t now_ms(void)
{
    return (uint32_t)(now_ns() / 1000000u);
}

/* Whether the holder named by `w` is dead, at most every CHECK_MS per lock. */
static int holder_dead(mp__lockword_t *lw, uint64_t w)
{
    uint32_t t = now_ms(), last = atomic_load_explicit(&lw->checked_ms, memory_order_relaxed);
    if (last != 0 && t - last < CHECK_MS)
        return 0;
    atomic_store_explicit(&lw->checked_ms, t ? t : 1, memory_order_relaxed);
    return !mp__ident_alive(w & ~(uint64_t)MP__LW_WAITERS);
}

/* Takes the lock from a dead holder: the CAS is against the word judged dead, so nobody else
 * can have taken or released it in between. */
static int take_over(mp__lockword_t *lw, uint64_t w, uint64_t me)
{
    uint64_t mine = me | (w & MP__LW_WAITERS);
    if (!atomic_compare_exchange_strong(&lw->word, &w, mine))
        return 0;
    atomic_store(&lw->health, MP__LW_INCONSISTENT);
    return 1;
}

static int poisoned(uint64_t w)
{
    return (w & MP__LW_PID) == MP__LW_POISON;
}

/* One look at the word: 1 taken, 0 keep waiting, or a final code. */
static int try_once(mp__lockword_t *lw, uint64_t me, uint64_t *seen, uint64_t extra)
{
    uint64_t w = atomic_load(&lw->word);
    *seen = w;
    if ((w & MP__LW_PID) == 0)
        return atomic_compare_exchange_strong(&lw->word, &w, me | extra) ? 1 : 0;
    if (poisoned(w))
        return mp__fail(MP_ENOTRECOVERABLE, "lock is not recoverable: a holder died and it "
                                            "was not made consistent");
    if (holder_dead(lw, w) && take_over(lw, w, me))
        return mp__fail(MP_EOWNERDEAD, "the previous holder (pid %d) died holding the lock",
                        (int)(w & MP__LW_PID));
    return 0;
}

/* Sleeps once on the futex half, with the WAITERS bit set, until woken, the slice ends or the
 * deadline passes. */
static int sleep_once(mp__lockword_t *lw, uint64_t w, double deadline)
{
    if (!(w & MP__LW_WAITERS)) {
        uint64_t want = w | MP__LW_WAITERS;
        if (!atomic_compare_exchange_strong(&lw->word, &w, want))
            return 0; /* it changed: look again */
        w = want;
    }
    double slice = mp__now() + SLICE;
    int rc = mp__futex_wait(mp__lw_futex(lw), (uint32_t)w, slice < deadline ? slice : deadline);
    return rc == MP_ETIMEDOUT && slice < deadline ? 0 : rc;
}

int mp__lw_acquire_slow(mp__lockword_t *lw, uint64_t me, int block, double timeout)
{
    uint64_t w;
    int rc = try_once(lw, me, &w, 0);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    if (!block)
        return mp__fail(MP_EAGAIN, "lock is held");
    double deadline;
    if (mp__deadline(timeout, &deadline) < 0)
        return MP_EINVAL;
    if (deadline > mp__now() &&
        mp__spin(mp__lw_futex(lw), MP__LW_PID, 0, 0, &lw->spin, SPIN_LOCK_NS) &&
        mp__lw_acquire_fast(lw, me))
        return 0;
    for (;;) {
        /* Having slept, we cannot know whether others still sleep: keep WAITERS set. */
        rc = try_once(lw, me, &w, MP__LW_WAITERS);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        rc = sleep_once(lw, w, deadline);
        if (rc == MP_ETIMEDOUT) {
            rc = try_once(lw, me, &w, MP__LW_WAITERS);
            return rc > 0 ? 0 : rc < 0 ? rc : mp__fail(MP_ETIMEDOUT, "acquire timed out");
        }
    }
}

int mp__lw_release(mp__lockword_t *lw)
{
    uint64_t w = atomic_load(&lw->word);
    uint64_t next = 0;
    if (atomic_load_explicit(&lw->health, memory_order_relaxed) == MP__LW_INCONSISTENT)
        next = MP__LW_POISON; /* released without make_consistent: nobody may use it again */
    do {
        if (poisoned(w))
            return mp__fail(MP_ENOTRECOVERABLE, "lock is not recoverable");
        if ((w & MP__LW_PID) == 0)
            return mp__fail(MP_EOVERFLOW, "semaphore or lock released too many times");
    } while (!atomic_compare_exchange_weak_explicit(&lw->word, &w, next, memory_order_release,
                                                    memory_order_relaxed));
    if (next) {
        atomic_store(&lw->health, MP__LW_CONSISTENT);
        mp__futex_wake(mp__lw_futex(lw), INT_MAX);
    } else if (w & MP__LW_WAITERS) {
        mp__futex_wake(mp__lw_futex(lw), 1);
    }
    return 0;
}
