/* Suite "Event" (CPython's _TestEvent): the Spec page's catalogue, plus libmp's cases: a set and
 * clear while a waiter sleeps (a pulse), many waiters in many processes, and two processes
 * handing the turn back and forth through two events (the W6 benchmark's pattern). */
#include "sync_helpers.h"

static mp_event_t *new_event(void)
{
    mp_event_t *e;
    ck_assert_mp(mp_event_new(&e), 0);
    return e;
}

START_TEST(EVT_01_new_event_is_unset)
{
    mp_event_t *e = new_event();
    double took;
    ck_assert_int_eq(mp_event_is_set(e), 0);
    ck_assert_mp(TIMED(took, mp_event_wait(e, 0)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_event_wait(e, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_event_wait(e, 0.82)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.82);
    ck_assert_mp(mp_event_wait(e, NAN), MP_EINVAL);
    mp_event_free(e);
}
END_TEST

START_TEST(EVT_02_set_event)
{
    mp_event_t *e = new_event();
    double took;
    mp_event_set(e);
    ck_assert_int_eq(mp_event_is_set(e), 1);
    ck_assert_mp(TIMED(took, mp_event_wait(e, MP_FOREVER)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_event_wait(e, 0.82)), 0);
    ck_assert_immediate(took);
    mp_event_free(e);
}
END_TEST

struct later {
    mp_event_t *e;
    double delay;
};

static int set_later(void *arg)
{
    struct later *l = arg;
    sleep_s(l->delay);
    mp_event_set(l->e);
    return 0;
}

START_TEST(EVT_03_child_sets_it_later)
{
    mp_event_t *e = new_event();
    mp_event_set(e);
    mp_event_clear(e);
    ck_assert_int_eq(mp_event_is_set(e), 0);
    struct later l = {e, 0.35};
    double t0 = now_s();
    mp_process_t *p = go(set_later, &l);
    ck_assert_mp(mp_event_wait(e, MP_FOREVER), 0);
    ck_assert_elapsed(now_s() - t0, 0.35);
    ck_assert_int_eq(mp_event_is_set(e), 1);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_event_free(e);
}
END_TEST

START_TEST(EVT_05_set_and_clear_twice)
{
    mp_event_t *e = new_event();
    mp_event_set(e);
    mp_event_set(e);
    ck_assert_int_eq(mp_event_is_set(e), 1);
    mp_event_clear(e);
    mp_event_clear(e);
    ck_assert_int_eq(mp_event_is_set(e), 0);
    ck_assert_mp(mp_event_wait(e, 0), MP_ETIMEDOUT);
    mp_event_free(e);
}
END_TEST

struct waiters {
    mp_event_t *e;
    volatile int *ready, *woken;
};

static int wait_and_count(void *arg)
{
    struct waiters *w = arg;
    flag_add(w->ready, 1);
    int rc = mp_event_wait(w->e, 10);
    if (rc == 0)
        flag_add(w->woken, 1);
    return rc == 0 ? 0 : 1;
}

/* A set() and a clear() while the waiter sleeps: the waiter returns set (as threading.Event
 * does; CPython's multiprocessing.Event reports the flag it finds, False). */
START_TEST(LIBMP_63_pulse_wakes_the_waiter)
{
    mp_event_t *e = new_event();
    volatile int *mem = shared_mem(2 * sizeof(int));
    struct waiters w = {e, &mem[0], &mem[1]};
    mp_process_t *p = go(wait_and_count, &w);
    ck_assert(wait_flag(w.ready, 1, 5));
    sleep_s(0.1); /* asleep in the kernel by now */
    mp_event_set(e);
    mp_event_clear(e);
    ck_assert_int_eq(finish(p, 5), 0);
    ck_assert_int_eq(*w.woken, 1);
    mp_event_free(e);
}
END_TEST

/* One set() wakes every waiter of 8 processes at once. */
START_TEST(LIBMP_64_set_wakes_all_waiters)
{
    mp_event_t *e = new_event();
    volatile int *mem = shared_mem(2 * sizeof(int));
    struct waiters w = {e, &mem[0], &mem[1]};
    mp_process_t *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = go(wait_and_count, &w);
    ck_assert(wait_flag(w.ready, 8, 5));
    sleep_s(0.1);
    ck_assert_int_eq(*w.woken, 0);
    mp_event_set(e);
    ck_assert(wait_flag(w.woken, 8, 2));
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    mp_event_free(e);
}
END_TEST

struct turns {
    mp_event_t *e1, *e2;
    volatile long *count;
    long rounds;
};

static int side_b(void *arg)
{
    struct turns *t = arg;
    for (long i = 0; i < t->rounds; i++) {
        if (mp_event_wait(t->e1, 10) != 0)
            return 1;
        mp_event_clear(t->e1);
        (*t->count)++; /* only the side whose turn it is touches the count */
        mp_event_set(t->e2);
    }
    return 0;
}

/* Stress: two processes alternate 20,000 times through two events (A sets e1 and waits for
 * e2; B waits for e1, clears it, sets e2): no turn lost or doubled, so the count is exact. */
START_TEST(LIBMP_65_ping_pong_exact_count)
{
    struct turns t = {new_event(), new_event(), shared_mem(sizeof(long)), 20000};
    mp_process_t *p = go(side_b, &t);
    for (long i = 0; i < t.rounds; i++) {
        (*t.count)++;
        mp_event_set(t.e1);
        ck_assert_mp(mp_event_wait(t.e2, 10), 0);
        mp_event_clear(t.e2);
    }
    ck_assert_int_eq(finish(p, 10), 0);
    ck_assert_int_eq(*t.count, 2 * t.rounds);
    mp_event_free(t.e1);
    mp_event_free(t.e2);
}
END_TEST

Suite *mp_suite_event(void)
{
    Suite *s = suite_create("Event");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, EVT_01_new_event_is_unset);
    tcase_add_test(tc, EVT_02_set_event);
    tcase_add_test(tc, EVT_03_child_sets_it_later);
    tcase_add_test(tc, EVT_05_set_and_clear_twice);
    tcase_add_test(tc, LIBMP_63_pulse_wakes_the_waiter);
    tcase_add_test(tc, LIBMP_64_set_wakes_all_waiters);
    suite_add_tcase(s, tc);
    tc = mp_tcase("stress", 60);
    tcase_add_test(tc, LIBMP_65_ping_pong_exact_count);
    suite_add_tcase(s, tc);
    return s;
}
