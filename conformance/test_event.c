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

/* args: (event, delay) */
static int set_later(mp_obj_t *a)
{
    mp_event_t *e = arg_event(a, 0);
    if (!e)
        return 1;
    sleep_s(arg_double(a, 1));
    mp_event_set(e);
    return 0;
}
JOB(set_later);

START_TEST(EVT_03_child_sets_it_later)
{
    mp_event_t *e = new_event();
    mp_event_set(e);
    mp_event_clear(e);
    ck_assert_int_eq(mp_event_is_set(e), 0);
    double t0 = now_s();
    mp_process_t *p = GO(set_later, mp_build("(Nd)", mp_event_obj(e), 0.35));
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

/* The event and the flags its waiters count on. */
struct waiters {
    mp_event_t *e;
    mp_sem_t *ready, *woken;
};

static struct waiters waiters_new(void)
{
    struct waiters w = {new_event(), flag_new(), flag_new()};
    return w;
}

static void waiters_free(struct waiters *w)
{
    mp_event_free(w->e);
    mp_sem_free(w->ready);
    mp_sem_free(w->woken);
}

/* args: (event, ready, woken) */
static int wait_and_count(mp_obj_t *a)
{
    if (flag_raise(arg_sem(a, 1)) != 0)
        return 2;
    int rc = mp_event_wait(arg_event(a, 0), 10);
    if (rc == 0 && flag_raise(arg_sem(a, 2)) != 0)
        return 3;
    return rc == 0 ? 0 : 1;
}
JOB(wait_and_count);

static mp_process_t *start_waiter(const struct waiters *w)
{
    return GO(wait_and_count,
              mp_build("(NNN)", mp_event_obj(w->e), mp_sem_obj(w->ready), mp_sem_obj(w->woken)));
}

/* A set() and a clear() while the waiter sleeps: the waiter returns set (as threading.Event
 * does; CPython's multiprocessing.Event reports the flag it finds, False). */
START_TEST(LIBMP_63_pulse_wakes_the_waiter)
{
    struct waiters w = waiters_new();
    mp_process_t *p = start_waiter(&w);
    ck_assert(flag_wait(w.ready, 1, 5));
    sleep_s(0.1); /* asleep in the kernel by now */
    mp_event_set(w.e);
    mp_event_clear(w.e);
    ck_assert_int_eq(finish(p, 5), 0);
    ck_assert_int_eq(mp_sem_get_value(w.woken), 1);
    waiters_free(&w);
}
END_TEST

/* One set() wakes every waiter of 8 processes at once. */
START_TEST(LIBMP_64_set_wakes_all_waiters)
{
    struct waiters w = waiters_new();
    mp_process_t *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = start_waiter(&w);
    ck_assert(flag_wait(w.ready, 8, 5));
    sleep_s(0.1);
    ck_assert_int_eq(mp_sem_get_value(w.woken), 0);
    mp_event_set(w.e);
    ck_assert(flag_wait(w.woken, 8, 2));
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    waiters_free(&w);
}
END_TEST

struct turns {
    mp_event_t *e1, *e2;
    volatile long *count;
    long rounds;
};

/* args: (e1, e2, name of the count, rounds) */
static int side_b(mp_obj_t *a)
{
    struct turns t = {arg_event(a, 0), arg_event(a, 1), named_mem_open(arg_str(a, 2), sizeof(long)),
                      arg_long(a, 3)};
    if (!t.e1 || !t.e2 || !t.count)
        return 2;
    for (long i = 0; i < t.rounds; i++) {
        if (mp_event_wait(t.e1, 10) != 0)
            return 1;
        mp_event_clear(t.e1);
        (*t.count)++; /* only the side whose turn it is touches the count */
        mp_event_set(t.e2);
    }
    return 0;
}
JOB(side_b);

/* Stress: two processes alternate 20,000 times through two events (A sets e1 and waits for
 * e2; B waits for e1, clears it, sets e2): no turn lost or doubled, so the count is exact. */
START_TEST(LIBMP_65_ping_pong_exact_count)
{
    char name[NAMED_MEM_NAME];
    struct turns t = {new_event(), new_event(), named_mem_new(sizeof(long), name), 20000};
    mp_process_t *p =
        GO(side_b, mp_build("(NNsl)", mp_event_obj(t.e1), mp_event_obj(t.e2), name, t.rounds));
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
