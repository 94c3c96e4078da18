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

/* Starts `n` children running the JOB fn with `args` (whose reference this takes), runs fn here
 * too (the parent is a party), then returns the parent's result; children must all end with 0. */
#define run_parties(fn, args, n) run_parties_(fn##__job, fn, (args), (n))
static int run_parties_(mp_target_t target, int (*fn)(mp_obj_t *), mp_obj_t *args, int n)
{
    mp_process_t *p[16];
    for (int i = 0; i < n; i++)
        p[i] = go_args(target, mp_obj_incref(args), 0);
    int mine = fn(args);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(finish(p[i], 20), 0);
    mp_obj_decref(args);
    return mine;
}

/* Starts `n` children running the JOB fn with `args` (whose reference this takes) and returns
 * once all of them wait in the barrier b. */
#define start_waiting(fn, args, b, p, n) start_waiting_(fn##__job, (args), (b), (p), (n))
static void start_waiting_(mp_target_t target, mp_obj_t *args, mp_barrier_t *b, mp_process_t **p,
                           int n)
{
    for (int i = 0; i < n; i++)
        p[i] = go_args(target, mp_obj_incref(args), 0);
    mp_obj_decref(args);
    double deadline = now_s() + 5;
    while (mp_barrier_n_waiting(b) < (unsigned)n && now_s() < deadline)
        sleep_s(0.001);
    ck_assert_uint_eq(mp_barrier_n_waiting(b), (unsigned)n);
}

/* The arguments of a party that needs only the barrier: (barrier). */
static mp_obj_t *barrier_args(mp_barrier_t *b)
{
    return mp_build("(N)", mp_barrier_obj(b));
}

/* _TestBarrier.test_barrier: nobody gets ahead. Before each wait every party has counted
 * itself in `a` (then `c`), and after it everyone has. args: (barrier, a, c, passes), the
 * counters being Semaphores. */
static int lockstep(mp_obj_t *args)
{
    mp_barrier_t *b = arg_barrier(args, 0);
    mp_sem_t *a = arg_sem(args, 1), *c = arg_sem(args, 2);
    long passes = arg_long(args, 3);
    for (int i = 0; i < passes; i++) {
        flag_raise(a);
        if (mp_sem_get_value(c) != i * N)
            return 1;
        if (mp_barrier_wait(b, MP_BARRIER_DEFAULT, NULL) != 0)
            return 2;
        flag_raise(c);
        if (mp_sem_get_value(a) != (i + 1) * N)
            return 3;
        if (mp_barrier_wait(b, MP_BARRIER_DEFAULT, NULL) != 0)
            return 4;
    }
    return 0;
}
JOB(lockstep);

START_TEST(BAR_01_lockstep_passes)
{
    static const int passes[] = {1, 10};
    for (int k = 0; k < 2; k++) {
        mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
        mp_sem_t *a = flag_new(), *c = flag_new();
        mp_obj_t *args =
            mp_build("(NNNi)", mp_barrier_obj(b), mp_sem_obj(a), mp_sem_obj(c), passes[k]);
        ck_assert_int_eq(run_parties(lockstep, args, N - 1), 0);
        ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
        ck_assert_int_eq(mp_barrier_broken(b), 0);
        mp_sem_free(a);
        mp_sem_free(c);
        mp_barrier_free(b);
    }
}
END_TEST

/* One counter per arrival index, each a Semaphore, for record_index(). */
struct seen {
    mp_sem_t *at[N];
};

static struct seen seen_new(void)
{
    struct seen s;
    for (int i = 0; i < N; i++)
        s.at[i] = flag_new();
    return s;
}

static void seen_free(struct seen *s)
{
    for (int i = 0; i < N; i++)
        mp_sem_free(s->at[i]);
}

/* args: (barrier, seen 0, ..., seen N-1): counts the party's index in its own counter. */
static mp_obj_t *seen_args(mp_barrier_t *b, const struct seen *s)
{
    return mp_build("(NNNNNN)", mp_barrier_obj(b), mp_sem_obj(s->at[0]), mp_sem_obj(s->at[1]),
                    mp_sem_obj(s->at[2]), mp_sem_obj(s->at[3]), mp_sem_obj(s->at[4]));
}

static int record_index(mp_obj_t *a)
{
    unsigned idx = 99;
    if (mp_barrier_wait(arg_barrier(a, 0), 10, &idx) != 0 || idx >= N)
        return 1;
    return flag_raise(arg_sem(a, 1 + idx)) == 0 ? 0 : 2;
}
JOB(record_index);

START_TEST(BAR_02_indices_are_a_permutation)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    struct seen seen = seen_new();
    ck_assert_int_eq(run_parties(record_index, seen_args(b, &seen), N - 1), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(mp_sem_get_value(seen.at[i]), 1);
    seen_free(&seen);
    mp_barrier_free(b);
}
END_TEST

/* How many times the action ran in this process: each process has its own copy, so together
 * with the count of all runs (a Semaphore) it tells in which party the action ran. */
static int action_ran_here;

static int count_action(void *runs)
{
    sleep_s(0.05); /* nobody may leave while it runs */
    action_ran_here++;
    return flag_raise(runs);
}

/* args: (barrier, runs); returns 10 + its index. */
static int arrive_and_check(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    mp_sem_t *runs = arg_sem(a, 1);
    unsigned idx;
    int before = mp_sem_get_value(runs), here = action_ran_here;
    if (mp_barrier_wait(b, 10, &idx) != 0)
        return 1;
    if (mp_sem_get_value(runs) != before + 1)
        return 2; /* the action ran exactly once, before this party left */
    if ((idx == mp_barrier_parties(b) - 1) != (action_ran_here == here + 1))
        return 3; /* ...in the party that got the last index */
    return 10 + (int)idx;
}
JOB(arrive_and_check);

/* Needs fork: the children wait on a barrier that has an action (only the parent runs it, as it
 * arrives last), and a Barrier with an action cannot be handed to a spawn or forkserver child
 * (reduction.h: start() fails with MP_EENCODE); libmp has no way to give them a handle of the
 * same barrier without the action. */
START_TEST(BAR_03_action_runs_once_in_the_last_party)
{
    FORK_ONLY();
    mp_sem_t *runs = flag_new();
    mp_barrier_t *b = new_barrier(3, count_action, runs, MP_FOREVER);
    mp_obj_t *args = mp_build("(NN)", mp_barrier_obj(b), mp_sem_obj(runs));
    int here = action_ran_here;
    /* Arrivals one at a time: indices follow arrival order; the parent comes last. */
    mp_process_t *first = GO(arrive_and_check, mp_obj_incref(args));
    while (mp_barrier_n_waiting(b) < 1)
        sleep_s(0.001);
    mp_process_t *second = GO(arrive_and_check, mp_obj_incref(args));
    while (mp_barrier_n_waiting(b) < 2)
        sleep_s(0.001);
    ck_assert_int_eq(arrive_and_check(args), 10 + 2);
    ck_assert_int_eq(action_ran_here, here + 1); /* the action ran in this process */
    ck_assert_int_eq(finish(first, 5), 10);
    ck_assert_int_eq(finish(second, 5), 11);
    ck_assert_int_eq(mp_sem_get_value(runs), 1);
    mp_obj_decref(args);
    mp_barrier_free(b);
    mp_sem_free(runs);
}
END_TEST

/* args: (barrier, broken): raises `broken` when reset() breaks its wait. */
static int expect_broken_then_pass(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    if (mp_barrier_wait(b, 10, NULL) != MP_EBROKEN)
        return 1;
    flag_raise(arg_sem(a, 1));
    /* then everyone passes again, once the parent has joined in */
    return mp_barrier_wait(b, 10, NULL) == 0 ? 0 : 2;
}
JOB(expect_broken_then_pass);

START_TEST(BAR_05_reset_breaks_the_waiters)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    mp_sem_t *broken = flag_new();
    mp_process_t *p[N - 1];
    start_waiting(expect_broken_then_pass, mp_build("(NN)", mp_barrier_obj(b), mp_sem_obj(broken)),
                  b, p, N - 1);
    ck_assert_mp(mp_barrier_reset(b), 0);
    ck_assert(flag_wait(broken, N - 1, 5));
    ck_assert_mp(mp_barrier_wait(b, 10, NULL), 0);
    for (int i = 0; i < N - 1; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_sem_free(broken);
    mp_barrier_free(b);
}
END_TEST

/* _TestBarrier.test_abort_and_reset: one party aborts; all meet on a second barrier; one
 * resets the first; then all pass the first again. */
/* args: (b, b2). */
static int abort_then_reset(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0), *b2 = arg_barrier(a, 1);
    unsigned idx;
    int rc = mp_barrier_wait(b2, 10, &idx); /* everyone is here */
    if (rc != 0)
        return 1;
    if (idx == N - 1)
        mp_barrier_abort(b);
    if (mp_barrier_wait(b, 10, NULL) != MP_EBROKEN)
        return 2;
    if (mp_barrier_wait(b2, 10, &idx) != 0)
        return 3;
    if (idx == N - 1)
        mp_barrier_reset(b);
    if (mp_barrier_wait(b2, 10, NULL) != 0)
        return 4;
    return mp_barrier_wait(b, 10, NULL) == 0 ? 0 : 5;
}
JOB(abort_then_reset);

START_TEST(BAR_06_abort_then_reset)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    mp_barrier_t *b2 = new_barrier(N, NULL, NULL, MP_FOREVER);
    mp_obj_t *args = mp_build("(NN)", mp_barrier_obj(b), mp_barrier_obj(b2));
    ck_assert_int_eq(run_parties(abort_then_reset, args, N - 1), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_barrier_free(b2);
    mp_barrier_free(b);
}
END_TEST

/* args: (barrier). */
static int wait_half_a_second(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    double t0 = now_s();
    int rc = mp_barrier_wait(b, 0.5, NULL);
    double took = now_s() - t0;
    if (rc != MP_EBROKEN)
        return 1;
    return took < 0.5 + TOL_LATE ? 0 : 2;
}
JOB(wait_half_a_second);

/* One party a second late; the others wait(0.5): all of them, the late one too, are broken. */
START_TEST(BAR_07_timeout_breaks_it_for_everyone)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    mp_process_t *p[N - 1];
    double t0 = now_s();
    for (int i = 0; i < N - 1; i++)
        p[i] = GO(wait_half_a_second, barrier_args(b));
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

/* args: (barrier). */
static int default_timeout(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    unsigned idx;
    if (mp_barrier_wait(b, 20, &idx) != 0)
        return 1;
    if (idx == N / 2)
        sleep_s(1.0);
    return mp_barrier_wait(b, MP_BARRIER_DEFAULT, NULL) == MP_EBROKEN ? 0 : 2;
}
JOB(default_timeout);

START_TEST(BAR_08_default_timeout)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, 0.5);
    ck_assert_int_eq(run_parties(default_timeout, barrier_args(b), N - 1), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    mp_barrier_free(b);
}
END_TEST

static int failing_action(void *arg)
{
    (void)arg;
    return MP_EINVAL; /* the action's own error, as a KeyError raised by a Python action */
}

/* args: (barrier). */
static int expect_broken(mp_obj_t *a)
{
    return mp_barrier_wait(arg_barrier(a, 0), 10, NULL) == MP_EBROKEN ? 0 : 1;
}
JOB(expect_broken);

/* Needs fork: the children wait on a barrier with an action (the parent arrives last and runs
 * it), which cannot be handed to a spawn or forkserver child (reduction.h: MP_EENCODE). */
START_TEST(BAR_10_failing_action)
{
    FORK_ONLY();
    mp_barrier_t *b = new_barrier(3, failing_action, NULL, MP_FOREVER);
    mp_process_t *p[2];
    start_waiting(expect_broken, barrier_args(b), b, p, 2);
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
    struct seen seen = seen_new();
    ck_assert_int_eq(mp_barrier_parties(b), 3);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
    mp_process_t *p[2];
    start_waiting(record_index, seen_args(b, &seen), b, p, 2);
    sleep_s(0.05);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 2);
    ck_assert_mp(mp_barrier_wait(b, 10, NULL), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_n_waiting(b), 0);
    seen_free(&seen);
    mp_barrier_free(b);
}
END_TEST

/* args: (barrier, lock, connection, passes): after each pass, sends the pass's number. */
static int thousand(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    mp_lock_t *lock = arg_lock(a, 1);
    mp_conn_t *out = arg_conn(a, 2);
    long passes = arg_long(a, 3);
    for (int i = 0; i < passes; i++) {
        if (mp_barrier_wait(b, 20, NULL) != 0)
            return 1;
        if (mp_lock_acquire(lock, 1, 10) != 0)
            return 2;
        int w = mp_conn_send_bytes(out, &i, sizeof i);
        mp_lock_release(lock);
        if (w != 0)
            return 3;
    }
    return 0;
}
JOB(thousand);

/* The next message of `in`, which must be one int. */
static int recv_int(mp_conn_t *in)
{
    void *buf = NULL;
    size_t len = 0;
    int got = -1;
    ck_assert_mp(mp_conn_recv_bytes(in, &buf, &len, MP_SIZE_NONE), 0);
    ck_assert_uint_eq(len, sizeof got);
    memcpy(&got, buf, sizeof got);
    free(buf);
    return got;
}

START_TEST(BAR_12_thousand_passes_in_order)
{
    mp_barrier_t *b = new_barrier(N, NULL, NULL, MP_FOREVER);
    mp_conn_t *in, *out;
    ck_assert_mp(mp_pipe(&in, &out, 0), 0);
    /* all N * 1000 messages wait in the pipe until the parties are done */
    fcntl(mp_conn_fileno(out), F_SETPIPE_SZ, 1 << 20);
    mp_lock_t *lock;
    ck_assert_mp(mp_lock_new(&lock), 0);
    const int passes = 1000;
    mp_obj_t *args =
        mp_build("(NNNi)", mp_barrier_obj(b), mp_lock_obj(lock), mp_conn_obj(out), passes);
    ck_assert_int_eq(run_parties(thousand, args, N - 1), 0);
    mp_conn_free(out);
    for (int i = 0; i < passes; i++)
        for (int j = 0; j < N; j++)
            ck_assert_int_eq(recv_int(in), i);
    mp_conn_free(in);
    mp_lock_free(lock);
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

/* args: (barrier, flag): raises the flag, then waits in the barrier without a timeout. */
static int wait_for_ever(mp_obj_t *a)
{
    flag_raise(arg_sem(a, 1));
    mp_barrier_wait(arg_barrier(a, 0), MP_FOREVER, NULL);
    return 0;
}
JOB(wait_for_ever);

static mp_process_t *go_wait_for_ever(mp_barrier_t *b, mp_sem_t *flag)
{
    return GO(wait_for_ever, mp_build("(NN)", mp_barrier_obj(b), mp_sem_obj(flag)));
}

/* A waiting party is SIGKILLed: the other waiter is broken out well within a second, and after
 * reset() the barrier works for a full set of parties again. */
START_TEST(LIBMP_67_dead_party_breaks_it)
{
    mp_barrier_t *b = new_barrier(3, NULL, NULL, MP_FOREVER);
    mp_sem_t *flag = flag_new();
    mp_process_t *victim = go_wait_for_ever(b, flag), *other = GO(expect_broken, barrier_args(b));
    while (mp_barrier_n_waiting(b) < 2)
        sleep_s(0.001);
    double t0 = now_s();
    kill_now(victim);
    ck_assert_int_eq(finish(other, 5), 0);
    ck_assert_msg(now_s() - t0 < 1.0, "broken after %.3f s", now_s() - t0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_mp(mp_barrier_wait(b, 1, NULL), MP_EBROKEN);
    ck_assert_mp(mp_barrier_reset(b), 0);
    struct seen seen = seen_new();
    ck_assert_int_eq(run_parties(record_index, seen_args(b, &seen), 2), 0);
    ck_assert_int_eq(finish(victim, 5), -SIGKILL);
    seen_free(&seen);
    mp_sem_free(flag);
    mp_barrier_free(b);
}
END_TEST

static int endless_action(void *flag)
{
    flag_raise(flag);
    while (mp_sem_get_value(flag) > 0) /* until killed */
        sleep_s(1);
    return 0;
}

/* The last party dies inside the action: the others are broken out instead of waiting on.
 * Needs fork: the action must run in a child (the last party), and a Barrier with an action
 * cannot be handed to a spawn or forkserver child (reduction.h: MP_EENCODE). */
START_TEST(LIBMP_68_dead_in_the_action)
{
    FORK_ONLY();
    mp_sem_t *flag = flag_new(), *waiting = flag_new();
    mp_barrier_t *b = new_barrier(3, endless_action, flag, MP_FOREVER);
    mp_process_t *p[2];
    start_waiting(expect_broken, barrier_args(b), b, p, 2);
    mp_process_t *last = go_wait_for_ever(b, waiting);
    ck_assert(flag_wait(flag, 1, 5));
    kill_now(last);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_int_eq(finish(last, 5), -SIGKILL);
    mp_barrier_free(b);
    mp_sem_free(waiting);
    mp_sem_free(flag);
}
END_TEST

/* args: (barrier, stop): passes until the parent raises `stop`. */
static int pass_until_stopped(mp_obj_t *a)
{
    mp_barrier_t *b = arg_barrier(a, 0);
    mp_sem_t *stop = arg_sem(a, 1);
    if (!stop)
        return 2;
    while (mp_sem_get_value(stop) == 0) {
        int rc = mp_barrier_wait(b, MP_FOREVER, NULL);
        if (rc == 0)
            continue;
        if (rc != MP_EBROKEN)
            return 1;
        while (mp_barrier_broken(b) && mp_sem_get_value(stop) == 0)
            sleep_s(0.001);
    }
    return 0;
}
JOB(pass_until_stopped);

static mp_process_t *go_pass_until_stopped(mp_barrier_t *b, mp_sem_t *stop)
{
    return GO(pass_until_stopped, mp_build("(NN)", mp_barrier_obj(b), mp_sem_obj(stop)));
}

/* Three parties pass the barrier in a loop; one child at a time is killed at an arbitrary
 * moment (waiting, leaving, holding the barrier's internal lock). Each time the parent's wait
 * returns within its timeout plus the detection delay, the barrier is reset, a new child takes
 * the dead one's place, and passing resumes. */
START_TEST(LIBMP_69_parties_killed_at_random_moments)
{
    mp_barrier_t *b = new_barrier(3, NULL, NULL, MP_FOREVER);
    mp_sem_t *stop = flag_new();
    mp_process_t *kids[2] = {go_pass_until_stopped(b, stop), go_pass_until_stopped(b, stop)};
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
        kids[round % 2] = go_pass_until_stopped(b, stop);
    }
    flag_raise(stop);
    mp_barrier_abort(b);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(finish(kids[i], 5), 0);
    mp_sem_free(stop);
    mp_barrier_free(b);
}
END_TEST

/* A barrier of 1000 parties has its own region of shared memory (beyond 4 KiB): its state works
 * like any other's. */
START_TEST(LIBMP_70_large_barrier)
{
    mp_barrier_t *b = new_barrier(1000, NULL, NULL, 0.05);
    mp_sem_t *waiting = flag_new();
    mp_process_t *p = go_wait_for_ever(b, waiting);
    ck_assert(flag_wait(waiting, 1, 5));
    ck_assert_uint_eq(mp_barrier_parties(b), 1000);
    ck_assert_mp(mp_barrier_wait(b, MP_BARRIER_DEFAULT, NULL), MP_EBROKEN); /* its timeout */
    ck_assert_int_eq(finish(p, 5), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 1);
    ck_assert_mp(mp_barrier_reset(b), 0);
    ck_assert_int_eq(mp_barrier_broken(b), 0);
    mp_sem_free(waiting);
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
