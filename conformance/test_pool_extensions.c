/* Suite "Pool", libmp's own cases on the calls: results keep their order (POOL-20, an id libmp
 * added to the catalogue), and LIBMP_POOL_xx: a failing item, imap's timeout, the initializer,
 * callbacks, kwargs, what is refused before anything is sent, NULLs, and calls larger than a
 * socket buffer. The lives of workers are in test_pool_workers.c. */
#include "pool_helpers.h"

/* ---- tasks ---------------------------------------------------------------------------------- */

/* The initializer's global, in each worker. */
static long init_global;

static mp_obj_t *set_global(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    if (mp_parse(args, "(l)", &init_global) != 0)
        return mp_task_raise("TypeError", "set_global() takes an int");
    return mp_none();
}
MP_TASK(set_global);

static mp_obj_t *read_global(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_int(init_global);
}
MP_TASK(read_global);

static mp_obj_t *failing_init(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_task_raise("ValueError", "the initializer refuses");
}
MP_TASK(failing_init);

/* (args, kwargs or None) as the task saw them. */
static mp_obj_t *echo_call(mp_obj_t *args, mp_obj_t *kwargs)
{
    return kwargs ? mp_build("(OO)", args, kwargs) : mp_build("(ON)", args, mp_none());
}
MP_TASK(echo_call);

/* (x) -> x*x after a sleep of a few ms that depends on x, so that results finish out of order;
 * raises ValueError for x == 13. */
static mp_obj_t *jittery_sqr(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "jittery_sqr() takes one int");
    if (x == 13)
        return mp_task_raise("ValueError", "unlucky %lld", x);
    sleep_s((double)((x * 7) % 5) / 1000.0);
    return mp_int(x * x);
}
MP_TASK(jittery_sqr);

/* (x) -> x*x after (12 - x) steps of 10 ms (none from 12 on): the later an item, the sooner it
 * ends. */
static mp_obj_t *sqr_late_first(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "sqr_late_first() takes one int");
    if (x < 12)
        sleep_s(0.01 * (double)(12 - x));
    return mp_int(x * x);
}
MP_TASK(sqr_late_first);

/* Never registered with MP_TASK. */
static mp_obj_t *unregistered(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_none();
}

/* Asserts that `it` gives the squares of 0..n-1 in that order, then MP_ESTOP; frees it. */
static void ck_imap_in_order(mp_imap_t *it, long n)
{
    mp_obj_t *v = NULL;
    for (long i = 0; i < n; i++) {
        ck_assert_mp(mp_imap_next(it, 10, &v), 0);
        ck_assert_int_eq(int_of(v), (int64_t)i * i);
        mp_obj_decref(v);
    }
    ck_assert_mp(mp_imap_next(it, 10, &v), MP_ESTOP);
    mp_imap_free(it);
}

/* Asserts that `it` gives each square of 0..n-1 exactly once, in any order, then MP_ESTOP;
 * frees it. Returns the item whose result came first. */
static long ck_imap_each_once(mp_imap_t *it, long n)
{
    char *got = calloc((size_t)n, 1);
    long first = -1;
    mp_obj_t *v = NULL;
    ck_assert_ptr_nonnull(got);
    for (long i = 0; i < n; i++) {
        ck_assert_mp(mp_imap_next(it, 10, &v), 0);
        int64_t x = int_of(v);
        mp_obj_decref(v);
        long root = 0;
        while (root < n && (int64_t)root * root < x)
            root++;
        ck_assert_msg(root < n && (int64_t)root * root == x && !got[root], "result %lld",
                      (long long)x);
        got[root] = 1;
        if (first < 0)
            first = root;
    }
    ck_assert_mp(mp_imap_next(it, 10, &v), MP_ESTOP);
    mp_imap_free(it);
    free(got);
    return first;
}

/* map and imap give results in input order, imap's next(timeout) one by one then MP_ESTOP, and
 * imap_unordered each result exactly once then MP_ESTOP: over 1000 quick items (chunksize 0, 1
 * and 7), and over items that end in reverse order (chunksize 1 and 7): sqr_late_first over
 * 0..11, where item 0 takes 0.12 s and item 11 0.01 s. With chunksize 7 the second chunk (items
 * 7 to 11, 0.15 s) ends long before the first (0.63 s) on another worker, and imap_unordered's
 * first result shows that it did: the order of map and imap was the pool's doing. */
START_TEST(POOL_20_result_order)
{
    enum { N = 1000, LATE = 12 };
    mp_pool_t *p = pool_open(4, MP_POOL_DEFAULT);
    mp_obj_t *l = range_list(N), *v = NULL;
    mp_imap_t *it = NULL;
    ck_assert_mp(mp_pool_map(p, sqr, l, 3, &v), 0);
    ck_squares(v, N);
    static const size_t chunks[] = {0, 1, 7};
    for (size_t c = 0; c < 3; c++) {
        ck_assert_mp(mp_pool_imap(p, sqr, l, chunks[c], &it), 0);
        ck_imap_in_order(it, N);
        ck_assert_mp(mp_pool_imap_unordered(p, sqr, l, chunks[c], &it), 0);
        ck_imap_each_once(it, N);
    }
    mp_obj_decref(l);
    l = range_list(LATE);
    for (size_t c = 1; c < 3; c++) {
        ck_assert_mp(mp_pool_map(p, sqr_late_first, l, chunks[c], &v), 0);
        ck_squares(v, LATE);
        ck_assert_mp(mp_pool_imap(p, sqr_late_first, l, chunks[c], &it), 0);
        ck_imap_in_order(it, LATE);
    }
    ck_assert_mp(mp_pool_imap_unordered(p, sqr_late_first, l, 7, &it), 0);
    long first = ck_imap_each_once(it, LATE);
    ck_assert_msg(first >= 7, "the first result to come was item %ld's, not one of 7..11", first);
    mp_obj_decref(l);
    mp_pool_free(p);
}
END_TEST

/* A failing item: map fails with its error; imap gives it in its place and the later items
 * still come (pool.h); imap_unordered gives it once among the others. */
START_TEST(LIBMP_POOL_06_failing_item_in_maps)
{
    mp_pool_t *p = pool_open(3, MP_POOL_DEFAULT);
    mp_obj_t *l = range_list(30), *v = NULL;
    ck_assert_mp(mp_pool_map(p, jittery_sqr, l, 2, &v), MP_ETASK);
    ck_assert_ptr_null(v);
    mp_async_result_t *r = NULL;
    mp_task_error_t e;
    ck_assert_mp(mp_pool_map_async(p, jittery_sqr, l, 2, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, NULL), MP_ETASK);
    ck_assert_mp(mp_async_result_error(r, &e), 0);
    ck_assert_str_eq(e.exc_type, "ValueError");
    ck_assert_str_eq(e.message, "unlucky 13");
    mp_async_result_free(r);
    for (int unordered = 0; unordered < 2; unordered++) {
        mp_imap_t *it = NULL;
        int failed = 0;
        long sum = 0;
        ck_assert_mp(imap_start(p, unordered, jittery_sqr, l, 1, &it), 0);
        for (long i = 0; i < 30; i++) {
            int rc = mp_imap_next(it, 10, &v);
            if (rc == MP_ETASK) {
                failed++;
                if (!unordered)
                    ck_assert_int_eq(i, 13);
                continue;
            }
            ck_assert_mp(rc, 0);
            int64_t x = int_of(v);
            mp_obj_decref(v);
            if (!unordered)
                ck_assert_int_eq(x, (int64_t)i * i);
            sum += (long)x;
        }
        ck_assert_int_eq(failed, 1);
        ck_assert_int_eq(sum, 29L * 30 * 59 / 6 - 169);
        ck_assert_mp(mp_imap_next(it, 10, &v), MP_ESTOP);
        mp_imap_free(it);
    }
    mp_obj_decref(l);
    mp_pool_free(p);
}
END_TEST

/* imap's next(timeout) -> TimeoutError (C: MP_ETIMEDOUT) after ~timeout; then the value. */
START_TEST(LIBMP_POOL_07_imap_next_timeout)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_obj_t *items = repeat_list(0.8, 1), *v = NULL;
    double took;
    for (int unordered = 0; unordered < 2; unordered++) {
        mp_imap_t *it = NULL;
        ck_assert_mp(imap_start(p, unordered, sleep_for, items, 0, &it), 0);
        ck_assert_mp(TIMED(took, mp_imap_next(it, 0.3, &v)), MP_ETIMEDOUT);
        ck_assert_elapsed(took, 0.3);
        ck_assert_mp(mp_imap_next(it, 10, &v), 0);
        ck_assert_int_eq(mp_obj_type(v), MP_TYPE_NONE);
        mp_obj_decref(v);
        ck_assert_mp(TIMED(took, mp_imap_next(it, 10, &v)), MP_ESTOP);
        ck_assert_immediate(took);
        mp_imap_free(it);
    }
    mp_obj_decref(items);
    mp_pool_free(p);
}
END_TEST

/* An initializer with initargs runs in each worker before its tasks: the global it sets is seen
 * by the tasks (and by the tasks of replacement workers), not by the parent. An initializer that
 * fails breaks the pool: tasks fail with MP_ERUNTIME and its message, promptly. */
START_TEST(LIBMP_POOL_08_initializer)
{
    mp_pool_t *p = NULL;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = 2;
    o.maxtasksperchild = 2;
    o.initializer = set_global;
    o.initargs = mp_build("(i)", 42);
    ck_assert_mp(mp_get_context(NULL, &o.context), 0);
    ck_assert_mp(mp_pool_new(&p, &o), 0);
    mp_obj_decref(o.initargs);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(apply_int(p, read_global, mp_build("()")), 42);
    ck_assert_int_eq(init_global, 0);
    mp_pool_free(p);

    o = (mp_pool_opts_t)MP_POOL_OPTS_INIT;
    o.processes = 2;
    o.initializer = failing_init;
    ck_assert_mp(mp_get_context(NULL, &o.context), 0);
    ck_assert_mp(mp_pool_new(&p, &o), 0);
    mp_async_result_t *r = NULL;
    mp_task_error_t e;
    ck_assert_mp(async_taking(p, sqr, mp_build("(i)", 2), NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, NULL), MP_ERUNTIME);
    ck_assert_msg(strstr(mp_errmsg(), "the initializer refuses"), "message: %s", mp_errmsg());
    ck_assert_mp(mp_async_result_error(r, &e), 0);
    ck_assert_int_eq(e.code, MP_ERUNTIME);
    mp_async_result_free(r);
    /* A call made once the pool is known to be broken is taken too, and fails the same way:
     * whether a call came before or after the failure arrived is not the caller's to know. */
    ck_assert_mp(async_taking(p, sqr, mp_build("(i)", 3), NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, NULL), MP_ERUNTIME);
    ck_assert_msg(strstr(mp_errmsg(), "the initializer refuses"), "message: %s", mp_errmsg());
    mp_async_result_free(r);
    mp_pool_free(p);
}
END_TEST

struct seen {
    int calls;
    int64_t value;
    size_t len;
};

/* callback of apply_async: an int; of map_async: a list, whose length and sum it keeps. */
static void keep_result(mp_obj_t *result, void *ctx)
{
    struct seen *s = ctx;
    if (mp_obj_type(result) == MP_TYPE_LIST) {
        s->len = mp_list_size(result);
        s->value = 0;
        for (size_t i = 0; i < s->len; i++) {
            int64_t x = 0;
            mp_int_as_int64(mp_list_get(result, i), &x);
            s->value += x;
        }
    } else {
        mp_int_as_int64(result, &s->value);
    }
    __atomic_add_fetch(&s->calls, 1, __ATOMIC_RELEASE);
}

static void count_error(int err, mp_async_result_t *r, void *ctx)
{
    (void)err, (void)r;
    struct seen *s = ctx;
    __atomic_add_fetch(&s->calls, 100, __ATOMIC_RELEASE);
}

/* callback gets the result, once: apply_async's value, map_async's and starmap_async's list. */
START_TEST(LIBMP_POOL_09_callbacks_get_the_result)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    struct seen a = {0}, m = {0};
    mp_pool_callbacks_t cba = {keep_result, count_error, &a}, cbm = {keep_result, count_error, &m};
    mp_async_result_t *r = NULL;
    ck_assert_mp(async_taking(p, sqr, mp_build("(i)", 9), &cba, &r), 0);
    ck_assert_int_eq(get_int(r, 10), 81);
    ck_assert(wait_flag(&a.calls, 1, 2));
    ck_assert_int_eq(a.value, 81);
    mp_obj_t *l = range_list(10), *v = NULL;
    ck_assert_mp(mp_pool_map_async(p, sqr, l, 3, &cbm, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_squares(v, 10);
    mp_async_result_free(r);
    ck_assert(wait_flag(&m.calls, 1, 2));
    ck_assert_uint_eq(m.len, 10);
    ck_assert_int_eq(m.value, 285);
    mp_obj_decref(l);
    mp_pool_free(p);
    ck_assert_int_eq(__atomic_load_n(&a.calls, __ATOMIC_ACQUIRE), 1);
    ck_assert_int_eq(__atomic_load_n(&m.calls, __ATOMIC_ACQUIRE), 1);
}
END_TEST

/* Refused in the call, with nothing sent: a task not registered with MP_TASK (MP_EINVAL, the
 * message says how to register), arguments that cannot be pickled (MP_EENCODE, pickle's
 * message); the pool goes on. */
START_TEST(LIBMP_POOL_10_refused_before_sending)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_async_result_t *r = NULL;
    mp_obj_t *v = NULL, *l = range_list(3);
    ck_assert_ptr_eq(mp_task_lookup("sqr"), sqr);
    ck_assert_ptr_null(mp_task_lookup("no_such_task"));
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "no_such_task"));
    ck_assert_mp(async_taking(p, unregistered, mp_build("()"), NULL, &r), MP_EINVAL);
    ck_assert_msg(strstr(mp_errmsg(), "MP_TASK"), "message: %s", mp_errmsg());
    ck_assert_mp(mp_pool_map(p, unregistered, l, 0, &v), MP_EINVAL);
    ck_assert_mp(apply_taking(p, unregistered, mp_build("()"), &v), MP_EINVAL);
    mp_lock_t *lock = NULL;
    ck_assert_mp(mp_lock_new(&lock), 0);
    static const char why[] = "should only be shared between processes through inheritance";
    ck_assert_mp(async_taking(p, sqr, mp_build("(N)", mp_lock_obj(lock)), NULL, &r), MP_EENCODE);
    ck_assert_msg(strstr(mp_errmsg(), why), "message: %s", mp_errmsg());
    mp_obj_t *args = mp_build("(i)", 1), *kw = mp_build("{s:N}", "l", mp_lock_obj(lock));
    ck_assert_mp(mp_pool_apply_async(p, echo_call, args, kw, NULL, &r), MP_EENCODE);
    mp_obj_decref(args);
    mp_obj_decref(kw);
    mp_obj_t *locks = mp_build("[iN]", 1, mp_lock_obj(lock));
    ck_assert_mp(mp_pool_map(p, sqr, locks, 0, &v), MP_EENCODE);
    ck_assert_msg(strstr(mp_errmsg(), why), "message: %s", mp_errmsg());
    mp_obj_decref(locks);
    ck_assert_int_eq(apply_int(p, sqr, mp_build("(i)", 3)), 9);
    mp_obj_decref(l);
    mp_pool_free(p);
    mp_lock_free(lock);
}
END_TEST

/* kwargs reach the task as a dict (apply and apply_async); none given is NULL in the task. */
START_TEST(LIBMP_POOL_11_kwargs_passed_through)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    mp_obj_t *args = mp_build("(is)", 1, "a"), *kw = mp_build("{s:i,s:s}", "k", 2, "s", "x");
    mp_obj_t *want = mp_build("(OO)", args, kw), *v = NULL;
    ck_assert_mp(mp_pool_apply(p, echo_call, args, kw, &v), 0);
    ck_assert_int_eq(mp_obj_equal(v, want), 1);
    mp_obj_decref(v);
    mp_async_result_t *r = NULL;
    ck_assert_mp(mp_pool_apply_async(p, echo_call, args, kw, NULL, &r), 0);
    ck_assert_mp(mp_async_result_get(r, 10, &v), 0);
    ck_assert_int_eq(mp_obj_equal(v, want), 1);
    mp_obj_decref(v);
    mp_async_result_free(r);
    mp_obj_decref(want);
    want = mp_build("(()N)", mp_none());
    ck_assert_mp(mp_pool_apply(p, echo_call, NULL, NULL, &v), 0);
    ck_assert_int_eq(mp_obj_equal(v, want), 1);
    mp_obj_decref(v);
    mp_obj_decref(want);
    mp_obj_decref(args);
    mp_obj_decref(kw);
    mp_pool_free(p);
}
END_TEST

/* The NULL policy of errors.h; freeing NULL does nothing. */
START_TEST(LIBMP_POOL_12_null)
{
    mp_obj_t *v = NULL;
    ck_assert_null_refused(mp_pool_new(NULL, NULL), "mp_pool_new: out is NULL");
    ck_assert_null_refused(mp_pool_apply(NULL, sqr, NULL, NULL, &v), "mp_pool_apply: p is NULL");
    ck_assert_null_refused(mp_pool_close(NULL), "mp_pool_close: p is NULL");
    ck_assert_null_refused(mp_pool_terminate(NULL), "mp_pool_terminate: p is NULL");
    ck_assert_null_refused(mp_pool_join(NULL), "mp_pool_join: p is NULL");
    ck_assert_null_refused(mp_async_result_get(NULL, 0, &v), "mp_async_result_get: r is NULL");
    ck_assert_null_refused(mp_imap_next(NULL, 0, &v), "mp_imap_next: it is NULL");
    mp_pool_t *p = pool_open(1, MP_POOL_DEFAULT);
    ck_assert_null_refused(mp_pool_apply(p, NULL, NULL, NULL, &v), "mp_pool_apply: fn is NULL");
    ck_assert_null_refused(mp_pool_apply(p, sqr, NULL, NULL, NULL),
                           "mp_pool_apply: result is NULL");
    ck_assert_mp(mp_pool_map(p, sqr, NULL, 0, &v), MP_EINVAL);
    mp_pool_free(p);
    mp_pool_free(NULL);
    mp_async_result_free(NULL);
    mp_imap_free(NULL);
}
END_TEST

/* Arguments and results larger than a socket's buffer (4 MiB each way): the pool writes a call
 * in pieces as the worker reads it, and reads a reply in pieces until its frame is whole. */
START_TEST(LIBMP_POOL_14_large_arguments_and_results)
{
    enum { SIZE = 4 << 20 };
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    unsigned char *buf = malloc(SIZE);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < SIZE; i++)
        buf[i] = (unsigned char)(i * 7 + i / 251);
    mp_obj_t *data = mp_bytes(buf, SIZE), *v = NULL;
    ck_assert_mp(apply_taking(p, echo_call, mp_build("(O)", data), &v), 0);
    mp_obj_t *args = NULL, *kwargs = NULL, *back = NULL;
    ck_assert_mp(mp_parse(v, "(OO)", &args, &kwargs), 0);
    ck_assert_mp(mp_parse(args, "(O)", &back), 0);
    size_t n = 0;
    const unsigned char *got = mp_bytes_data(back, &n);
    ck_assert_uint_eq(n, SIZE);
    ck_assert(memcmp(got, buf, SIZE) == 0);
    mp_obj_decref(v);
    mp_obj_decref(data);
    free(buf);
    mp_pool_free(p);
}
END_TEST

/* (hashable, same) for the task's argument tuple: whether it hashes, and whether its hash is
 * that of a tuple made anew of the same items (or it is unhashable like one). */
static mp_obj_t *args_hash_check(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    mp_obj_t *item = mp_tuple_get(args, 0);
    mp_obj_t *fresh = mp_tuple_new(1, &item);
    int64_t h1 = 0, h2 = 0;
    int ok1 = mp_obj_hash(args, &h1) == 0, ok2 = mp_obj_hash(fresh, &h2) == 0;
    mp_obj_decref(fresh);
    return mp_build("(pp)", ok1, ok1 == ok2 && h1 == h2);
}
MP_TASK(args_hash_check);

/* A map's items reach the task one tuple each, hashable as its item is: the worker may pass
 * them in one tuple the task does not keep, which must then read as a new one every time, and
 * a tuple the task keeps (echo_call returns it) must not change under it. */
START_TEST(LIBMP_POOL_15_each_item_has_its_own_argument_tuple)
{
    mp_pool_t *p = pool_open(1, MP_POOL_DEFAULT);
    mp_obj_t *items = mp_build("[i[i]s(ii)d[i]ii]", 1, 2, "s", 3, 4, 5.5, 6, 7, 8);
    static const int hashable[] = {1, 0, 1, 1, 1, 0, 1, 1};
    mp_obj_t *v = NULL;
    ck_assert_mp(mp_pool_map(p, args_hash_check, items, 8, &v), 0);
    for (size_t i = 0; i < 8; i++) {
        int ok, same;
        ck_assert_mp(mp_parse(mp_list_get(v, i), "(pp)", &ok, &same), 0);
        ck_assert_msg(ok == hashable[i] && same, "item %zu: hashable %d (want %d), same %d", i,
                      ok, hashable[i], same);
    }
    mp_obj_decref(v);
    ck_assert_mp(mp_pool_map(p, echo_call, items, 8, &v), 0);
    for (size_t i = 0; i < 8; i++) {
        mp_obj_t *want = mp_build("((O)N)", mp_list_get(items, i), mp_none());
        ck_assert_int_eq(mp_obj_equal(mp_list_get(v, i), want), 1);
        mp_obj_decref(want);
    }
    mp_obj_decref(v);
    mp_obj_decref(items);
    mp_pool_free(p);
}
END_TEST

TCase *mp_tcase_pool_extensions(void)
{
    TCase *tc = mp_tcase("extensions", 60);
    tcase_add_test(tc, POOL_20_result_order);
    tcase_add_test(tc, LIBMP_POOL_06_failing_item_in_maps);
    tcase_add_test(tc, LIBMP_POOL_07_imap_next_timeout);
    tcase_add_test(tc, LIBMP_POOL_08_initializer);
    tcase_add_test(tc, LIBMP_POOL_09_callbacks_get_the_result);
    tcase_add_test(tc, LIBMP_POOL_10_refused_before_sending);
    tcase_add_test(tc, LIBMP_POOL_11_kwargs_passed_through);
    tcase_add_test(tc, LIBMP_POOL_12_null);
    tcase_add_test(tc, LIBMP_POOL_14_large_arguments_and_results);
    tcase_add_test(tc, LIBMP_POOL_15_each_item_has_its_own_argument_tuple);
    return tc;
}
