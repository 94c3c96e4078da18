/* Suite "SimpleQueue" (CPython's TestSimpleQueue): the Spec page's catalogue, SQ-01 to SQ-03. */
#include "queue_helpers.h"

/* Child, args (squeue): puts empty() twice: True (nothing was put yet), then False (its own put
 * is there). */
static int sq_put_empty_twice(mp_obj_t *a)
{
    mp_squeue_t *q = arg_squeue(a, 0);
    for (int i = 0; i < 2; i++) {
        int e = mp_squeue_empty(q);
        if (e < 0)
            return 1;
        mp_obj_t *o = mp_bool(e);
        int rc = mp_squeue_put(q, o);
        mp_obj_decref(o);
        if (rc != 0)
            return 2;
    }
    return 0;
}
JOB(sq_put_empty_twice);

static void ck_sget_bool(mp_squeue_t *q, int want)
{
    mp_obj_t *o, *w = mp_bool(want);
    ck_assert_mp(mp_squeue_get(q, &o), 0);
    ck_assert_msg(mp_obj_equal(o, w) && mp_obj_type(o) == MP_TYPE_BOOL, "expected %s",
                  want ? "True" : "False");
    mp_obj_decref(o);
    mp_obj_decref(w);
}

START_TEST(SQ_01_empty)
{
    mp_squeue_t *q;
    ck_assert_mp(mp_squeue_new(&q), 0);
    ck_assert_int_eq(mp_squeue_empty(q), 1);
    ck_assert_int_eq(finish(GO(sq_put_empty_twice, mp_build("(N)", mp_squeue_obj(q))), 10), 0);
    ck_assert_int_eq(mp_squeue_empty(q), 0);
    ck_sget_bool(q, 1);
    ck_sget_bool(q, 0);
    ck_assert_int_eq(mp_squeue_empty(q), 1);
    mp_squeue_free(q);
}
END_TEST

/* Child, args (squeue, delay): sleeps `delay`, then puts "late". */
static int sq_put_later(mp_obj_t *a)
{
    mp_squeue_t *q = arg_squeue(a, 0);
    sleep_s(arg_double(a, 1));
    mp_obj_t *o = mp_str("late");
    int rc = mp_squeue_put(q, o);
    mp_obj_decref(o);
    return rc == 0 ? 0 : 1;
}
JOB(sq_put_later);

START_TEST(SQ_02_get_blocks_until_a_child_puts)
{
    mp_squeue_t *q;
    mp_obj_t *o, *want = mp_str("late");
    double took;
    ck_assert_mp(mp_squeue_new(&q), 0);
    mp_process_t *p = GO(sq_put_later, mp_build("(Nd)", mp_squeue_obj(q), 0.4));
    ck_assert_mp(TIMED(took, mp_squeue_get(q, &o)), 0);
    ck_assert_elapsed(took, 0.4);
    ck_assert(mp_obj_equal(o, want));
    ck_assert_int_eq(finish(p, 10), 0);
    mp_obj_decref(o);
    mp_obj_decref(want);
    mp_squeue_free(q);
}
END_TEST

START_TEST(SQ_03_close)
{
    mp_squeue_t *q;
    mp_obj_t *o, *one = mp_int(1);
    ck_assert_mp(mp_squeue_new(&q), 0);
    ck_assert_mp(mp_squeue_put(q, one), 0);
    ck_assert_mp(mp_squeue_close(q), 0);
    ck_assert_mp(mp_squeue_close(q), 0);
    ck_assert_mp(mp_squeue_get(q, &o), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "handle is closed");
    ck_assert_mp(mp_squeue_put(q, one), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "handle is closed");
    ck_assert_mp(mp_squeue_empty(q), MP_ECLOSED);
    ck_assert_mp(mp_squeue_put(NULL, one), MP_EINVAL);
    ck_assert_mp(mp_squeue_new(NULL), MP_EINVAL);
    mp_obj_decref(one);
    mp_squeue_free(q);
    mp_squeue_free(NULL);
}
END_TEST

Suite *mp_suite_simplequeue(void)
{
    Suite *s = suite_create("SimpleQueue");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, SQ_01_empty);
    tcase_add_test(tc, SQ_02_get_blocks_until_a_child_puts);
    tcase_add_test(tc, SQ_03_close);
    suite_add_tcase(s, tc);
    return s;
}
