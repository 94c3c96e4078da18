/* Suite "Queue" (CPython's _TestQueue): the Spec page's catalogue, Queue and JoinableQueue. Each
 * test's name starts with its catalogue id (Q-07 is Q_07_...); where libmp differs from CPython
 * on purpose the name says `deviation` (conformance/python/test_queue.py shows CPython's side).
 * libmp's own cases (LIBMP_Qxx) are in test_queue_extensions.c and test_queue_integrity.c. */
#include "queue_helpers.h"

/* ---- children ------------------------------------------------------------------------------- */

/* Child, args (queue, delay): sleeps `delay`, then gets one message; 0 if it got one. */
static int q_get_one(mp_obj_t *a)
{
    int64_t v;
    sleep_s(arg_double(a, 1));
    return qget_int(arg_queue(a, 0), &v, 1, 10) == 0 ? 0 : 1;
}
JOB(q_get_one);

/* Child, args of range_args(): put_range() of queue_helpers.h. */
static int q_put_range(mp_obj_t *a)
{
    return put_range(a);
}
JOB(q_put_range);

/* ---- Queue ----------------------------------------------------------------------------------- */

START_TEST(Q_02_full_queue_put)
{
    mp_queue_t *q;
    double took;
    ck_assert_mp(mp_queue_new(&q, 6), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_mp(qput_int(q, i, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_queue_full(q), 1);
    mp_obj_t *seven = mp_int(7);
    ck_assert_mp(TIMED(took, mp_queue_put(q, seven, 0, MP_FOREVER)), MP_EFULL);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_queue_put_nowait(q, seven)), MP_EFULL);
    ck_assert_immediate(took);
    ck_assert_str_eq(mp_errmsg(), "queue is full");
    ck_assert_mp(TIMED(took, mp_queue_put(q, seven, 0, 0.35)), MP_EFULL);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_queue_put(q, seven, 1, 0.82)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.82);
    ck_assert_mp(TIMED(took, mp_queue_put(q, seven, 1, 1.4)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 1.4);
    ck_qsize(q, 6);
    mp_obj_decref(seven);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_03_blocked_put_returns_when_another_process_gets)
{
    mp_queue_t *q;
    double took;
    ck_assert_mp(mp_queue_new(&q, 1), 0);
    ck_assert_mp(qput_int(q, 1, 1, MP_FOREVER), 0);
    mp_process_t *p = GO(q_get_one, mp_build("(Nd)", mp_queue_obj(q), 0.5));
    ck_assert_mp(TIMED(took, qput_int(q, 2, 1, MP_FOREVER)), 0);
    ck_assert_elapsed(took, 0.5);
    ck_assert_int_eq(finish(p, 10), 0);
    ck_get_int(q, 2, 0);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_04_get_forms_return_a_childs_items)
{
    mp_queue_t *q;
    mp_obj_t *o;
    int64_t v;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(q_put_range, range_args(q, 0.1, 2, 4));
    ck_get_int(q, 2, MP_FOREVER);                    /* get(True, None) */
    ck_assert_mp(qget_int(q, &v, 1, MP_FOREVER), 0); /* get(True) */
    ck_assert_int_eq(v, 3);
    ck_get_int(q, 4, 1); /* get(timeout=1) */
    ck_assert_int_eq(finish(p, 10), 0);
    ck_assert_mp(mp_queue_get_nowait(q, &o), 0); /* get_nowait() */
    ck_assert_mp(mp_int_as_int64(o, &v), 0);
    ck_assert_int_eq(v, 5);
    mp_obj_decref(o);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_05_empty_queue_get)
{
    mp_queue_t *q;
    mp_obj_t *o;
    double took;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 0, MP_FOREVER)), MP_EEMPTY);
    ck_assert_immediate(took);
    ck_assert_str_eq(mp_errmsg(), "queue is empty");
    ck_assert_ptr_null(o);
    ck_assert_mp(TIMED(took, mp_queue_get_nowait(q, &o)), MP_EEMPTY);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 0, 0.35)), MP_EEMPTY);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 1, 0.82)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.82);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 1, 1.4)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 1.4);
    ck_assert_str_eq(mp_exception_name(MP_EEMPTY), "queue.Empty");
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_07_negative_and_zero_timeouts)
{
    mp_queue_t *q;
    mp_obj_t *o;
    double took;
    ck_assert_mp(mp_queue_new(&q, 1), 0);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 1, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_queue_get(q, &o, 1, 0)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(qput_int(q, 1, 1, 0), 0); /* a timeout of 0 still puts into room */
    ck_assert_mp(TIMED(took, qput_int(q, 2, 1, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_get_int(q, 1, -1); /* and gets what is there */
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_08_blocking_get_waits_for_a_child)
{
    mp_queue_t *q;
    double took;
    int64_t v;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(q_put_range, range_args(q, 0.5, 42, 1));
    ck_assert_mp(TIMED(took, qget_int(q, &v, 1, MP_FOREVER)), 0);
    ck_assert_elapsed(took, 0.5);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(finish(p, 10), 0);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_09_single_producer_fifo)
{
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_mp(qput_int(q, i, 1, MP_FOREVER), 0);
    for (int i = 0; i < 5; i++)
        ck_get_int(q, i, 0);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_10_parent_items_then_a_forked_childs)
{
    mp_queue_t *q;
    mp_obj_t *o;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_mp(qput_int(q, i, 1, MP_FOREVER), 0);
    mp_process_t *p = GO(q_put_range, range_args(q, 0, 10, 10));
    for (int i = 0; i < 20; i++)
        ck_get_int(q, i, 10);
    ck_assert_int_eq(finish(p, 10), 0);
    ck_assert_mp(mp_queue_get(q, &o, 0, 0), MP_EEMPTY);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_12_zero_and_negative_maxsize_are_unbounded)
{
    long sizes[] = {0, -5};
    for (int k = 0; k < 2; k++) {
        mp_queue_t *q;
        ck_assert_mp(mp_queue_new(&q, sizes[k]), 0);
        for (int i = 0; i < 10000; i++)
            ck_assert_mp(qput_int(q, i, 0, 0), 0);
        ck_assert_int_eq(mp_queue_full(q), 0);
        ck_qsize(q, 10000);
        mp_queue_free(q);
    }
}
END_TEST

START_TEST(Q_13_deviation_unpicklable_value_fails_in_put_and_takes_no_slot)
{
    /* CPython's put() returns and its feeder thread drops the value; libmp's put() pickles in
     * the caller, so the caller gets the error and the queue is untouched. Every libmp value
     * pickles at the default protocol, so the unpicklable one is an int too long for protocol
     * 0's text, and a value larger than the ring is the other way to fail. */
    mp_queue_t *q;
    mp_queue_opts_t opts = MP_QUEUE_OPTS_INIT;
    opts.protocol = 0;
    opts.ring_bytes = MP_QUEUE_RING_MIN;
    ck_assert_mp(mp_queue_new_ex(&q, 1, &opts), 0);
    char digits[5001];
    memset(digits, '7', 5000);
    digits[5000] = '\0';
    mp_obj_t *huge = mp_int_from_str(digits), *yes = mp_bool(1), *o;
    ck_assert_mp(mp_queue_put(q, huge, 1, 1), MP_EENCODE);
    ck_assert_str_eq(mp_exception_name(MP_EENCODE), "pickle.PicklingError");
    ck_qsize(q, 0);
    char *blob = calloc(1, MP_QUEUE_RING_MIN);
    mp_obj_t *big = mp_bytes(blob, MP_QUEUE_RING_MIN);
    ck_assert_mp(mp_queue_put(q, big, 1, 1), MP_EMSGSIZE);
    ck_qsize(q, 0);
    ck_assert_mp(mp_queue_put(q, yes, 1, 1), 0); /* maxsize 1: no slot was taken */
    ck_qsize(q, 1);
    ck_assert_mp(mp_queue_get(q, &o, 1, 1), 0);
    ck_assert(mp_obj_equal(o, yes));
    ck_assert_int_eq(mp_queue_empty(q), 1);
    mp_obj_decref(o);
    mp_obj_decref(big);
    mp_obj_decref(huge);
    mp_obj_decref(yes);
    free(blob);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_14_closed_queue_put_get)
{
    mp_queue_t *q;
    mp_obj_t *o;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(qput_int(q, 1, 1, 0), 0);
    ck_assert_mp(mp_queue_close(q), 0);
    ck_assert_mp(qput_int(q, 2, 1, 0), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "Queue is closed");
    ck_assert_mp(mp_queue_get(q, &o, 1, 0), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "Queue is closed");
    ck_assert_mp(mp_queue_close(q), 0);
    ck_qsize(q, 1); /* the message stays, for the other processes */
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_15_join_thread_only_after_close)
{
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(qput_int(q, 1, 1, 0), 0);
    ck_assert_mp(mp_queue_join_thread(q), MP_ESTATE);
    ck_assert_mp(mp_queue_cancel_join_thread(q), 0);
    ck_assert_mp(mp_queue_close(q), 0);
    ck_assert_mp(mp_queue_join_thread(q), 0);
    mp_queue_free(q);
}
END_TEST

START_TEST(Q_17_deviation_empty_is_false_as_soon_as_put_returns)
{
    /* CPython's empty() may stay true until its feeder thread has written; libmp's put() has
     * written the message when it returns, so empty() and qsize() are exact at once. */
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_int_eq(mp_queue_empty(q), 1);
    for (int i = 0; i < 100; i++) {
        ck_assert_mp(qput_int(q, i, 1, 0), 0);
        ck_assert_int_eq(mp_queue_empty(q), 0);
        ck_qsize(q, 1);
        ck_get_int(q, i, 0);
        ck_assert_int_eq(mp_queue_empty(q), 1);
    }
    mp_queue_free(q);
}
END_TEST

/* Child, args (queue, k, n): producer k puts (k, 0) .. (k, n-1). */
static int q_put_pairs(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    long k = arg_long(a, 1), n = arg_long(a, 2);
    for (long i = 0; i < n; i++) {
        mp_obj_t *o = mp_build("(LL)", (long long)k, (long long)i);
        int rc = mp_queue_put(q, o, 1, 10);
        mp_obj_decref(o);
        if (rc != 0)
            return 1;
    }
    return 0;
}
JOB(q_put_pairs);

START_TEST(Q_18_each_producers_order_is_kept)
{
    enum { PRODUCERS = 4, EACH = 200 };
    mp_queue_t *q;
    mp_process_t *p[PRODUCERS];
    long long next[PRODUCERS] = {0};
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    for (int k = 0; k < PRODUCERS; k++) {
        p[k] = GO(q_put_pairs, mp_build("(Nii)", mp_queue_obj(q), k, (int)EACH));
    }
    for (int i = 0; i < PRODUCERS * EACH; i++) {
        mp_obj_t *o;
        long long k, seq;
        ck_assert_mp(mp_queue_get(q, &o, 1, 10), 0);
        ck_assert_mp(mp_parse(o, "(LL)", &k, &seq), 0);
        mp_obj_decref(o);
        ck_assert(k >= 0 && k < PRODUCERS);
        ck_assert_int_eq(seq, next[k]);
        next[k]++;
    }
    for (int k = 0; k < PRODUCERS; k++)
        ck_assert_int_eq(finish(p[k], 10), 0);
    mp_queue_free(q);
}
END_TEST

/* CPython raises RuntimeError when a Queue or a Lock is pickled for a Pipe or a Queue (in a
 * Queue's case from its feeder thread, later); libmp refuses in the call itself, with CPython's
 * words, and nothing reaches the wire or the ring. */
START_TEST(Q_19_sending_a_queue_or_lock_fails_in_the_call)
{
    mp_conn_t *r, *w;
    mp_queue_t *q;
    mp_lock_t *l;
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_lock_new(&l), 0);
    mp_obj_t *qv = mp_queue_obj(q), *lv = mp_build("(iN)", 1, mp_lock_obj(l));
    ck_assert_mp(mp_conn_send(w, qv), MP_EENCODE);
    ck_assert_str_eq(mp_errmsg(),
                     "Queue objects should only be shared between processes through inheritance");
    ck_assert_mp(mp_conn_send(w, lv), MP_EENCODE);
    ck_assert_str_eq(mp_errmsg(),
                     "Lock objects should only be shared between processes through inheritance");
    ck_assert_int_eq(mp_conn_poll(r, 0), 0);
    ck_assert_mp(mp_queue_put(q, lv, 1, MP_FOREVER), MP_EENCODE);
    ck_assert_str_eq(mp_errmsg(),
                     "Lock objects should only be shared between processes through inheritance");
    ck_assert_mp(mp_queue_put(q, qv, 1, MP_FOREVER), MP_EENCODE);
    ck_assert_int_eq(mp_queue_qsize(q), 0);
    mp_obj_decref(qv);
    mp_obj_decref(lv);
    mp_lock_free(l);
    mp_queue_free(q);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

/* ---- JoinableQueue -------------------------------------------------------------------------- */

/* Child, args (joinable queue, flag): gets until the stop marker -1, sleeping a little per
 * task and raising the flag (it counts the tasks done), then task_done. */
static int q_worker(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    mp_sem_t *done = arg_sem(a, 1);
    for (;;) {
        int64_t v;
        if (qget_int(q, &v, 1, 10) != 0)
            return 1;
        if (v >= 0) {
            sleep_s(0.02);
            if (flag_raise(done) != 0)
                return 3;
        }
        if (mp_jqueue_task_done(q) != 0)
            return 2;
        if (v < 0)
            return 0;
    }
}
JOB(q_worker);

START_TEST(JQ_01_join_returns_after_every_task_done)
{
    enum { WORKERS = 4, TASKS = 10 };
    mp_queue_t *q;
    mp_sem_t *done = flag_new(); /* task_done calls made */
    ck_assert_mp(mp_jqueue_new(&q, 0), 0);
    mp_process_t *w[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        w[i] = GO(q_worker, mp_build("(NN)", mp_queue_obj(q), mp_sem_obj(done)));
    for (int i = 0; i < TASKS; i++)
        ck_assert_mp(qput_int(q, i, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_jqueue_join(q, MP_FOREVER), 0);
    ck_assert_int_eq(mp_sem_get_value(done), TASKS);
    for (int i = 0; i < WORKERS; i++)
        ck_assert_mp(qput_int(q, -1, 1, MP_FOREVER), 0);
    for (int i = 0; i < WORKERS; i++)
        ck_assert_int_eq(finish(w[i], 10), 0);
    ck_assert_mp(mp_jqueue_join(q, 0), 0);
    mp_queue_free(q);
    mp_sem_free(done);
}
END_TEST

START_TEST(JQ_03_join_waits_for_task_done_not_for_get)
{
    mp_queue_t *q;
    double took;
    int64_t v;
    ck_assert_mp(mp_jqueue_new(&q, 0), 0);
    ck_assert_mp(TIMED(took, mp_jqueue_join(q, MP_FOREVER)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(qput_int(q, 1, 1, 0), 0);
    ck_assert_mp(qget_int(q, &v, 1, 0), 0);
    ck_assert_mp(TIMED(took, mp_jqueue_join(q, 0.3)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.3);
    ck_assert_mp(mp_jqueue_task_done(q), 0);
    ck_assert_mp(TIMED(took, mp_jqueue_join(q, MP_FOREVER)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(mp_jqueue_task_done(q), MP_EOVERFLOW);
    ck_assert_str_eq(mp_errmsg(), "task_done() called too many times");
    ck_assert_str_eq(mp_exception_name(MP_EOVERFLOW), "ValueError");
    mp_queue_free(q);
}
END_TEST

/* errors.h's NULL policy over all of queues.h: the frees take NULL as a no-op; every other call
 * refuses a NULL handle or out-pointer with MP_EINVAL and names itself in mp_errmsg(). */
START_TEST(LIBMP_73_queues_null_handles)
{
    mp_queue_t *q;
    mp_obj_t *none = mp_none(), *got = none;
    void *data;
    size_t len;
    char buf[4];
    mp_queue_stats_t st;
    mp_queue_free(NULL);
    mp_squeue_free(NULL);
    ck_assert_null_refused(mp_queue_new(NULL, 0), "mp_queue_new: out is NULL");
    ck_assert_null_refused(mp_queue_new_ex(NULL, 0, NULL), "mp_queue_new_ex: out is NULL");
    ck_assert_null_refused(mp_jqueue_new(NULL, 0), "mp_jqueue_new: out is NULL");
    ck_assert_null_refused(mp_squeue_new(NULL), "mp_squeue_new: out is NULL");
    ck_assert_null_refused(mp_queue_put(NULL, none, 1, 0), "mp_queue_put: q is NULL");
    ck_assert_null_refused(mp_queue_put_nowait(NULL, none), "mp_queue_put_nowait: q is NULL");
    ck_assert_null_refused(mp_queue_get(NULL, &got, 1, 0), "mp_queue_get: q is NULL");
    ck_assert_ptr_null(got); /* the out-pointer is cleared first, as on every failure */
    ck_assert_null_refused(mp_queue_get_nowait(NULL, &got), "mp_queue_get_nowait: q is NULL");
    ck_assert_null_refused(mp_queue_put_bytes(NULL, "x", 1, 1, 0), "mp_queue_put_bytes: q is NULL");
    ck_assert_null_refused(mp_queue_get_bytes(NULL, &data, &len, 1, 0),
                           "mp_queue_get_bytes: q is NULL");
    ck_assert_null_refused(mp_queue_get_bytes_into(NULL, buf, sizeof buf, &len, 1, 0),
                           "mp_queue_get_bytes_into: q is NULL");
    ck_assert_null_refused(mp_queue_qsize(NULL), "mp_queue_qsize: q is NULL");
    ck_assert_null_refused(mp_queue_empty(NULL), "mp_queue_empty: q is NULL");
    ck_assert_null_refused(mp_queue_full(NULL), "mp_queue_full: q is NULL");
    ck_assert_null_refused(mp_queue_close(NULL), "mp_queue_close: q is NULL");
    ck_assert_null_refused(mp_queue_join_thread(NULL), "mp_queue_join_thread: q is NULL");
    ck_assert_null_refused(mp_queue_cancel_join_thread(NULL),
                           "mp_queue_cancel_join_thread: q is NULL");
    ck_assert_null_refused(mp_queue_close_put(NULL), "mp_queue_close_put: q is NULL");
    ck_assert_null_refused(mp_queue_stats(NULL, &st), "mp_queue_stats: q is NULL");
    ck_assert_null_refused(mp_jqueue_task_done(NULL), "mp_jqueue_task_done: q is NULL");
    ck_assert_null_refused(mp_jqueue_join(NULL, 0), "mp_jqueue_join: q is NULL");
    ck_assert_null_refused(mp_squeue_put(NULL, none), "mp_squeue_put: s is NULL");
    ck_assert_null_refused(mp_squeue_get(NULL, &got), "mp_squeue_get: s is NULL");
    ck_assert_null_refused(mp_squeue_empty(NULL), "mp_squeue_empty: s is NULL");
    ck_assert_null_refused(mp_squeue_close(NULL), "mp_squeue_close: s is NULL");

    /* A queue, but a NULL value or out-pointer. */
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_null_refused(mp_queue_put(q, NULL, 1, 0), "mp_queue_put: obj is NULL");
    ck_assert_null_refused(mp_queue_put_nowait(q, NULL), "mp_queue_put_nowait: obj is NULL");
    ck_assert_null_refused(mp_queue_get(q, NULL, 1, 0), "mp_queue_get: out is NULL");
    ck_assert_null_refused(mp_queue_get_nowait(q, NULL), "mp_queue_get_nowait: out is NULL");
    ck_assert_null_refused(mp_queue_get_bytes(q, NULL, &len, 1, 0),
                           "mp_queue_get_bytes: out is NULL");
    ck_assert_null_refused(mp_queue_get_bytes(q, &data, NULL, 1, 0),
                           "mp_queue_get_bytes: len is NULL");
    ck_assert_null_refused(mp_queue_get_bytes_into(q, buf, sizeof buf, NULL, 1, 0),
                           "mp_queue_get_bytes_into: len is NULL");
    ck_assert_null_refused(mp_queue_stats(q, NULL), "mp_queue_stats: st is NULL");
    mp_queue_free(q);
    mp_obj_decref(none);
}
END_TEST

Suite *mp_suite_queue(void)
{
    Suite *s = suite_create("Queue");
    TCase *tc = mp_tcase("catalogue", 30);
    tcase_add_test(tc, Q_02_full_queue_put);
    tcase_add_test(tc, Q_03_blocked_put_returns_when_another_process_gets);
    tcase_add_test(tc, Q_04_get_forms_return_a_childs_items);
    tcase_add_test(tc, Q_05_empty_queue_get);
    tcase_add_test(tc, Q_07_negative_and_zero_timeouts);
    tcase_add_test(tc, Q_08_blocking_get_waits_for_a_child);
    tcase_add_test(tc, Q_09_single_producer_fifo);
    tcase_add_test(tc, Q_10_parent_items_then_a_forked_childs);
    tcase_add_test(tc, Q_12_zero_and_negative_maxsize_are_unbounded);
    tcase_add_test(tc, Q_13_deviation_unpicklable_value_fails_in_put_and_takes_no_slot);
    tcase_add_test(tc, Q_14_closed_queue_put_get);
    tcase_add_test(tc, Q_15_join_thread_only_after_close);
    tcase_add_test(tc, Q_17_deviation_empty_is_false_as_soon_as_put_returns);
    tcase_add_test(tc, Q_18_each_producers_order_is_kept);
    tcase_add_test(tc, Q_19_sending_a_queue_or_lock_fails_in_the_call);
    tcase_add_test(tc, JQ_01_join_returns_after_every_task_done);
    tcase_add_test(tc, JQ_03_join_waits_for_task_done_not_for_get);
    tcase_add_test(tc, LIBMP_73_queues_null_handles);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_queue_extensions());
    suite_add_tcase(s, mp_tcase_queue_faults());
    suite_add_tcase(s, mp_tcase_queue_stress());
    return s;
}
