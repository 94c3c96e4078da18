/* Suite "Semaphore" (CPython's _TestSemaphore): the Spec page's catalogue, Semaphore and
 * BoundedSemaphore, plus libmp's cases: the bound holds under concurrent releases (CPython's
 * check-then-post can be passed twice: docs/pages/deviations.md), and many processes never exceed
 * the count. */
#include "sync_helpers.h"

static mp_sem_t *new_sem(long value)
{
    mp_sem_t *s;
    ck_assert_mp(mp_sem_new(&s, value), 0);
    return s;
}

static mp_sem_t *new_bsem(long value)
{
    mp_sem_t *s;
    ck_assert_mp(mp_bsem_new(&s, value), 0);
    return s;
}

START_TEST(SEM_02_zero_timeouts)
{
    mp_sem_t *s = new_sem(0);
    double took;
    ck_assert_mp(TIMED(took, mp_sem_acquire(s, 0, MP_FOREVER)), MP_EAGAIN); /* (False, None) */
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_sem_acquire(s, 0, 0.82)), MP_EAGAIN);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_sem_acquire(s, 1, 0.35)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.35);
    ck_assert_mp(TIMED(took, mp_sem_acquire(s, 1, 1.4)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 1.4);
    ck_assert_mp(TIMED(took, mp_sem_acquire(s, 1, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(mp_sem_acquire(s, 1, NAN), MP_EINVAL);
    mp_sem_free(s);
}
END_TEST

/* C has no default arguments: Python's default, value=1, is what a mutex-like use passes. */
START_TEST(SEM_03_value_one)
{
    mp_sem_t *s = new_sem(1);
    ck_assert_int_eq(mp_sem_get_value(s), 1);
    ck_assert_mp(mp_sem_acquire(s, 0, 0), 0);
    ck_assert_mp(mp_sem_acquire(s, 0, 0), MP_EAGAIN);
    ck_assert_int_eq(mp_sem_get_value(s), 0);
    mp_sem_free(s);
}
END_TEST

START_TEST(SEM_04_negative_value_refused)
{
    mp_sem_t *s = (mp_sem_t *)1;
    ck_assert_mp(mp_sem_new(&s, -1), MP_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_mp(mp_bsem_new(&s, -1), MP_EINVAL);
    ck_assert_mp(mp_sem_new(&s, MP_SEM_VALUE_MAX + 1L), MP_EINVAL); /* Python: OverflowError */
    ck_assert_mp(mp_sem_new(&s, MP_SEM_VALUE_MAX), 0);
    mp_sem_free(s);
}
END_TEST

START_TEST(SEM_05_release_at_the_maximum)
{
    mp_sem_t *s = new_sem(MP_SEM_VALUE_MAX - 1);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_int_eq(mp_sem_get_value(s), MP_SEM_VALUE_MAX);
    ck_assert_mp(mp_sem_release(s), MP_EOVERFLOW);
    ck_assert_str_eq(mp_errmsg(), "semaphore or lock released too many times");
    ck_assert_int_eq(mp_sem_get_value(s), MP_SEM_VALUE_MAX);
    mp_sem_free(s);
}
END_TEST

struct later {
    mp_sem_t *s;
    double delay;
};

static int release_later(void *arg)
{
    struct later *l = arg;
    sleep_s(l->delay);
    return mp_sem_release(l->s) == 0 ? 0 : 1;
}

START_TEST(SEM_07_child_release_wakes_parent)
{
    mp_sem_t *s = new_sem(0);
    struct later l = {s, 0.3};
    double t0 = now_s();
    mp_process_t *p = go(release_later, &l);
    ck_assert_mp(mp_sem_acquire(s, 1, MP_FOREVER), 0);
    ck_assert_elapsed(now_s() - t0, 0.3);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_sem_free(s);
}
END_TEST

/* _TestSemaphore.test_semaphore's sequence from value 2 (the "SEM-01" that BSEM-01 refers to),
 * then the bound. */
START_TEST(BSEM_01_bounded_two)
{
    mp_sem_t *s = new_bsem(2);
    ck_assert_mp(mp_sem_acquire(s, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 1);
    ck_assert_mp(mp_sem_acquire(s, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 0);
    ck_assert_mp(mp_sem_acquire(s, 0, 0), MP_EAGAIN);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 1);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 2);
    ck_assert_mp(mp_sem_release(s), MP_EOVERFLOW);
    ck_assert_int_eq(mp_sem_get_value(s), 2);
    mp_sem_free(s);
}
END_TEST

START_TEST(BSEM_02_bounded_one_and_zero)
{
    mp_sem_t *one = new_bsem(1), *zero = new_bsem(0);
    ck_assert_int_eq(mp_sem_get_value(one), 1);
    ck_assert_mp(mp_sem_release(one), MP_EOVERFLOW);
    ck_assert_mp(mp_sem_release(zero), MP_EOVERFLOW);
    ck_assert_int_eq(mp_sem_get_value(zero), 0);
    mp_sem_free(one);
    mp_sem_free(zero);
}
END_TEST

/* A plain Semaphore's release goes above its initial value (test_semaphore: 2 -> ... -> 4). */
START_TEST(LIBMP_51_release_above_initial)
{
    mp_sem_t *s = new_sem(2);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_mp(mp_sem_acquire(s, 0, 0), 0);
    ck_assert_mp(mp_sem_acquire(s, 0, 0), MP_EAGAIN);
    mp_sem_free(s);
}
END_TEST

struct race {
    mp_sem_t *s;
    volatile int *go, *ok, *refused;
};

static int release_once_at_go(void *arg)
{
    struct race *r = arg;
    while (!__atomic_load_n(r->go, __ATOMIC_ACQUIRE))
        ;
    int rc = mp_sem_release(r->s);
    flag_add(rc == 0 ? r->ok : r->refused, 1);
    return rc == 0 || rc == MP_EOVERFLOW ? 0 : 1;
}

/* BoundedSemaphore(3) emptied, then 6 processes release at the same instant, 20 rounds:
 * exactly 3 succeed each round and the value never passes 3. */
START_TEST(LIBMP_52_bound_is_atomic)
{
    mp_sem_t *s = new_bsem(3);
    volatile int *mem = shared_mem(3 * sizeof(int));
    struct race r = {s, &mem[0], &mem[1], &mem[2]};
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3; i++)
            ck_assert_mp(mp_sem_acquire(s, 0, 0), 0);
        mem[0] = mem[1] = mem[2] = 0;
        mp_process_t *p[6];
        for (int i = 0; i < 6; i++)
            p[i] = go(release_once_at_go, &r);
        __atomic_store_n(&mem[0], 1, __ATOMIC_RELEASE);
        for (int i = 0; i < 6; i++)
            ck_assert_int_eq(finish(p[i], 10), 0);
        ck_assert_int_eq(mem[1], 3);
        ck_assert_int_eq(mem[2], 3);
        ck_assert_int_eq(mp_sem_get_value(s), 3);
    }
    mp_sem_free(s);
}
END_TEST

struct slots {
    mp_sem_t *s;
    volatile int *inside, *most;
    volatile long *passes;
    int rounds;
};

static int use_slots(void *arg)
{
    struct slots *sl = arg;
    for (int i = 0; i < sl->rounds; i++) {
        if (mp_sem_acquire(sl->s, 1, 10) != 0)
            return 1;
        int now_inside = __atomic_add_fetch(sl->inside, 1, __ATOMIC_ACQ_REL);
        int most = __atomic_load_n(sl->most, __ATOMIC_RELAXED);
        while (now_inside > most &&
               !__atomic_compare_exchange_n(sl->most, &most, now_inside, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
            ;
        __atomic_add_fetch(sl->passes, 1, __ATOMIC_RELAXED);
        __atomic_sub_fetch(sl->inside, 1, __ATOMIC_ACQ_REL);
        if (mp_sem_release(sl->s) != 0)
            return 2;
    }
    return 0;
}

/* Stress: 6 processes x 300,000 passes through a Semaphore(2): never more than 2 inside, every
 * pass counted, and the value back at 2. */
START_TEST(LIBMP_53_slots_never_exceeded)
{
    mp_sem_t *s = new_sem(2);
    volatile int *mem = shared_mem(2 * sizeof(int) + sizeof(long) * 2);
    struct slots sl = {s, &mem[0], &mem[1], (volatile long *)(mem + 2), 300000};
    mp_process_t *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = go(use_slots, &sl);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(finish(p[i], 30), 0);
    ck_assert_int_eq(*sl.passes, 6 * 300000);
    ck_assert_int_le(mem[1], 2);
    ck_assert_int_eq(mp_sem_get_value(s), 2);
    mp_sem_free(s);
}
END_TEST

Suite *mp_suite_semaphore(void)
{
    Suite *s = suite_create("Semaphore");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, SEM_02_zero_timeouts);
    tcase_add_test(tc, SEM_03_value_one);
    tcase_add_test(tc, SEM_04_negative_value_refused);
    tcase_add_test(tc, SEM_05_release_at_the_maximum);
    tcase_add_test(tc, SEM_07_child_release_wakes_parent);
    tcase_add_test(tc, BSEM_01_bounded_two);
    tcase_add_test(tc, BSEM_02_bounded_one_and_zero);
    tcase_add_test(tc, LIBMP_51_release_above_initial);
    suite_add_tcase(s, tc);
    tc = mp_tcase("stress", 60);
    tcase_add_test(tc, LIBMP_52_bound_is_atomic);
    tcase_add_test(tc, LIBMP_53_slots_never_exceeded);
    suite_add_tcase(s, tc);
    return s;
}
