/* Suite "Lock" (CPython's _TestLock, the Lock half): the Spec page's catalogue, and libmp's own
 * cases: a holder that dies (MP_EOWNERDEAD, make_consistent, poisoning), release from another
 * thread, and many processes counting under the lock. Test names start with the catalogue id. */
#include <sys/syscall.h>

#include "sync_helpers.h"

static mp_lock_t *new_lock(void)
{
    mp_lock_t *l;
    ck_assert_mp(mp_lock_new(&l), 0);
    return l;
}

START_TEST(LOCK_01_acquire_release_overrelease)
{
    mp_lock_t *l = new_lock();
    double took;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 0, MP_FOREVER)), MP_EAGAIN);
    ck_assert_immediate(took);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_mp(mp_lock_release(l), MP_EOVERFLOW);
    ck_assert_str_eq(mp_errmsg(), "semaphore or lock released too many times");
    ck_assert_str_eq(mp_exception_name(MP_EOVERFLOW), "ValueError");
    mp_lock_free(l);
}
END_TEST

START_TEST(LOCK_03_negative_timeout_is_zero)
{
    mp_lock_t *l = new_lock();
    double took;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(mp_lock_acquire(l, 1, NAN), MP_EINVAL); /* NaN: refused, not a wait */
    mp_lock_free(l);
}
END_TEST

START_TEST(LOCK_04_nonblocking_ignores_timeout)
{
    mp_lock_t *l = new_lock();
    double took;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 0, 5)), MP_EAGAIN);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 0, NAN)), MP_EAGAIN);
    ck_assert_immediate(took);
    mp_lock_free(l);
}
END_TEST

START_TEST(LOCK_05_not_recursive)
{
    mp_lock_t *l = new_lock();
    double took;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, 0.3)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.3);
    ck_assert_int_eq(mp_lock_count(l), 1);
    mp_lock_free(l);
}
END_TEST

static int release_it(mp_obj_t *a)
{
    return mp_lock_release(arg_lock(a, 0)) == 0 ? 0 : 1;
}
JOB(release_it);

START_TEST(LOCK_06_released_by_another_process)
{
    mp_lock_t *l = new_lock();
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_int_eq(finish(GO(release_it, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    mp_lock_free(l);
}
END_TEST

/* args: (lock, seconds, flag) */
static int hold_for(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_acquire(l, 1, MP_FOREVER) != 0)
        return 1;
    if (flag_raise(arg_sem(a, 2)) != 0)
        return 3;
    sleep_s(arg_double(a, 1));
    return mp_lock_release(l) == 0 ? 0 : 2;
}
JOB(hold_for);

START_TEST(LOCK_08_child_holds_half_a_second)
{
    mp_lock_t *l = new_lock();
    mp_sem_t *flag = flag_new();
    double t0 = now_s();
    mp_process_t *p = GO(hold_for, mp_build("(NdN)", mp_lock_obj(l), 0.5, mp_sem_obj(flag)));
    ck_assert(flag_wait(flag, 1, 5));
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_elapsed(now_s() - t0, 0.5);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

/* C has no `with`: the block is acquire ... release, and the lock is free after it. */
START_TEST(LOCK_09_with_block)
{
    mp_lock_t *l = new_lock();
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0); /* __enter__ */
    ck_assert_mp(mp_lock_acquire(l, 0, 0), MP_EAGAIN);
    ck_assert_mp(mp_lock_release(l), 0); /* __exit__ */
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    mp_lock_free(l);
}
END_TEST

/* Under every start method the child's lock is the parent's: held when the child begins. */
static int held_at_fork(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_acquire(l, 0, 0) != MP_EAGAIN)
        return 1; /* held in the child too */
    return mp_lock_release(l) == 0 ? 0 : 2;
}
JOB(held_at_fork);

START_TEST(LOCK_10_held_at_fork)
{
    mp_lock_t *l = new_lock();
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_int_eq(finish(GO(held_at_fork, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    mp_lock_free(l);
}
END_TEST

START_TEST(LOCK_11_timeout_zero_on_free_lock)
{
    mp_lock_t *l = new_lock();
    double took;
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, 0)), 0);
    ck_assert_immediate(took);
    mp_lock_free(l);
}
END_TEST

static void *release_in_thread(void *arg)
{
    return (void *)(intptr_t)mp_lock_release(arg);
}

/* As CPython's Lock (a SemLock), any thread may release a Lock, not only the one that acquired it.
 * */
START_TEST(LIBMP_40_released_by_another_thread)
{
    mp_lock_t *l = new_lock();
    pthread_t t;
    void *rc;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    pthread_create(&t, NULL, release_in_thread, l);
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, 0);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    mp_lock_free(l);
}
END_TEST

/* args: (lock, flag) */
static int hold_forever(mp_obj_t *a)
{
    if (mp_lock_acquire(arg_lock(a, 0), 1, MP_FOREVER) != 0)
        return 1;
    if (flag_raise(arg_sem(a, 1)) != 0)
        return 2;
    for (;;)
        sleep_s(1);
}
JOB(hold_forever);

/* Starts hold_forever and waits until it holds the lock. */
static mp_process_t *holder_of(mp_lock_t *l, mp_sem_t *flag)
{
    mp_process_t *p = GO(hold_forever, mp_build("(NN)", mp_lock_obj(l), mp_sem_obj(flag)));
    ck_assert(flag_wait(flag, 1, 5));
    return p;
}

/* A child holding the lock is SIGKILLed (a zombie, not reaped): the blocked parent gets the
 * lock with MP_EOWNERDEAD well within a second, repairs, marks it consistent, and the lock
 * then works as before, also in another process. */
static int take_release(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_acquire(l, 0, 0) != 0)
        return 1;
    return mp_lock_release(l) == 0 ? 0 : 2;
}
JOB(take_release);

START_TEST(LIBMP_41_dead_holder_reported_then_consistent)
{
    mp_lock_t *l = new_lock();
    mp_sem_t *flag = flag_new();
    mp_process_t *p = holder_of(l, flag);
    kill_now(p);
    double took;
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, MP_FOREVER)), MP_EOWNERDEAD);
    ck_assert_msg(took < 0.5, "the dead holder was noticed after %.3f s", took);
    ck_assert_int_eq(mp_lock_is_mine(l), 1);
    ck_assert_mp(mp_lock_make_consistent(l), 0);
    ck_assert_mp(mp_lock_make_consistent(l), MP_EINVAL); /* nothing to repair any more */
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_int_eq(finish(GO(take_release, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_int_eq(finish(p, 5), -SIGKILL);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

static int expect_unrecoverable(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    double t0 = now_s();
    int rc = mp_lock_acquire(l, 1, MP_FOREVER);
    return rc == MP_ENOTRECOVERABLE && now_s() - t0 < IMMEDIATE ? 0 : 1;
}
JOB(expect_unrecoverable);

/* Released without make_consistent: poisoned. Every acquire, blocking or not, here or in a
 * child, fails at once with MP_ENOTRECOVERABLE; so does release. A non-blocking acquire is
 * also how a dead holder can be noticed. */
START_TEST(LIBMP_42_dead_holder_poisons_without_repair)
{
    mp_lock_t *l = new_lock();
    mp_sem_t *flag = flag_new();
    mp_process_t *p = holder_of(l, flag);
    kill_now(p);
    int rc;
    double deadline = now_s() + 1;
    while ((rc = mp_lock_acquire(l, 0, 0)) == MP_EAGAIN && now_s() < deadline)
        sleep_s(0.005);
    ck_assert_mp(rc, MP_EOWNERDEAD);
    ck_assert_mp(mp_lock_release(l), 0);
    double took;
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, MP_FOREVER)), MP_ENOTRECOVERABLE);
    ck_assert_immediate(took);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), MP_ENOTRECOVERABLE);
    ck_assert_mp(mp_lock_release(l), MP_ENOTRECOVERABLE);
    ck_assert_int_eq(finish(GO(expect_unrecoverable, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_int_eq(finish(p, 5), -SIGKILL);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

/* args: (lock, dead_seen, done): the two flags count the contenders told and served. */
static int take_after_death(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    int rc = mp_lock_acquire(l, 1, 5);
    if (rc == MP_EOWNERDEAD) {
        if (flag_raise(arg_sem(a, 1)) != 0)
            return 4;
        if (mp_lock_make_consistent(l) != 0)
            return 1;
    } else if (rc != 0) {
        return 2;
    }
    if (flag_raise(arg_sem(a, 2)) != 0)
        return 4;
    return mp_lock_release(l) == 0 ? 0 : 3;
}
JOB(take_after_death);

/* Three processes wait while the holder is killed: exactly one of them is told, and all three
 * get the lock in turn. */
START_TEST(LIBMP_43_dead_holder_told_to_exactly_one)
{
    mp_lock_t *l = new_lock();
    mp_sem_t *held = flag_new(), *dead_seen = flag_new(), *done = flag_new();
    mp_process_t *holder = holder_of(l, held);
    mp_process_t *w[3];
    for (int i = 0; i < 3; i++)
        w[i] = GO(take_after_death,
                  mp_build("(NNN)", mp_lock_obj(l), mp_sem_obj(dead_seen), mp_sem_obj(done)));
    sleep_s(0.1);
    kill_now(holder);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(finish(w[i], 5), 0);
    ck_assert_int_eq(mp_sem_get_value(dead_seen), 1);
    ck_assert_int_eq(mp_sem_get_value(done), 3);
    ck_assert_int_eq(finish(holder, 5), -SIGKILL);
    mp_sem_free(held);
    mp_sem_free(dead_seen);
    mp_sem_free(done);
    mp_lock_free(l);
}
END_TEST

static int hold_and_exit(mp_obj_t *a)
{
    return mp_lock_acquire(arg_lock(a, 0), 1, MP_FOREVER) == 0 ? 0 : 1;
}
JOB(hold_and_exit);

/* The holder is its process, so one that exits normally with the lock still held counts as
 * dead too (CPython would leave it locked for whoever releases it; a Semaphore does that). */
START_TEST(LIBMP_44_holder_that_exits_counts_as_dead)
{
    mp_lock_t *l = new_lock();
    ck_assert_int_eq(finish(GO(hold_and_exit, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_mp(mp_lock_acquire(l, 1, 2), MP_EOWNERDEAD);
    ck_assert_mp(mp_lock_make_consistent(l), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    /* make_consistent when the caller does not hold it */
    ck_assert_mp(mp_lock_make_consistent(l), MP_ENOTOWNER);
    mp_lock_free(l);
}
END_TEST

/* The child's args (lock, flag): they stay alive after the main thread has gone, because the
 * target never returns to the code that would drop them. */
static void *hold_half_a_second(void *arg)
{
    mp_obj_t *a = arg;
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_acquire(l, 1, MP_FOREVER) != 0)
        mp_exit(1);
    if (flag_raise(arg_sem(a, 1)) != 0)
        mp_exit(3);
    sleep_s(0.5);
    /* The process ends here, through libmp's way out of a child (main() is gone). */
    mp_exit(mp_lock_release(l) == 0 ? 0 : 2);
    return NULL;
}

static int leave_main_thread(mp_obj_t *a)
{
    pthread_t t;
    if (pthread_create(&t, NULL, hold_half_a_second, a) != 0)
        return 4;
    /* The process lives on in t, though /proc shows its leader a zombie. The main thread ends
     * by the system call, not pthread_exit(): a spawned child's target runs from a constructor,
     * where glibc cannot unwind the main thread (docs/pages/deviations.md). */
    syscall(SYS_exit, 0);
    return 5;
}
JOB(leave_main_thread);

/* A holder whose main thread has ended while another thread holds the lock is alive: the
 * waiter gets the lock when that thread releases it, not MP_EOWNERDEAD. */
START_TEST(LIBMP_54_holder_without_main_thread_is_alive)
{
    mp_lock_t *l = new_lock();
    mp_sem_t *flag = flag_new();
    mp_process_t *p = GO(leave_main_thread, mp_build("(NN)", mp_lock_obj(l), mp_sem_obj(flag)));
    ck_assert(flag_wait(flag, 1, 5));
    double took;
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, 5)), 0);
    ck_assert_msg(took > 0.3, "acquired after %.3f s, while the holder still held it", took);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

/* args: (lock, name of the shared count, rounds) */
static int count_rounds(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    volatile long *count = named_mem_open(arg_str(a, 1), sizeof *count);
    if (!count)
        return 3;
    for (long i = 0, rounds = arg_long(a, 2); i < rounds; i++) {
        if (mp_lock_acquire(l, 1, 10) != 0)
            return 1;
        long v = *count; /* a read-modify-write the lock must protect */
        *count = v + 1;
        if (mp_lock_release(l) != 0)
            return 2;
    }
    return 0;
}
JOB(count_rounds);

/* Stress: 8 processes x 1,000,000 increments of a plain shared counter under the lock (more
 * processes than CPUs, so holders get preempted): the count is exact. */
START_TEST(LIBMP_45_many_processes_exact_count)
{
    mp_lock_t *l = new_lock();
    char name[NAMED_MEM_NAME];
    volatile long *count = named_mem_new(sizeof *count, name);
    mp_process_t *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = GO(count_rounds, mp_build("(Nsl)", mp_lock_obj(l), name, 1000000L));
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(finish(p[i], 30), 0);
    ck_assert_int_eq(*count, 8 * 1000000);
    mp_lock_free(l);
}
END_TEST

/* Waits up to `timeout` for a count a child increments to leave `from`; 1 if it did. */
static int count_moves(volatile long *count, long from, double timeout)
{
    double deadline = now_s() + timeout;
    while (*count == from) {
        if (now_s() > deadline)
            return 0;
        sleep_s(0.0002);
    }
    return 1;
}

/* args: (lock, name of {count, shadow}) */
static int count_forever(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    volatile long *mem = named_mem_open(arg_str(a, 1), 2 * sizeof(long));
    if (!mem)
        return 2;
    for (;;) {
        if (mp_lock_acquire(l, 1, MP_FOREVER) < 0)
            return 1;
        mem[0]++;
        mem[1]++; /* the invariant count == shadow holds whenever the lock is free */
        mp_lock_release(l);
    }
}
JOB(count_forever);

/* A child is killed at arbitrary moments while it takes and drops the lock in a loop. After
 * each kill the parent gets the lock at once or with MP_EOWNERDEAD, never hangs, and finds the
 * invariant broken only when told so (then repairs it). */
START_TEST(LIBMP_46_killed_at_random_moments)
{
    mp_lock_t *l = new_lock();
    char name[NAMED_MEM_NAME];
    volatile long *mem = named_mem_new(2 * sizeof(long), name);
    int told = 0;
    for (int round = 0; round < 25; round++) {
        long before = mem[0];
        mp_process_t *p = GO(count_forever, mp_build("(Ns)", mp_lock_obj(l), name));
        /* The kill must land while the child loops, not while a spawned one is still starting
         * (an exec takes longer than the pause below): wait for its first count. */
        ck_assert(count_moves(&mem[0], before, 5));
        sleep_s(0.002 + 0.001 * (round % 7));
        kill_now(p);
        int rc = mp_lock_acquire(l, 1, 2);
        ck_assert_msg(rc == 0 || rc == MP_EOWNERDEAD, "round %d: %s", round, mp_err_name(rc));
        if (rc == MP_EOWNERDEAD) {
            told++;
            mem[1] = mem[0];
            ck_assert_mp(mp_lock_make_consistent(l), 0);
        }
        ck_assert_int_eq(mem[0], mem[1]);
        ck_assert_mp(mp_lock_release(l), 0);
        ck_assert_int_eq(finish(p, 5), -SIGKILL);
    }
    ck_assert_int_gt(mem[0], 0);
    /* How many kills land inside the critical section depends on timing; the child holds the
     * lock most of the time, so about half of them do (14 of 25 in a typical run). */
    ck_assert_int_gt(told, 0);
    mp_lock_free(l);
}
END_TEST

/* args: the 3000 locks */
static int take_all(mp_obj_t *a)
{
    for (int i = 0; i < 3000; i++)
        if (mp_lock_acquire(arg_lock(a, (size_t)i), 0, 0) != 0)
            return 1;
    return 0;
}
JOB(take_all);

/* Thousands of locks (several shared-memory chunks), used by a child, freed, and made again:
 * new locks are free even where the child that held the old ones is gone, and a lock freed
 * before any fork is reused. */
START_TEST(LIBMP_55_many_locks_freed_and_made_again)
{
    static mp_lock_t *locks[3000];
    for (int i = 0; i < 3000; i++)
        ck_assert_mp(mp_lock_new(&locks[i]), 0);
    /* the child exits holding all of them */
    ck_assert_int_eq(finish(GO(take_all, lock_objs(locks, 3000)), 10), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3000; i++)
            mp_lock_free(locks[i]);
        for (int i = 0; i < 3000; i++) {
            ck_assert_mp(mp_lock_new(&locks[i]), 0);
            ck_assert_mp(mp_lock_acquire(locks[i], 0, 0), 0);
        }
    }
    for (int i = 0; i < 3000; i++)
        mp_lock_free(locks[i]);
}
END_TEST

/* errors.h's NULL policy over all of synchronize.h: a free takes NULL as a no-op; every other
 * call refuses a NULL handle or out-pointer with MP_EINVAL and names itself in mp_errmsg(); the
 * calls that return no code return the "none" their documentation names. */
static int never(void *arg)
{
    (void)arg;
    return 0;
}

START_TEST(LIBMP_71_synchronize_null_handles)
{
    mp_lock_free(NULL);
    mp_sem_free(NULL);
    mp_cond_free(NULL);
    mp_event_free(NULL);
    mp_barrier_free(NULL);
    ck_assert_null_refused(mp_lock_new(NULL), "mp_lock_new: out is NULL");
    ck_assert_null_refused(mp_rlock_new(NULL), "mp_rlock_new: out is NULL");
    ck_assert_null_refused(mp_lock_acquire(NULL, 1, 0), "mp_lock_acquire: l is NULL");
    ck_assert_null_refused(mp_lock_release(NULL), "mp_lock_release: l is NULL");
    ck_assert_null_refused(mp_lock_make_consistent(NULL), "mp_lock_make_consistent: l is NULL");
    ck_assert_null_refused(mp_lock_count(NULL), "mp_lock_count: l is NULL");
    ck_assert_int_eq(mp_lock_is_mine(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_lock_is_mine: l is NULL");
    ck_assert_null_refused(mp_sem_new(NULL, 1), "mp_sem_new: out is NULL");
    ck_assert_null_refused(mp_bsem_new(NULL, 1), "mp_bsem_new: out is NULL");
    ck_assert_null_refused(mp_sem_acquire(NULL, 1, 0), "mp_sem_acquire: s is NULL");
    ck_assert_null_refused(mp_sem_release(NULL), "mp_sem_release: s is NULL");
    ck_assert_null_refused(mp_sem_get_value(NULL), "mp_sem_get_value: s is NULL");
    ck_assert_null_refused(mp_cond_new(NULL, NULL), "mp_cond_new: out is NULL");
    ck_assert_ptr_null(mp_cond_lock(NULL));
    ck_assert_str_eq(mp_errmsg(), "mp_cond_lock: c is NULL");
    ck_assert_null_refused(mp_cond_acquire(NULL, 1, 0), "mp_cond_acquire: c is NULL");
    ck_assert_null_refused(mp_cond_release(NULL), "mp_cond_release: c is NULL");
    ck_assert_null_refused(mp_cond_wait(NULL, 0), "mp_cond_wait: c is NULL");
    ck_assert_null_refused(mp_cond_wait_for(NULL, never, NULL, 0, NULL),
                           "mp_cond_wait_for: c is NULL");
    ck_assert_null_refused(mp_cond_notify(NULL, 1), "mp_cond_notify: c is NULL");
    ck_assert_null_refused(mp_cond_notify_all(NULL), "mp_cond_notify_all: c is NULL");
    ck_assert_null_refused(mp_event_new(NULL), "mp_event_new: out is NULL");
    ck_assert_int_eq(mp_event_is_set(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_event_is_set: e is NULL");
    mp_event_set(NULL);
    ck_assert_str_eq(mp_errmsg(), "mp_event_set: e is NULL");
    mp_event_clear(NULL);
    ck_assert_str_eq(mp_errmsg(), "mp_event_clear: e is NULL");
    ck_assert_null_refused(mp_event_wait(NULL, 0), "mp_event_wait: e is NULL");
    ck_assert_null_refused(mp_barrier_new(NULL, 1, NULL, NULL, MP_FOREVER),
                           "mp_barrier_new: out is NULL");
    ck_assert_null_refused(mp_barrier_wait(NULL, 0, NULL), "mp_barrier_wait: b is NULL");
    ck_assert_null_refused(mp_barrier_reset(NULL), "mp_barrier_reset: b is NULL");
    ck_assert_null_refused(mp_barrier_abort(NULL), "mp_barrier_abort: b is NULL");
    ck_assert_uint_eq(mp_barrier_parties(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_barrier_parties: b is NULL");
    ck_assert_uint_eq(mp_barrier_n_waiting(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_barrier_n_waiting: b is NULL");
    ck_assert_int_eq(mp_barrier_broken(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_barrier_broken: b is NULL");

    /* A handle, but a NULL predicate. */
    mp_cond_t *c;
    ck_assert_mp(mp_cond_new(&c, NULL), 0);
    ck_assert_null_refused(mp_cond_wait_for(c, NULL, NULL, 0, NULL),
                           "mp_cond_wait_for: pred is NULL");
    mp_cond_free(c);
}
END_TEST

Suite *mp_suite_lock(void)
{
    Suite *s = suite_create("Lock");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, LOCK_01_acquire_release_overrelease);
    tcase_add_test(tc, LOCK_03_negative_timeout_is_zero);
    tcase_add_test(tc, LOCK_04_nonblocking_ignores_timeout);
    tcase_add_test(tc, LOCK_05_not_recursive);
    tcase_add_test(tc, LOCK_06_released_by_another_process);
    tcase_add_test(tc, LOCK_08_child_holds_half_a_second);
    tcase_add_test(tc, LOCK_09_with_block);
    tcase_add_test(tc, LOCK_10_held_at_fork);
    tcase_add_test(tc, LOCK_11_timeout_zero_on_free_lock);
    tcase_add_test(tc, LIBMP_40_released_by_another_thread);
    tcase_add_test(tc, LIBMP_71_synchronize_null_handles);
    suite_add_tcase(s, tc);
    tc = mp_tcase("dead holder", 20);
    tcase_add_test(tc, LIBMP_41_dead_holder_reported_then_consistent);
    tcase_add_test(tc, LIBMP_42_dead_holder_poisons_without_repair);
    tcase_add_test(tc, LIBMP_43_dead_holder_told_to_exactly_one);
    tcase_add_test(tc, LIBMP_44_holder_that_exits_counts_as_dead);
    tcase_add_test(tc, LIBMP_54_holder_without_main_thread_is_alive);
    tcase_add_test(tc, LIBMP_46_killed_at_random_moments);
    suite_add_tcase(s, tc);
    tc = mp_tcase("stress", 60);
    tcase_add_test(tc, LIBMP_45_many_processes_exact_count);
    tcase_add_test(tc, LIBMP_55_many_locks_freed_and_made_again);
    suite_add_tcase(s, tc);
    return s;
}
