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

/* args: (semaphore, delay) */
static int release_later(mp_obj_t *a)
{
    sleep_s(arg_double(a, 1));
    return mp_sem_release(arg_sem(a, 0)) == 0 ? 0 : 1;
}
JOB(release_later);

START_TEST(SEM_07_child_release_wakes_parent)
{
    mp_sem_t *s = new_sem(0);
    double t0 = now_s();
    mp_process_t *p = GO(release_later, mp_build("(Nd)", mp_sem_obj(s), 0.3));
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

/* args: (bounded semaphore, go, ok, refused): spins until the Event go is set (is_set is one
 * load of shared memory, so all racers leave the loop together), releases once, and counts the
 * outcome on the flag ok or refused. */
static int release_once_at_go(mp_obj_t *a)
{
    mp_event_t *go = arg_event(a, 1);
    if (!go)
        return 2;
    while (!mp_event_is_set(go))
        ;
    int rc = mp_sem_release(arg_sem(a, 0));
    if (flag_raise(arg_sem(a, rc == 0 ? 2 : 3)) != 0)
        return 3;
    return rc == 0 || rc == MP_EOVERFLOW ? 0 : 1;
}
JOB(release_once_at_go);

/* One round of LIBMP_52: six racers released at once; the counts of ok and refused releases. */
static void race_round(mp_sem_t *s, long *ok, long *refused)
{
    mp_event_t *go;
    mp_sem_t *ok_flag = flag_new(), *refused_flag = flag_new();
    ck_assert_mp(mp_event_new(&go), 0);
    mp_process_t *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = GO(release_once_at_go, mp_build("(NNNN)", mp_sem_obj(s), mp_event_obj(go),
                                               mp_sem_obj(ok_flag), mp_sem_obj(refused_flag)));
    mp_event_set(go);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(finish(p[i], 10), 0);
    *ok = mp_sem_get_value(ok_flag);
    *refused = mp_sem_get_value(refused_flag);
    mp_sem_free(ok_flag);
    mp_sem_free(refused_flag);
    mp_event_free(go);
}

/* BoundedSemaphore(3) emptied, then 6 processes release at the same instant, 20 rounds:
 * exactly 3 succeed each round and the value never passes 3. */
START_TEST(LIBMP_52_bound_is_atomic)
{
    mp_sem_t *s = new_bsem(3);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3; i++)
            ck_assert_mp(mp_sem_acquire(s, 0, 0), 0);
        long ok, refused;
        race_round(s, &ok, &refused);
        ck_assert_int_eq(ok, 3);
        ck_assert_int_eq(refused, 3);
        ck_assert_int_eq(mp_sem_get_value(s), 3);
    }
    mp_sem_free(s);
}
END_TEST

/* The counts of LIBMP_53, in named shared memory: read and changed atomically, which a flag
 * cannot do (the number inside right after entering, and the most ever seen). */
struct slots {
    int inside, most;
    long passes;
};

/* args: (semaphore, name of the struct slots, rounds) */
static int use_slots(mp_obj_t *a)
{
    mp_sem_t *s = arg_sem(a, 0);
    struct slots *sl = named_mem_open(arg_str(a, 1), sizeof *sl);
    if (!sl)
        return 3;
    for (long i = 0, rounds = arg_long(a, 2); i < rounds; i++) {
        if (mp_sem_acquire(s, 1, 10) != 0)
            return 1;
        int now_inside = __atomic_add_fetch(&sl->inside, 1, __ATOMIC_ACQ_REL);
        int most = __atomic_load_n(&sl->most, __ATOMIC_RELAXED);
        while (now_inside > most &&
               !__atomic_compare_exchange_n(&sl->most, &most, now_inside, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
            ;
        __atomic_add_fetch(&sl->passes, 1, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&sl->inside, 1, __ATOMIC_ACQ_REL);
        if (mp_sem_release(s) != 0)
            return 2;
    }
    return 0;
}
JOB(use_slots);

/* Stress: 6 processes x 300,000 passes through a Semaphore(2): never more than 2 inside, every
 * pass counted, and the value back at 2. */
START_TEST(LIBMP_53_slots_never_exceeded)
{
    mp_sem_t *s = new_sem(2);
    char name[NAMED_MEM_NAME];
    struct slots *sl = named_mem_new(sizeof *sl, name);
    mp_process_t *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = GO(use_slots, mp_build("(Nsl)", mp_sem_obj(s), name, 300000L));
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(finish(p[i], 30), 0);
    ck_assert_int_eq(__atomic_load_n(&sl->passes, __ATOMIC_ACQUIRE), 6 * 300000);
    ck_assert_int_le(__atomic_load_n(&sl->most, __ATOMIC_ACQUIRE), 2);
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
