/* Suite "RLock" (CPython's _TestLock, the RLock half): the Spec page's catalogue, plus libmp's
 * cases: the recursion count, a dead owner, and threads of several processes counting under it. */
#include "sync_helpers.h"

static mp_lock_t *new_rlock(void)
{
    mp_lock_t *l;
    ck_assert_mp(mp_rlock_new(&l), 0);
    return l;
}

static void *release_in_thread(void *arg)
{
    return (void *)(intptr_t)mp_lock_release(arg);
}

START_TEST(RLOCK_02_other_thread_cannot_release)
{
    mp_lock_t *l = new_rlock();
    pthread_t t;
    void *rc;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    pthread_create(&t, NULL, release_in_thread, l);
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, MP_ENOTOWNER);
    ck_assert_str_eq(mp_exception_name(MP_ENOTOWNER), "AssertionError");
    ck_assert_int_eq(mp_lock_count(l), 1); /* still ours */
    ck_assert_mp(mp_lock_release(l), 0);
    mp_lock_free(l);
}
END_TEST

static int child_of_holder(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_is_mine(l) || mp_lock_count(l) != 0)
        return 1; /* a child never owns its parent's RLock */
    if (mp_lock_release(l) != MP_ENOTOWNER)
        return 2;
    if (mp_lock_acquire(l, 0, 0) != MP_EAGAIN)
        return 3;
    double t0 = now_s();
    if (mp_lock_acquire(l, 1, 0.2) != MP_ETIMEDOUT)
        return 4;
    double took = now_s() - t0;
    return took >= 0.2 - TOL_EARLY && took <= 0.2 + TOL_LATE ? 0 : 5;
}
JOB(child_of_holder);

START_TEST(RLOCK_03_child_neither_owns_nor_gets_it)
{
    mp_lock_t *l = new_rlock();
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_int_eq(finish(GO(child_of_holder, mp_build("(N)", mp_lock_obj(l))), 5), 0);
    ck_assert_int_eq(mp_lock_count(l), 1);
    ck_assert_mp(mp_lock_release(l), 0);
    mp_lock_free(l);
}
END_TEST

START_TEST(RLOCK_04_owner_reacquires_without_blocking)
{
    mp_lock_t *l = new_rlock();
    double took;
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 0, 0)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, -1)), 0);
    ck_assert_immediate(took);
    ck_assert_int_eq(mp_lock_count(l), 3);
    mp_lock_free(l);
}
END_TEST

START_TEST(RLOCK_05_release_never_acquired)
{
    mp_lock_t *l = new_rlock();
    ck_assert_mp(mp_lock_release(l), MP_ENOTOWNER);
    ck_assert_str_eq(mp_errmsg(), "attempt to release recursive lock not owned by thread");
    mp_lock_free(l);
}
END_TEST

static int try_take(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    int rc = mp_lock_acquire(l, 0, 0);
    if (rc == 0)
        mp_lock_release(l);
    /* "held" is MP_EAGAIN only: a child that could not read its lock must not pass for it */
    return rc == 0 ? 0 : rc == MP_EAGAIN ? 1 : 2;
}
JOB(try_take);

/* try_take in another process: 0 if it got the lock, 1 if it was held. */
static int taken_elsewhere(mp_lock_t *l)
{
    return finish(GO(try_take, mp_build("(N)", mp_lock_obj(l))), 5);
}

/* RLock (Lib/multiprocessing/synchronize.py): three acquires, three releases; the lock is free only
 * after the last one, and a fourth release is refused. */
START_TEST(LIBMP_47_recursion_count)
{
    mp_lock_t *l = new_rlock();
    for (int i = 1; i <= 3; i++) {
        ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0);
        ck_assert_int_eq(mp_lock_count(l), i);
    }
    for (int i = 2; i >= 0; i--) {
        ck_assert_int_eq(taken_elsewhere(l), 1); /* another process: still held */
        ck_assert_mp(mp_lock_release(l), 0);
        ck_assert_int_eq(mp_lock_count(l), i);
    }
    ck_assert_mp(mp_lock_release(l), MP_ENOTOWNER);
    ck_assert_int_eq(taken_elsewhere(l), 0);
    mp_lock_free(l);
}
END_TEST

/* args: (rlock, flag) */
static int own_twice_forever(mp_obj_t *a)
{
    mp_lock_t *l = arg_lock(a, 0);
    if (mp_lock_acquire(l, 1, MP_FOREVER) != 0 || mp_lock_acquire(l, 1, MP_FOREVER) != 0)
        return 1;
    if (flag_raise(arg_sem(a, 1)) != 0)
        return 2;
    for (;;)
        sleep_s(1);
}
JOB(own_twice_forever);

/* Starts own_twice_forever and waits until it owns the lock twice. */
static mp_process_t *owner_of(mp_lock_t *l, mp_sem_t *flag)
{
    mp_process_t *p = GO(own_twice_forever, mp_build("(NN)", mp_lock_obj(l), mp_sem_obj(flag)));
    ck_assert(flag_wait(flag, 1, 5));
    return p;
}

/* The owner dies holding it twice: the next acquirer owns it once, with MP_EOWNERDEAD; after
 * make_consistent and one release it is free for everyone. */
START_TEST(LIBMP_48_dead_owner)
{
    mp_lock_t *l = new_rlock();
    mp_sem_t *flag = flag_new();
    mp_process_t *p = owner_of(l, flag);
    kill_now(p);
    double took;
    ck_assert_mp(TIMED(took, mp_lock_acquire(l, 1, 5)), MP_EOWNERDEAD);
    ck_assert_msg(took < 0.5, "the dead owner was noticed after %.3f s", took);
    ck_assert_int_eq(mp_lock_count(l), 1);
    ck_assert_mp(mp_lock_acquire(l, 1, MP_FOREVER), 0); /* recursive, as usual */
    ck_assert_mp(mp_lock_make_consistent(l), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_int_eq(taken_elsewhere(l), 0);
    ck_assert_int_eq(finish(p, 5), -SIGKILL);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

/* Without make_consistent the last release poisons it; an inner release does not. */
START_TEST(LIBMP_49_dead_owner_poisons)
{
    mp_lock_t *l = new_rlock();
    mp_sem_t *flag = flag_new();
    mp_process_t *p = owner_of(l, flag);
    kill_now(p);
    ck_assert_mp(mp_lock_acquire(l, 1, 5), MP_EOWNERDEAD);
    ck_assert_mp(mp_lock_acquire(l, 1, 5), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_mp(mp_lock_acquire(l, 1, 5), MP_ENOTRECOVERABLE);
    ck_assert_mp(mp_lock_release(l), MP_ENOTOWNER);
    ck_assert_int_eq(finish(p, 5), -SIGKILL);
    mp_sem_free(flag);
    mp_lock_free(l);
}
END_TEST

/* What the two threads of a child share: the RLock and the count, mapped by name. */
struct nest {
    mp_lock_t *l;
    volatile long *count;
    long rounds;
};

static void *nest_rounds(void *arg)
{
    struct nest *n = arg;
    for (long i = 0; i < n->rounds; i++) {
        if (mp_lock_acquire(n->l, 1, 10) != 0 || mp_lock_acquire(n->l, 0, 0) != 0)
            return (void *)1;
        long v = *n->count;
        *n->count = v + 1;
        if (mp_lock_count(n->l) != 2 || mp_lock_release(n->l) != 0 || mp_lock_release(n->l) != 0)
            return (void *)2;
    }
    return NULL;
}

/* args: (rlock, name of the shared count, rounds) */
static int two_threads_nesting(mp_obj_t *a)
{
    struct nest n = {arg_lock(a, 0), named_mem_open(arg_str(a, 1), sizeof(long)), arg_long(a, 2)};
    pthread_t t[2];
    void *rc[2];
    if (!n.count)
        return 3;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, nest_rounds, &n);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &rc[i]);
    return rc[0] || rc[1] ? 1 : 0;
}
JOB(two_threads_nesting);

/* Stress: 4 processes x 2 threads x 200,000 rounds, each taking the RLock twice (the second a
 * non-blocking recursive acquire) around a read-modify-write: the count is exact. */
START_TEST(LIBMP_50_threads_of_processes_exact_count)
{
    mp_lock_t *l = new_rlock();
    char name[NAMED_MEM_NAME];
    volatile long *count = named_mem_new(sizeof *count, name);
    mp_process_t *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = GO(two_threads_nesting, mp_build("(Nsl)", mp_lock_obj(l), name, 200000L));
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(finish(p[i], 30), 0);
    ck_assert_int_eq(*count, 4 * 2 * 200000);
    mp_lock_free(l);
}
END_TEST

Suite *mp_suite_rlock(void)
{
    Suite *s = suite_create("RLock");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, RLOCK_02_other_thread_cannot_release);
    tcase_add_test(tc, RLOCK_03_child_neither_owns_nor_gets_it);
    tcase_add_test(tc, RLOCK_04_owner_reacquires_without_blocking);
    tcase_add_test(tc, RLOCK_05_release_never_acquired);
    tcase_add_test(tc, LIBMP_47_recursion_count);
    suite_add_tcase(s, tc);
    tc = mp_tcase("dead owner", 20);
    tcase_add_test(tc, LIBMP_48_dead_owner);
    tcase_add_test(tc, LIBMP_49_dead_owner_poisons);
    suite_add_tcase(s, tc);
    tc = mp_tcase("stress", 60);
    tcase_add_test(tc, LIBMP_50_threads_of_processes_exact_count);
    suite_add_tcase(s, tc);
    return s;
}
