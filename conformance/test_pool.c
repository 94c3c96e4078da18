/* Suite "Pool" (CPython's _TestPool, _TestPoolWorkerErrors, _TestPoolWorkerLifetime): the
 * catalogue's POOL ids (docs/pages/spec.md, §17.11). Each test's name starts with its id
 * (POOL-02 is POOL_02_...). The pools' workers run under the suites' start method. The ids libmp
 * added to the catalogue (POOL-20 to 22) and libmp's own cases (LIBMP_POOL_xx) are in
 * test_pool_workers.c (a worker that dies, maxtasksperchild, a pool freed while it runs) and
 * test_pool_extensions.c (order, initializer, callbacks...). */
#include "pool_helpers.h"

/* ---- tasks (sqr, slow_sqr and sleep_for are declared in pool_helpers.h) ------------------- */

mp_obj_t *sqr(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "sqr() takes one int");
    return mp_int(x * x);
}
MP_TASK(sqr);

mp_obj_t *slow_sqr(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    double s;
    if (mp_parse(args, "(Ld)", &x, &s) != 0)
        return mp_task_raise("TypeError", "slow_sqr() takes an int and a float");
    sleep_s(s);
    return mp_int(x * x);
}
MP_TASK(slow_sqr);

mp_obj_t *sleep_for(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    double s;
    if (mp_parse(args, "(d)", &s) != 0)
        return mp_task_raise("TypeError", "sleep_for() takes a float");
    sleep_s(s);
    return mp_none();
}
MP_TASK(sleep_for);

/* mul(a, b) -> a*b: starmap's function. */
static mp_obj_t *mul(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long a, b;
    if (mp_parse(args, "(LL)", &a, &b) != 0)
        return mp_task_raise("TypeError", "mul() takes two ints");
    return mp_int(a * b);
}
MP_TASK(mul);

/* raise KeyError(key) */
static mp_obj_t *raise_key(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    const char *key = "?";
    mp_parse(args, "(s)", &key);
    return mp_task_raise("KeyError", "%s", key);
}
MP_TASK(raise_key);

/* (name, daemon, pid) of the worker running it. */
static mp_obj_t *whoami(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    mp_process_t *me = mp_current_process();
    return mp_build("(sii)", mp_process_name(me), mp_process_daemon(me), (int)getpid());
}
MP_TASK(whoami);

/* A Lock made in the worker, as a value: a handle that pickle refuses ("Lock objects should
 * only be shared between processes through inheritance", reduction.h), CPython's unpicklable
 * result. The lock outlives the value: one per worker, kept. */
static mp_obj_t *unpicklable_result(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    static mp_lock_t *kept;
    if (!kept && mp_lock_new(&kept) != 0)
        return mp_task_raise("OSError", "mp_lock_new: %s", mp_errmsg());
    return mp_lock_obj(kept);
}
MP_TASK(unpicklable_result);

/* An initializer never registered with MP_TASK. */
static mp_obj_t *not_a_task(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_none();
}

/* ---- callbacks: they run in the pool's thread of this process ------------------------------ */

static struct {
    int calls, err;
    char exc_type[64], message[256];
} errback;

static void on_error(int err, mp_async_result_t *r, void *ctx)
{
    (void)ctx;
    mp_task_error_t e;
    if (mp_async_result_error(r, &e) == 0) {
        snprintf(errback.exc_type, sizeof errback.exc_type, "%s", e.exc_type ? e.exc_type : "");
        snprintf(errback.message, sizeof errback.message, "%s", e.message ? e.message : "");
    }
    errback.err = err;
    __atomic_add_fetch(&errback.calls, 1, __ATOMIC_RELEASE);
}

static int success_calls;

/* The counters are read with sync_helpers.h's wait_flag(): a callback may run just after get()
 * returns. */

static void on_success(mp_obj_t *result, void *ctx)
{
    (void)result, (void)ctx;
    __atomic_add_fetch(&success_calls, 1, __ATOMIC_RELEASE);
}

/* ---- the catalogue -------------------------------------------------------------------------- */

/* Pool(0), Pool(-1), maxtasksperchild 0 and -1 -> ValueError (C: MP_EINVAL); a non-callable
 * initializer -> TypeError (C: an initializer that is not a registered task, MP_EINVAL).
 * CPython's maxtasksperchild 0.5 and "12" have no C form: the option is an int. No worker is
 * left behind by a refusal. */
START_TEST(POOL_01_invalid_arguments)
{
    mp_pool_t *p = NULL;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    int bad[] = {0, -1};
    for (int i = 0; i < 2; i++) {
        o = (mp_pool_opts_t)MP_POOL_OPTS_INIT;
        o.processes = bad[i];
        ck_assert_mp(mp_pool_new(&p, &o), MP_EINVAL);
        ck_assert_ptr_nonnull(strstr(mp_errmsg(), "Number of processes must be at least 1"));
        o = (mp_pool_opts_t)MP_POOL_OPTS_INIT;
        o.processes = 1;
        o.maxtasksperchild = bad[i];
        ck_assert_mp(mp_pool_new(&p, &o), MP_EINVAL);
    }
    o = (mp_pool_opts_t)MP_POOL_OPTS_INIT;
    o.processes = 1;
    o.initializer = not_a_task;
    ck_assert_mp(mp_pool_new(&p, &o), MP_EINVAL);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "MP_TASK"));
    o.initializer = sqr;
    o.initargs = mp_build("[i]", 1); /* not a tuple */
    ck_assert_mp(mp_pool_new(&p, &o), MP_EINVAL);
    mp_obj_decref(o.initargs);
    ck_assert_int_eq(mp_active_children(NULL, 0), 0);
    /* The defaults: the cpu count of workers. */
    ck_assert_mp(mp_pool_new(&p, NULL), 0);
    ck_assert_int_eq(mp_pool_processes(p), mp_cpu_count());
    ck_assert_int_eq(mp_pool_worker_pids(p, NULL, 0), mp_cpu_count());
    mp_pool_free(p);
}
END_TEST

/* map(sqr, range(10)) is the serial result, with chunksize 20 on 100 items too; apply(sqr, (5,))
 * is 25; starmap(mul, zip(range(10), range(10))), and their _async forms. */
START_TEST(POOL_02_map_apply_starmap)
{
    mp_pool_t *p = pool_open(4, MP_POOL_DEFAULT);
    mp_obj_t *l = range_list(10), *v = NULL;
    ck_assert_mp(mp_pool_map(p, sqr, l, 0, &v), 0);
    ck_squares(v, 10);
    mp_obj_decref(l);
    l = range_list(100);
    ck_assert_mp(mp_pool_map(p, sqr, l, 20, &v), 0);
    ck_squares(v, 100);
    mp_async_result_t *r = NULL;
    ck_assert_mp(mp_pool_map_async(p, sqr, l, 20, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_squares(v, 100);
    mp_async_result_free(r);
    mp_obj_decref(l);
    ck_assert_int_eq(apply_int(p, sqr, mp_build("(i)", 5)), 25);
    ck_assert_mp(async_taking(p, sqr, mp_build("(i)", 6), NULL, &r), 0);
    ck_assert_int_eq(get_int(r, 10), 36);
    mp_obj_t *pairs = mp_build("[(ii)(ii)(ii)(ii)(ii)(ii)(ii)(ii)(ii)(ii)]", 0, 0, 1, 1, 2, 2, 3, 3,
                               4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9);
    ck_assert_mp(mp_pool_starmap(p, mul, pairs, 0, &v), 0);
    ck_squares(v, 10);
    ck_assert_mp(mp_pool_starmap_async(p, mul, pairs, 20, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_squares(v, 10);
    mp_async_result_free(r);
    mp_obj_decref(pairs);
    mp_pool_free(p);
}
END_TEST

/* apply_async(slow).get(timeout=0.2) -> TimeoutError after ~0.2 s (C: MP_ETIMEDOUT); a later
 * get() gives the value. */
START_TEST(POOL_03_async_get_timeout)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_async_result_t *r = NULL;
    mp_obj_t *v = NULL;
    double took;
    ck_assert_mp(async_taking(p, slow_sqr, mp_build("(id)", 7, 1.0), NULL, &r), 0);
    ck_assert_mp(TIMED(took, mp_async_result_get(r, 0.2, &v)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.2);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(mp_async_result_ready(r), 0);
    ck_assert_mp(TIMED(took, mp_async_result_wait(r, 0.1)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.1);
    ck_assert_int_eq(get_int(r, MP_FOREVER), 49);
    mp_pool_free(p);
}
END_TEST

/* A task raises KeyError -> get() fails with it (C: MP_ETASK, and mp_async_result_error() gives
 * the exception's type and message); error_callback got it; successful() is false. Before the
 * result is ready, successful() is ValueError (C: MP_EINVAL). */
START_TEST(POOL_04_task_raises)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_async_result_t *r = NULL;
    mp_obj_t *v = NULL;
    mp_pool_callbacks_t cb = {on_success, on_error, NULL};
    ck_assert_mp(async_taking(p, raise_key, mp_build("(s)", "the key"), &cb, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), MP_ETASK);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(mp_async_result_ready(r), 1);
    mp_task_error_t e;
    ck_assert_mp(mp_async_result_error(r, &e), 0);
    ck_assert_int_eq(e.code, MP_ETASK);
    ck_assert_str_eq(e.exc_type, "KeyError");
    ck_assert_ptr_nonnull(strstr(e.message, "the key"));
    ck_assert_int_eq(e.worker_exitcode, 0);
    int ok = -1;
    ck_assert_mp(mp_async_result_successful(r, &ok), 0);
    ck_assert_int_eq(ok, 0);
    ck_assert(wait_flag(&errback.calls, 1, 1));
    ck_assert_int_eq(errback.err, MP_ETASK);
    ck_assert_str_eq(errback.exc_type, "KeyError");
    ck_assert_ptr_nonnull(strstr(errback.message, "the key"));
    mp_async_result_free(r);
    /* apply() fails the same way. */
    ck_assert_mp(apply_taking(p, raise_key, mp_build("(s)", "k2"), &v), MP_ETASK);
    /* successful() before ready: MP_EINVAL; after a success: ok and no error to read. */
    ck_assert_mp(async_taking(p, slow_sqr, mp_build("(id)", 3, 0.5), &cb, &r), 0);
    ck_assert_mp(mp_async_result_successful(r, &ok), MP_EINVAL);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "not ready"));
    ck_assert_mp(mp_async_result_error(r, &e), MP_EINVAL);
    ck_assert_mp(mp_async_result_wait(r, 10), 0);
    ck_assert_int_eq(mp_async_result_ready(r), 1);
    ck_assert_mp(mp_async_result_successful(r, &ok), 0);
    ck_assert_int_eq(ok, 1);
    ck_assert_mp(mp_async_result_error(r, &e), MP_EINVAL);
    ck_assert(wait_flag(&success_calls, 1, 1));
    ck_assert_int_eq(get_int(r, 0), 9);
    ck_assert_int_eq(__atomic_load_n(&errback.calls, __ATOMIC_ACQUIRE), 1);
    mp_pool_free(p);
}
END_TEST

/* join() while running -> ValueError 'Pool is still running' (C: MP_EBUSY); apply after close()
 * -> ValueError 'Pool not running' (C: MP_ECLOSED). */
START_TEST(POOL_06_join_running_apply_closed)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_async_result_t *r = NULL;
    mp_obj_t *v = NULL;
    double took;
    ck_assert_mp(mp_pool_join(p), MP_EBUSY);
    ck_assert_str_eq(mp_errmsg(), "Pool is still running");
    ck_assert_mp(mp_pool_close(p), 0);
    ck_assert_mp(apply_taking(p, sqr, mp_build("(i)", 2), &v), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "Pool not running");
    ck_assert_ptr_null(v);
    mp_obj_t *args = mp_build("(i)", 2);
    ck_assert_mp(mp_pool_apply_async(p, sqr, args, NULL, NULL, &r), MP_ECLOSED);
    mp_obj_decref(args);
    ck_assert_mp(TIMED(took, mp_pool_join(p)), 0);
    ck_assert_msg(took < 5 * time_scale(), "join after close took %.3f s", took);
    ck_assert_int_eq(mp_pool_worker_pids(p, NULL, 0), 0);
    mp_pool_free(p);
}
END_TEST

/* `with Pool(2) as p:` -> map_async(...).get() works inside; after the block (terminate)
 * map_async -> ValueError (C: MP_ECLOSED); entering again -> ValueError. */
START_TEST(POOL_07_with_block_terminates)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_async_result_t *r = NULL;
    mp_obj_t *v = NULL, *l = range_list(10);
    ck_assert_mp(mp_pool_enter(p), 0);
    ck_assert_mp(mp_pool_map_async(p, sqr, l, 0, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_squares(v, 10);
    mp_async_result_free(r);
    ck_assert_mp(mp_pool_exit(p), 0);
    r = NULL;
    ck_assert_mp(mp_pool_map_async(p, sqr, l, 0, NULL, &r), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "Pool not running");
    ck_assert_mp(mp_pool_enter(p), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "Pool not running");
    ck_assert_mp(mp_pool_join(p), 0);
    mp_obj_decref(l);
    mp_pool_free(p);
}
END_TEST

/* An empty iterable -> map [], imap [] (StopIteration at once: C MP_ESTOP), imap_unordered [],
 * map_async().get() []. */
START_TEST(POOL_08_empty_iterable)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_obj_t *empty = mp_list_new(0, NULL), *v = NULL;
    mp_async_result_t *r = NULL;
    mp_imap_t *it = NULL;
    double took;
    ck_assert_mp(mp_pool_map(p, sqr, empty, 0, &v), 0);
    ck_squares(v, 0);
    ck_assert_mp(mp_pool_starmap(p, mul, empty, 0, &v), 0);
    ck_squares(v, 0);
    ck_assert_mp(mp_pool_map_async(p, sqr, empty, 0, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_squares(v, 0);
    mp_async_result_free(r);
    for (int unordered = 0; unordered < 2; unordered++) {
        ck_assert_mp(imap_start(p, unordered, sqr, empty, 0, &it), 0);
        v = NULL;
        ck_assert_mp(TIMED(took, mp_imap_next(it, MP_FOREVER, &v)), MP_ESTOP);
        ck_assert_immediate(took);
        ck_assert_ptr_null(v);
        ck_assert_mp(mp_imap_next(it, MP_FOREVER, &v), MP_ESTOP);
        mp_imap_free(it);
    }
    mp_obj_t *none = mp_build("()");
    ck_assert_mp(mp_pool_map(p, sqr, none, 0, &v), 0); /* a tuple is an iterable too */
    ck_squares(v, 0);
    mp_obj_decref(none);
    mp_obj_decref(empty);
    mp_pool_free(p);
}
END_TEST

/* The workers are daemonic, named `<Ctx>PoolWorker-N` (ForkPoolWorker-1 under fork), and are
 * the pool's workers. */
START_TEST(POOL_09_workers_are_daemonic_pool_workers)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    pid_t pids[2];
    worker_pids(p, pids, 2, 2);
    const char *m = start_method();
    const char *prefix = strcmp(m, "fork") == 0    ? "ForkPoolWorker-"
                         : strcmp(m, "spawn") == 0 ? "SpawnPoolWorker-"
                                                   : "ForkServerPoolWorker-";
    for (int i = 0; i < 4; i++) {
        mp_obj_t *v = NULL;
        const char *name = NULL;
        int daemon = -1, pid = 0;
        ck_assert_mp(mp_pool_apply(p, whoami, NULL, NULL, &v), 0);
        ck_assert_mp(mp_parse(v, "(sii)", &name, &daemon, &pid), 0);
        ck_assert_msg(strstr(name, "PoolWorker") != NULL, "worker name %s", name);
        ck_assert_msg(strncmp(name, prefix, strlen(prefix)) == 0, "worker name %s under %s", name,
                      m);
        ck_assert_int_eq(daemon, 1);
        ck_assert_int_ne(pid, getpid());
        ck_assert(pid_in(pid, pids, 2));
        mp_obj_decref(v);
    }
    mp_pool_free(p);
}
END_TEST

/* terminate() with 10,000 outstanding long tasks returns promptly; after join() no worker is
 * left (their /proc/PID/stat absent or a zombie); the unfinished result fails with MP_ECLOSED
 * instead of waiting for ever (libmp). */
START_TEST(POOL_11_terminate_with_outstanding_tasks)
{
    pid_t pids[4];
    mp_async_result_t *r = NULL;
    mp_pool_t *p = pool_busy(4, 10000, pids, &r);
    double t0 = now_s();
    ck_assert_mp(mp_pool_terminate(p), 0);
    ck_assert_mp(mp_pool_join(p), 0);
    double took = now_s() - t0;
    ck_assert_msg(took < 2 * time_scale(), "terminate and join took %.3f s", took);
    ck_all_gone(pids, 4);
    ck_closed_result(r);
    mp_pool_free(p);
}
END_TEST

/* A result that cannot be pickled -> MaybeEncodingError from get() (C: MP_EENCODE, the error's
 * exc_type "MaybeEncodingError", its message the reason), 20 times; the pool stays usable. */
START_TEST(POOL_12_unpicklable_result)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_pool_callbacks_t cb = {on_success, on_error, NULL};
    for (int i = 0; i < 20; i++) {
        mp_async_result_t *r = NULL;
        mp_task_error_t e;
        ck_assert_mp(mp_pool_apply_async(p, unpicklable_result, NULL, NULL, &cb, &r), 0);
        ck_assert_mp(mp_async_result_get(r, 10, NULL), MP_EENCODE);
        ck_assert_mp(mp_async_result_error(r, &e), 0);
        ck_assert_int_eq(e.code, MP_EENCODE);
        ck_assert_str_eq(e.exc_type, "MaybeEncodingError");
        ck_assert_msg(strstr(e.message, "should only be shared between processes") != NULL,
                      "message: %s", e.message);
        mp_async_result_free(r);
    }
    ck_assert(wait_flag(&errback.calls, 20, 2));
    ck_assert_int_eq(errback.err, MP_EENCODE);
    ck_assert_int_eq(__atomic_load_n(&success_calls, __ATOMIC_ACQUIRE), 0);
    ck_assert_int_eq(apply_int(p, sqr, mp_build("(i)", 12)), 144);
    ck_assert_mp(mp_pool_close(p), 0);
    ck_assert_mp(mp_pool_join(p), 0);
    mp_pool_free(p);
}
END_TEST

TCase *mp_tcase_pool_workers(void);
TCase *mp_tcase_pool_transport(void);
TCase *mp_tcase_pool_extensions(void);

Suite *mp_suite_pool(void)
{
    Suite *s = suite_create("Pool");
    TCase *tc = mp_tcase("catalogue", 60);
    tcase_add_test(tc, POOL_01_invalid_arguments);
    tcase_add_test(tc, POOL_02_map_apply_starmap);
    tcase_add_test(tc, POOL_03_async_get_timeout);
    tcase_add_test(tc, POOL_04_task_raises);
    tcase_add_test(tc, POOL_06_join_running_apply_closed);
    tcase_add_test(tc, POOL_07_with_block_terminates);
    tcase_add_test(tc, POOL_08_empty_iterable);
    tcase_add_test(tc, POOL_09_workers_are_daemonic_pool_workers);
    tcase_add_test(tc, POOL_11_terminate_with_outstanding_tasks);
    tcase_add_test(tc, POOL_12_unpicklable_result);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_pool_workers());
    suite_add_tcase(s, mp_tcase_pool_extensions());
    suite_add_tcase(s, mp_tcase_pool_transport());
    return s;
}
