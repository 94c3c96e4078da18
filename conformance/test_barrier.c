/* Suite "Barrier" (CPython's _TestBarrier): the Spec page's catalogue, plus libmp's cases: one
 * party, and parties that die (CPython waits for ever: python/cpython#123899). The parent is one of
 * the parties where CPython's tests make the main process one. */
#include "sync_helpers.h"

#define N 5

static mp_barrier_t *new_barrier(unsigned parties, mp_barrier_action_t action, void *arg,
                                 double timeout)
{
    mp_barrier_t *b;
    ck_assert_mp(mp_barrier_new(&b, parties, action, arg, timeout), 0);
    return b;
}

/* The state parties share with the test. */
struct party {
    mp_barrier_t *b, *b2;
    volatile int *a, *c, *seen, *broken;
    int passes;
    double timeout;
    int fd;
    mp_lock_t *lock;
};

static struct party new_party(mp_barrier_t *b)
{
    volatile int *mem = shared_mem(64 * sizeof(int));
    return (struct party){b, NULL, &mem[0], &mem[1], &mem[2], &mem[3], 1, MP_FOREVER, -1, NULL};
}

/* Starts `n` children running fn, runs fn here too (the parent is a party), then returns the
 * parent's result; children must all end with 0. */
static int run_parties(job_fn fn, struct party *pt, int n)
{
    mp_process_t *p[16];
    for (int i = 0; i < n; i++)
        p[i] = go(fn, pt);
    int mine = fn(pt);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(finish(p[i], 20), 0);
    return mine;
}

/* Starts `n` children running fn and returns once all of them wait in the barrier. */
static void start_waiting(job_fn fn, struct party *pt, mp_process_t **p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = go(fn, pt);
    double deadline = now_s() + 5;
    while (mp_barrier_n_waiting(pt->b) < (unsigned)n && now_s() < deadline)
        sleep_s(0.001);
    ck_assert_uint_eq(mp_barrier_n_waiting(pt->b), (unsigned)n);
}

/* _TestBarrier.test_barrier: nobody gets ahead. Before each wait every party has counted
 * itself in `a` (then `c`), and after it everyone has. */
static int lockstep(void *arg)
{
    struct party *pt = arg;
    for (int i = 0; i < pt->passes; i++) {
        flag_add(pt->a, 1);
        if (__atomic_load_n(pt->c, __ATOMIC_ACQUIRE) != i * N)
            return 1;
        if (mp_barrier_wait(pt->b, MP_BARRIER_DEFAULT, NULL) != 0)
            return 2;
        flag_add(pt->c, 1);
        if (__atomic_load_n(pt->a, __ATOMIC_ACQUIRE) != (i + 1) * N)
            return 3;
        if (mp_barrier_wait(pt->b, MP_BARRIER_DEFAULT, NULL) != 0)
            return 4;
    }
    return 0;
}

START_TEST(BAR_01_lockstep_passes)
{
    static const int passes[] = {1, 10};
    for (int k = 0; k < 2; k++) {
        mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
        struct party pt = new_party(b);
        pt.passes = passes[k];
        ck_assert_int_eq(run_parties(lockstep, &pt, N - 1), 0);
        ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
        ck_assert_int_eq(mp_barrier_broken(b), 0);
        mp_barrier_free(b);
    }
}
END_TEST

static int record_index(void *arg)
{
    struct party *pt = arg;
    unsigned idx = 99;
    if (mp_barrier_wait(pt->b, 10, &idx) != 0 || idx >= N)
        return 1;
    flag_add(&pt->seen[idx], 1);
    return 0;
}

START_TEST(BAR_02_indices_are_a_permutation)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    pt.seen = pt.seen + 8; /* N counters of their own */
    ck_assert_int_eq(run_parties(record_index, &pt, N - 1), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pt.seen[i], 1);
    mp_barrier_free(b);
}
END_TEST

static volatile int *action_runs, *action_pid;

static int count_action(void *arg)
{
    (void)arg;
    sleep_s(0.05); /* nobody may leave while it runs */
    flag_add(action_runs, 1);
    *action_pid = (int)getpid();
    return 0;
}

static int arrive_and_check(void *arg)
{
    struct party *pt = arg;
    unsigned idx;
    int before = *action_runs;
    if (mp_barrier_wait(pt->b, 10, &idx) != 0)
        return 1;
    if (*action_runs != before + 1)
        return 2; /* the action ran exactly once, before this party left */
    if ((idx == mp_barrier_parties(pt->b) - 1) != (*action_pid == (int)getpid()))
        return 3; /* ...in the party that got the last index */
    return 10 + (int)idx;
}

START_TEST(BAR_03_action_runs_once_in_the_last_party)
{
    volatile int *mem = shared_mem(2 * sizeof(int));
    action_runs = &mem[0];
    action_pid = &mem[1];
    mp_barrier_t *b = new_barrier(3, count_action, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    /* Arrivals one at a time: indices follow arrival order; the parent comes last. */
    mp_process_t *first = go(arrive_and_check, &pt);
    while (mp_barrier_n_waiting(b) < 1)
        sleep_s(0.001);
    mp_process_t *second = go(arrive_and_check, &pt);
    while (mp_barrier_n_waiting(b) < 2)
        sleep_s(0.001);
    ck_assert_int_eq(arrive_and_check(&pt), 10 + 2);
    ck_assert_int_eq(*action_pid, (int)getpid());
    ck_assert_int_eq(finish(first, 5), 10);
    ck_assert_int_eq(finish(second, 5), 11);
    ck_assert_int_eq(*action_runs, 1);
    mp_barrier_free(b);
}
END_TEST

static int expect_broken_then_pass(void *arg)
{
    struct party *pt = arg;
    flag_add(pt->a, 1);
    if (mp_barrier_wait(pt->b, 10, NULL) != MP_EBROKEN)
        return 1;
    flag_add(pt->broken, 1);
    /* then everyone passes again, once the parent has joined in */
    return mp_barrier_wait(pt->b, 10, NULL) == 0 ? 0 : 2;
}

START_TEST(BAR_05_reset_breaks_the_waiters)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *p[N - 1];
    start_waiting(expect_broken_then_pass, &pt, p, N - 1);
    ck_assert_mp(mp_barrier_reset(b), 0);
    ck_assert(wait_flag(pt.broken, N - 1, 5));
    ck_assert_mp(mp_barrier_wait(b, 10, NULL), 0);
    for (int i = 0; i < N - 1; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_barrier_free(b);
}
END_TEST

/* _TestBarrier.test_abort_and_reset: one party aborts; all meet on a second barrier; one
 * resets the first; then all pass the first again. */
static int abort_then_reset(void *arg)
{
    struct party *pt = arg;
    unsigned idx;
    int rc = mp_barrier_wait(pt->b2, 10, &idx); /* everyone is here */
    if (rc != 0)
        return 1;
    if (idx == N - 1)
        mp_barrier_abort(pt->b);
    if (mp_barrier_wait(pt->b, 10, NULL) != MP_EBROKEN)
        return 2;
    if (mp_barrier_wait(pt->b2, 10, &idx) != 0)
        return 3;
    if (idx == N - 1)
        mp_barrier_reset(pt->b);
    if (mp_barrier_wait(pt->b2, 10, NULL) != 0)
        return 4;
    return mp_barrier_wait(pt->b, 10, NULL) == 0 ? 0 : 5;
}

START_TEST(BAR_06_abort_then_reset)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    pt.b2 = new_barrier(N, NULL, NULL, MP_FOREVER);
    ck_assert_int_eq(run_parties(abort_then_reset, &pt, N - 1), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_barrier_free(pt.b2);
    mp_barrier_free(b);
}
END_TEST

static int wait_half_a_second(void *arg)
{
    struct party *pt = arg;
    double t0 = now_s();
    int rc = mp_barrier_wait(pt->b, 0.5, NULL);
    double took = now_s() - t0;
    if (rc != MP_EBROKEN)
        return 1;
    return took < 0.5 + TOL_LATE ? 0 : 2;
}

/* One party a second late; the others wait(0.5): all of them, the late one too, are broken. */
START_TEST(BAR_07_timeout_breaks_it_for_everyone)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *p[N - 1];
    double t0 = now_s();
    for (int i = 0; i < N - 1; i++)
        p[i] = go(wait_half_a_second, &pt);
    for (int i = 0; i < N - 1; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_elapsed(now_s() - t0, 0.5);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    sleep_s(1.0 - (now_s() - t0));
    double took;
    ck_assert_mp(TIMED(took, mp_barrier_wait(b, 10, NULL)), MP_EBROKEN);
    ck_assert_immediate(took);
    mp_barrier_free(b);
}
END_TEST

static int default_timeout(void *arg)
{
    struct party *pt = arg;
    unsigned idx;
    if (mp_barrier_wait(pt->b, 20, &idx) != 0)
        return 1;
    if (idx == N / 2)
        sleep_s(1.0);
    return mp_barrier_wait(pt->b, MP_BARRIER_DEFAULT, NULL) == MP_EBROKEN ? 0 : 2;
}

START_TEST(BAR_08_default_timeout)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, 0.5);
    struct party pt = new_party(b);
    ck_assert_int_eq(run_parties(default_timeout, &pt, N - 1), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    mp_barrier_free(b);
}
END_TEST

static int failing_action(void *arg)
{
    (void)arg;
    return MP_EINVAL; /* the action's own error, as a KeyError raised by a Python action */
}

static int expect_broken(void *arg)
{
    struct party *pt = arg;
    return mp_barrier_wait(pt->b, 10, NULL) == MP_EBROKEN ? 0 : 1;
}

START_TEST(BAR_10_failing_action)
{
    mp_barrier_t *b = new_barrier(3, failing_action, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *p[2];
    start_waiting(expect_broken, &pt, p, 2);
    ck_assert_mp(mp_barrier_wait(b, 10, NULL), MP_EINVAL);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    mp_barrier_free(b);
}
END_TEST

START_TEST(BAR_11_n_waiting_and_parties)
{
    mp_barrier_t *b = new_barrier(3, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    ck_assert_int_eq(mp_barrier_parties(b), 3);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
    mp_process_t *p[2];
    start_waiting(record_index, &pt, p, 2);
    sleep_s(0.05);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 2);
    ck_assert_mp(mp_barrier_wait(b, 10, NULL), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
    mp_barrier_free(b);
}
END_TEST

static int thousand(void *arg)
{
    struct party *pt = arg;
    for (int i = 0; i < pt->passes; i++) {
        if (mp_barrier_wait(pt->b, 20, NULL) != 0)
            return 1;
        if (mp_lock_acquire(pt->lock, 1, 10) != 0)
            return 2;
        ssize_t w = write(pt->fd, &i, sizeof i);
        mp_lock_release(pt->lock);
        if (w != sizeof i)
            return 3;
    }
    return 0;
}

START_TEST(BAR_12_thousand_passes_in_order)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    pt.fd = fds[1];
    pt.passes = 1000;
    ck_assert_mp(mp_lock_new(&pt.lock), 0);
    ck_assert_int_eq(run_parties(thousand, &pt, N - 1), 0);
    close(fds[1]);
    for (int i = 0; i < pt.passes; i++) {
        for (int j = 0; j < N; j++) {
            int got = -1;
            ck_assert_int_eq(read(fds[0], &got, sizeof got), sizeof got);
            ck_assert_int_eq(got, i);
        }
    }
    close(fds[0]);
    mp_lock_free(pt.lock);
    mp_barrier_free(b);
}
END_TEST

START_TEST(BAR_13_zero_parties_refused)
{
    mp_barrier_t *b = (mp_barrier_t *)1;
    ck_assert_mp(mp_barrier_new(&b, 0, NULL, NULL, MP_FOREVER), MP_EINVAL);
    ck_assert_ptr_null(b);
    ck_assert_mp(mp_barrier_new(&b, 2, NULL, NULL, NAN), MP_EINVAL);
}
END_TEST

/* _TestBarrier.test_single_thread: Barrier(1) lets its one party through, again and again. */
START_TEST(LIBMP_66_one_party)
{
    mp_barrier_t *b = new_barrier(1, NULL, NULL, MP_FOREVER);
    for (int i = 0; i < 3; i++) {
        unsigned idx = 9;
        double took;
        ck_assert_mp(TIMED(took, mp_barrier_wait(b, MP_BARRIER_DEFAULT, &idx)), 0);
        ck_assert_immediate(took);
        ck_assert_uint_eq(idx, 0);
    }
    mp_barrier_free(b);
}
END_TEST

static int wait_for_ever(void *arg)
{
    struct party *pt = arg;
    flag_add(pt->a, 1);
    mp_barrier_wait(pt->b, MP_FOREVER, NULL);
    return 0;
}

/* A waiting party is SIGKILLed: the other waiter is broken out well within a second, and after
 * reset() the barrier works for a full set of parties again. */
START_TEST(LIBMP_67_dead_party_breaks_it)
{
    mp_barrier_t *b = new_barrier(3, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *victim = go(wait_for_ever, &pt), *other = go(expect_broken, &pt);
    while (mp_barrier_n_waiting(b) < 2)
        sleep_s(0.001);
    double t0 = now_s();
    kill_now(victim);
    ck_assert_int_eq(finish(other, 5), 0);
    ck_assert_msg(now_s() - t0 < 1.0, "broken after %.3f s", now_s() - t0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_mp(mp_barrier_wait(b, 1, NULL), MP_EBROKEN);
    ck_assert_mp(mp_barrier_reset(b), 0);
    ck_assert_int_eq(run_parties(record_index, &pt, 2), 0);
    ck_assert_int_eq(finish(victim, 5), -SIGKILL);
    mp_barrier_free(b);
}
END_TEST

static int endless_action(void *arg)
{
    volatile int *flag = arg;
    flag_add(flag, 1);
    while (*flag > 0) /* until killed */
        sleep_s(1);
    return 0;
}

/* The last party dies inside the action: the others are broken out instead of waiting on. */
START_TEST(LIBMP_68_dead_in_the_action)
{
    volatile int *flag = shared_mem(sizeof *flag);
    mp_barrier_t *b = new_barrier(3, endless_action, (void *)flag, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *p[2];
    start_waiting(expect_broken, &pt, p, 2);
    mp_process_t *last = go(wait_for_ever, &pt);
    ck_assert(wait_flag(flag, 1, 5));
    kill_now(last);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_int_eq(finish(last, 5), -SIGKILL);
    mp_barrier_free(b);
}
END_TEST

static int pass_until_stopped(void *arg)
{
    struct party *pt = arg;
    while (!__atomic_load_n(pt->c, __ATOMIC_ACQUIRE)) {
        int rc = mp_barrier_wait(pt->b, MP_FOREVER, NULL);
        if (rc == 0)
            continue;
        if (rc != MP_EBROKEN)
            return 1;
        while (mp_barrier_broken(pt->b) && !__atomic_load_n(pt->c, __ATOMIC_ACQUIRE))
            sleep_s(0.001);
    }
    return 0;
}

/* Three parties pass the barrier in a loop; one child at a time is killed at an arbitrary
 * moment (waiting, leaving, holding the barrier's internal lock). Each time the parent's wait
 * returns within its timeout plus the detection delay, the barrier is reset, a new child takes
 * the dead one's place, and passing resumes. */
START_TEST(LIBMP_69_parties_killed_at_random_moments)
{
    mp_barrier_t *b = new_barrier(3, NULL, NULL, MP_FOREVER);
    struct party pt = new_party(b);
    mp_process_t *kids[2] = {go(pass_until_stopped, &pt), go(pass_until_stopped, &pt)};
    for (int round = 0; round < 12; round++) {
        for (int i = 0; i < 20; i++) /* pass a while, all three alive */
            ck_assert_mp(mp_barrier_wait(b, 5, NULL), 0);
        mp_process_t *victim = kids[round % 2];
        sleep_s(0.0003 * (round % 5));
        kill_now(victim);
        int rc;
        double t0 = now_s();
        while ((rc = mp_barrier_wait(b, 0.3, NULL)) == 0)
            ck_assert_msg(now_s() - t0 < 2, "still passing with a dead party");
        ck_assert_mp(rc, MP_EBROKEN);
        ck_assert_msg(now_s() - t0 < 1.5, "broken after %.3f s", now_s() - t0);
        ck_assert_int_eq(finish(victim, 5), -SIGKILL);
        ck_assert_mp(mp_barrier_reset(b), 0);
        kids[round % 2] = go(pass_until_stopped, &pt);
    }
    __atomic_store_n(pt.c, 1, __ATOMIC_RELEASE);
    mp_barrier_abort(b);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(kids[i], 5), 0);
    mp_barrier_free(b);
}
END_TEST

/* A barrier of 1000 parties has its own region of shared memory (beyond 4 KiB): its state works
 * like any other's. */
START_TEST(LIBMP_70_large_barrier)
{
    mp_barrier_t *b = new_barrier(1000, NULL, NULL, 0.05);
    struct party pt = new_party(b);
    mp_process_t *p = go(wait_for_ever, &pt);
    ck_assert(wait_flag(pt.a, 1, 5));
    ck_assert_uint_eq(mp_barrier_parties(b), 1000);
    ck_assert_mp(mp_barrier_wait(b, MP_BARRIER_DEFAULT, NULL), MP_EBROKEN); /* its timeout */
    ck_assert_int_eq(finish(p, 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_mp(mp_barrier_reset(b), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_barrier_free(b);
}
END_TEST

Suite *mp_suite_barrier(void)
{
    Suite *s = suite_create("Barrier");
    TCase *tc = mp_tcase("catalogue", 30);
    tcase_add_test(tc, BAR_01_lockstep_passes);
    tcase_add_test(tc, BAR_02_indices_are_a_permutation);
    tcase_add_test(tc, BAR_03_action_runs_once_in_the_last_party);
    tcase_add_test(tc, BAR_05_reset_breaks_the_waiters);
    tcase_add_test(tc, BAR_06_abort_then_reset);
    tcase_add_test(tc, BAR_07_timeout_breaks_it_for_everyone);
    tcase_add_test(tc, BAR_08_default_timeout);
    tcase_add_test(tc, BAR_10_failing_action);
    tcase_add_test(tc, BAR_11_n_waiting_and_parties);
    tcase_add_test(tc, BAR_12_thousand_passes_in_order);
    tcase_add_test(tc, BAR_13_zero_parties_refused);
    tcase_add_test(tc, LIBMP_66_one_party);
    tcase_add_test(tc, LIBMP_70_large_barrier);
    suite_add_tcase(s, tc);
    tc = mp_tcase("dead parties", 30);
    tcase_add_test(tc, LIBMP_67_dead_party_breaks_it);
    tcase_add_test(tc, LIBMP_68_dead_in_the_action);
    tcase_add_test(tc, LIBMP_69_parties_killed_at_random_moments);
    suite_add_tcase(s, tc);
    return s;
}
