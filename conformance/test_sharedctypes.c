/* Suite "SharedCtypes" (CPython's _TestValue and _TestArray): the Spec page's VAL- and ARR-
 * cases, plus libmp's: a counter under get_lock from 4 processes, raw objects in a child, the
 * refusals (typecodes, indices, float into int, slice sizes) and extended slices. Children get
 * the objects in their arguments, so every case runs under each start method. */
#include <limits.h>
#include <stdint.h>
#include <wchar.h>

#include "helpers.h"

enum { NVAL = 5 };
static const char val_codes[NVAL] = {'i', 'd', 'h', 'q', 'c'};

static int set_values(mp_obj_t *a)
{
    mp_value_t *v[NVAL];
    for (size_t i = 0; i < NVAL; i++)
        if (mp_obj_as_value(arg_at(a, i), &v[i]) < 0)
            return 1;
    if (mp_value_set_i64(v[0], -1) || mp_value_set_f64(v[1], -2.5) || mp_value_set_i64(v[2], 7))
        return 2;
    if (mp_value_set_i64(v[3], -(1LL << 40)) || mp_value_set_i64(v[4], 'y'))
        return 3;
    return 0;
}
JOB(set_values);

START_TEST(VAL_01_values_read_back_and_child_writes_seen)
{
    int i0 = 4343;
    double d0 = 3.625;
    short h0 = -232;
    long long q0 = 1LL << 33;
    char c0 = 'x';
    const void *init[NVAL] = {&i0, &d0, &h0, &q0, &c0};
    mp_value_t *v[NVAL];
    for (size_t i = 0; i < NVAL; i++) {
        ck_assert_mp(mp_value_new(&v[i], val_codes[i], init[i], NULL), 0);
        ck_assert_int_eq(mp_value_typecode(v[i]), val_codes[i]);
    }
    int64_t x;
    double d;
    ck_assert_mp(mp_value_get_i64(v[0], &x), 0);
    ck_assert_int_eq(x, 4343);
    ck_assert_mp(mp_value_get_f64(v[1], &d), 0);
    ck_assert_double_eq(d, 3.625);
    ck_assert_mp(mp_value_get_i64(v[2], &x), 0);
    ck_assert_int_eq(x, -232);
    ck_assert_mp(mp_value_get_i64(v[3], &x), 0);
    ck_assert_int_eq(x, 1LL << 33);
    ck_assert_mp(mp_value_get_i64(v[4], &x), 0);
    ck_assert_int_eq(x, 'x');
    mp_process_t *p =
        GO(set_values, mp_build("(NNNNN)", mp_value_obj(v[0]), mp_value_obj(v[1]),
                                mp_value_obj(v[2]), mp_value_obj(v[3]), mp_value_obj(v[4])));
    ck_assert_int_eq(finish(p, 10), 0);
    ck_assert_int_eq(*(int *)mp_value_get_obj(v[0]), -1);
    ck_assert_double_eq(*(double *)mp_value_get_obj(v[1]), -2.5);
    ck_assert_int_eq(*(short *)mp_value_get_obj(v[2]), 7);
    ck_assert_int_eq(*(long long *)mp_value_get_obj(v[3]), -(1LL << 40));
    ck_assert_int_eq(*(char *)mp_value_get_obj(v[4]), 'y');
    for (size_t i = 0; i < NVAL; i++)
        mp_value_free(v[i]);
}
END_TEST

/* An RLock is recursive: its holder's non-blocking acquire succeeds. */
static int is_rlock(mp_lock_t *l)
{
    int ok = mp_lock_acquire(l, 0, 0) == 0 && mp_lock_acquire(l, 0, 0) == 0;
    mp_lock_release(l);
    mp_lock_release(l);
    return ok;
}

START_TEST(VAL_02_get_lock_rules)
{
    mp_value_t *v;
    mp_lock_t *got, *mine;
    ck_assert_mp(mp_value_new(&v, 'i', NULL, NULL), 0);
    ck_assert_mp(mp_value_get_lock(v, &got), 0);
    ck_assert_ptr_nonnull(got);
    ck_assert(is_rlock(got));
    ck_assert_ptr_nonnull(mp_value_get_obj(v));
    mp_value_free(v);

    ck_assert_mp(mp_lock_new(&mine), 0);
    ck_assert_mp(mp_value_new(&v, 'i', NULL, mine), 0);
    ck_assert_mp(mp_value_get_lock(v, &got), 0);
    ck_assert_ptr_eq(got, mine);
    mp_value_free(v);
    ck_assert_mp(mp_lock_acquire(mine, 0, 0), 0); /* still the caller's, and free */
    mp_lock_release(mine);
    mp_lock_free(mine);

    ck_assert_mp(mp_rawvalue_new(&v, 'i', NULL), 0);
    ck_assert_mp(mp_value_get_lock(v, &got), MP_EINVAL);
    ck_assert_ptr_nonnull(mp_value_get_obj(v)); /* the raw object itself */
    mp_value_free(v);
}
END_TEST

static int prefix_sums(mp_obj_t *a)
{
    mp_array_t *arr = NULL;
    if (mp_obj_as_array(arg_at(a, 0), &arr) < 0)
        return 1;
    int64_t prev = 0, x;
    for (long i = 0; i < (long)mp_array_len(arr); i++) {
        if (mp_array_get_i64(arr, i, &x) < 0 || mp_array_set_i64(arr, i, x + prev) < 0)
            return 2;
        prev += x;
    }
    return 0;
}
JOB(prefix_sums);

START_TEST(ARR_01_len_index_slices_and_child_prefix_sums)
{
    int seq[10] = {680, 626, 934, 821, 150, 233, 548, 982, 714, 831};
    int out[10], expect[10];
    size_t n;
    int64_t x;
    mp_array_t *arr;
    ck_assert_mp(mp_array_new(&arr, 'i', 10, seq, NULL), 0);
    ck_assert_uint_eq(mp_array_len(arr), 10);
    ck_assert_mp(mp_array_get_i64(arr, 3, &x), 0);
    ck_assert_int_eq(x, 821);
    ck_assert_mp(mp_array_get_slice(arr, 2, 7, out, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(out, seq + 2, 5 * sizeof(int));
    int two[2] = {-1, -2};
    ck_assert_mp(mp_array_set_slice(arr, 2, 4, two, 2), 0);
    ck_assert_mp(mp_array_get_slice(arr, 0, 10, out, &n), 0);
    ck_assert_int_eq(out[2], -1);
    ck_assert_int_eq(out[3], -2);
    ck_assert_mp(mp_array_set_slice(arr, 2, 4, seq + 2, 2), 0);
    ck_assert_int_eq(finish(GO(prefix_sums, mp_build("(N)", mp_array_obj(arr))), 10), 0);
    for (int i = 0, s = 0; i < 10; i++)
        expect[i] = s += seq[i];
    ck_assert_mp(mp_array_get_slice(arr, 0, 10, out, &n), 0);
    ck_assert_mem_eq(out, expect, sizeof expect);
    mp_array_free(arr);
}
END_TEST

START_TEST(ARR_02_from_size_is_zeros)
{
    for (int round = 0; round < 3; round++) {
        mp_array_t *arr;
        ck_assert_mp(mp_array_new(&arr, 'i', 10, NULL, NULL), 0);
        ck_assert_uint_eq(mp_array_len(arr), 10);
        int *p = mp_array_get_obj(arr);
        for (int i = 0; i < 10; i++) {
            ck_assert_int_eq(p[i], 0);
            p[i] = 1000 + i; /* the next round must not see these */
        }
        mp_array_free(arr);
    }
}
END_TEST

START_TEST(ARR_03_get_lock_rules)
{
    mp_array_t *arr;
    mp_lock_t *got, *mine;
    ck_assert_mp(mp_array_new(&arr, 'd', 4, NULL, NULL), 0);
    ck_assert_mp(mp_array_get_lock(arr, &got), 0);
    ck_assert(is_rlock(got));
    ck_assert_ptr_nonnull(mp_array_get_obj(arr));
    mp_array_free(arr);
    ck_assert_mp(mp_rlock_new(&mine), 0);
    ck_assert_mp(mp_array_new(&arr, 'd', 4, NULL, mine), 0);
    ck_assert_mp(mp_array_get_lock(arr, &got), 0);
    ck_assert_ptr_eq(got, mine);
    mp_array_free(arr);
    mp_lock_free(mine);
    ck_assert_mp(mp_rawarray_new(&arr, 'd', 4, NULL), 0);
    ck_assert_mp(mp_array_get_lock(arr, &got), MP_EINVAL);
    mp_array_free(arr);
}
END_TEST

static int count_up(mp_obj_t *a)
{
    mp_value_t *v = NULL;
    mp_lock_t *l = NULL;
    if (mp_obj_as_value(arg_at(a, 0), &v) < 0 || mp_value_get_lock(v, &l) < 0)
        return 1;
    for (long i = 0; i < arg_long(a, 1); i++) {
        int64_t x;
        if (mp_lock_acquire(l, 1, MP_FOREVER) < 0)
            return 2;
        int rc = mp_value_get_i64(v, &x);
        if (rc == 0)
            rc = mp_value_set_i64(v, x + 1);
        if (mp_lock_release(l) < 0 || rc < 0)
            return 3;
    }
    return 0;
}
JOB(count_up);

/* 4 processes x 1000 `with v.get_lock(): v.value += 1` give 4000. */
START_TEST(LIBMP_75_counter_under_get_lock)
{
    mp_value_t *v;
    mp_process_t *p[4];
    ck_assert_mp(mp_value_new(&v, 'i', NULL, NULL), 0);
    for (int i = 0; i < 4; i++)
        p[i] = GO(count_up, mp_build("(Nl)", mp_value_obj(v), 1000L));
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(finish(p[i], 30), 0);
    int64_t x;
    ck_assert_mp(mp_value_get_i64(v, &x), 0);
    ck_assert_int_eq(x, 4000);
    mp_value_free(v);
}
END_TEST

START_TEST(LIBMP_76_bad_typecodes_indices_and_values)
{
    mp_value_t *v = (mp_value_t *)1;
    mp_array_t *arr;
    const char *bad = "zxyUgFD?\0";
    for (size_t i = 0; i < 9; i++) {
        ck_assert_mp(mp_value_new(&v, bad[i], NULL, NULL), MP_EINVAL);
        ck_assert_ptr_null(v);
        ck_assert_mp(mp_array_new(&arr, bad[i], 3, NULL, NULL), MP_EINVAL);
        ck_assert_mp(mp_rawvalue_new(&v, bad[i], NULL), MP_EINVAL);
    }
    ck_assert_str_eq(mp_exception_name(MP_EINDEX), "IndexError");
    ck_assert_mp(mp_array_new(&arr, 'i', 3, NULL, NULL), 0);
    int64_t x;
    ck_assert_mp(mp_array_get_i64(arr, 3, &x), MP_EINDEX);
    ck_assert_mp(mp_array_set_i64(arr, -4, 1), MP_EINDEX);
    ck_assert_mp(mp_array_set_i64(arr, -1, 9), 0); /* Python's negative index */
    ck_assert_mp(mp_array_get_i64(arr, 2, &x), 0);
    ck_assert_int_eq(x, 9);
    ck_assert_mp(mp_array_set_f64(arr, 0, 1.5), MP_EINVAL); /* CPython: TypeError */
    ck_assert_mp(mp_array_set_i64(arr, 0, 1LL << 40), 0);   /* ctypes keeps the low bits */
    ck_assert_mp(mp_array_get_i64(arr, 0, &x), 0);
    ck_assert_int_eq(x, 0);
    int two[2] = {1, 2}, out[3];
    size_t n;
    ck_assert_mp(mp_array_set_slice(arr, 0, 3, two, 2), MP_EINVAL); /* not the same size */
    ck_assert_mp(mp_array_get_slice(arr, -10, 10, out, &n), 0);     /* clamped */
    ck_assert_uint_eq(n, 3);
    ck_assert_mp(mp_array_get_slice(arr, 2, 1, out, &n), 0);
    ck_assert_uint_eq(n, 0);
    mp_array_free(arr);
    ck_assert_mp(mp_rawvalue_new(&v, 'd', NULL), 0);
    ck_assert_mp(mp_value_get_i64(v, &x), MP_EINVAL);
    ck_assert_mp(mp_value_set_i64(v, 3), 0); /* an int into a float is fine */
    double d;
    ck_assert_mp(mp_value_get_f64(v, &d), 0);
    ck_assert_double_eq(d, 3.0);
    mp_value_free(v);
    wchar_t w = L'\u00e9';
    ck_assert_mp(mp_value_new(&v, 'u', &w, NULL), 0);
    ck_assert_mp(mp_value_get_i64(v, &x), 0);
    ck_assert_int_eq(x, 0xe9);
    /* A code point past U+10FFFF, or negative, is no character (CPython: ValueError) */
    ck_assert_mp(mp_value_set_i64(v, 0x110000), MP_EINVAL);
    ck_assert_mp(mp_value_set_i64(v, -1), MP_EINVAL);
    ck_assert_mp(mp_value_set_i64(v, 0x10ffff), 0);
    wchar_t past = 0x110000, wtwo[2] = {L'a', -1};
    ck_assert_mp(mp_value_set(v, &past), MP_EINVAL); /* nor by a copy */
    ck_assert_mp(mp_value_get_i64(v, &x), 0);
    ck_assert_int_eq(x, 0x10ffff);
    mp_value_free(v);
    ck_assert_mp(mp_value_new(&v, 'u', &past, NULL), MP_EINVAL);
    ck_assert_mp(mp_rawarray_new(&arr, 'u', 2, wtwo), MP_EINVAL);
    ck_assert_mp(mp_rawarray_new(&arr, 'u', 2, NULL), 0);
    ck_assert_mp(mp_array_set_slice(arr, 0, 2, wtwo, 2), MP_EINVAL);
    wtwo[1] = L'b';
    ck_assert_mp(mp_array_set_slice(arr, 0, 2, wtwo, 2), 0);
    mp_array_free(arr);
    /* 'c' takes a byte, 0 to 255, and does not wrap (CPython: TypeError "one character bytes,
     * bytearray or integer expected"), where 'b' keeps the low bits as ctypes does. */
    ck_assert_mp(mp_array_new(&arr, 'c', 2, "ab", NULL), 0);
    ck_assert_mp(mp_array_set_i64(arr, 0, 256), MP_EINVAL);
    ck_assert_mp(mp_array_set_i64(arr, 1, -1), MP_EINVAL);
    ck_assert_mp(mp_array_get_i64(arr, 0, &x), 0);
    ck_assert_int_eq(x, 'a');
    ck_assert_mp(mp_array_set_i64(arr, 1, 255), 0);
    ck_assert_mp(mp_array_get_i64(arr, 1, &x), 0);
    ck_assert_int_eq(x, 255);
    mp_array_free(arr);
    ck_assert_mp(mp_rawvalue_new(&v, 'b', NULL), 0);
    ck_assert_mp(mp_value_set_i64(v, 300), 0);
    ck_assert_mp(mp_value_get_i64(v, &x), 0);
    ck_assert_int_eq(x, 44); /* Value('b', 300).value */
    mp_value_free(v);
    ck_assert_mp(mp_value_get_i64(NULL, &x), MP_EINVAL);
}
END_TEST

static int raw_in_child(mp_obj_t *a)
{
    mp_value_t *v = NULL;
    mp_array_t *arr = NULL;
    mp_lock_t *l;
    if (mp_obj_as_value(arg_at(a, 0), &v) < 0 || mp_obj_as_array(arg_at(a, 1), &arr) < 0)
        return 1;
    if (mp_value_get_lock(v, &l) != MP_EINVAL || mp_array_len(arr) != 3 ||
        mp_array_typecode(arr) != 'Q')
        return 2;
    unsigned long long big = UINT64_MAX, q[3] = {1, 2, 3};
    if (mp_value_set(v, &big) < 0 || mp_array_set_slice(arr, 0, 3, q, 3) < 0)
        return 3;
    return 0;
}
JOB(raw_in_child);

START_TEST(LIBMP_77_raw_objects_in_a_child)
{
    mp_value_t *v;
    mp_array_t *arr;
    ck_assert_mp(mp_rawvalue_new(&v, 'Q', NULL), 0);
    ck_assert_mp(mp_rawarray_new(&arr, 'Q', 3, NULL), 0);
    ck_assert_int_eq(
        finish(GO(raw_in_child, mp_build("(NN)", mp_value_obj(v), mp_array_obj(arr))), 10), 0);
    unsigned long long big = 0, q[3];
    size_t n;
    ck_assert_mp(mp_value_get(v, &big), 0);
    ck_assert(big == UINT64_MAX);
    ck_assert_mp(mp_array_get_slice(arr, 0, 3, q, &n), 0);
    ck_assert(q[0] == 1 && q[1] == 2 && q[2] == 3);
    /* Not through a pipe: CPython's RuntimeError (the words name the lock wrapper). */
    mp_obj_t *o = mp_value_obj(v);
    void *data = NULL;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(o, -1, &data, &len), MP_EENCODE);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "should only be shared between processes"));
    mp_obj_decref(o);
    mp_value_free(v);
    mp_array_free(arr);
}
END_TEST

/* Extended slices: CPython's arr[start:stop:step], read and assigned. */
START_TEST(LIBMP_78_slices_with_a_step)
{
    int seq[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, out[10];
    size_t n;
    mp_array_t *arr;
    ck_assert_mp(mp_array_new(&arr, 'i', 10, seq, NULL), 0);
    const struct {
        long start, stop, step;
        size_t n;
        int want[10];
    } cases[] = {
        {0, LONG_MAX, 2, 5, {0, 2, 4, 6, 8}},                         /* arr[::2] */
        {LONG_MAX, LONG_MIN, -1, 10, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}, /* arr[::-1] */
        {8, 2, -2, 3, {8, 6, 4}},                                     /* arr[8:2:-2] */
        {100, -100, -3, 4, {9, 6, 3, 0}},                             /* arr[100:-100:-3] */
        {-2, 0, -4, 2, {8, 4}},                                       /* arr[-2:0:-4] */
        {3, 3, -1, 0, {0}},                                           /* arr[3:3:-1] */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_mp(
            mp_array_get_slice_step(arr, cases[i].start, cases[i].stop, cases[i].step, out, &n), 0);
        ck_assert_uint_eq(n, cases[i].n);
        ck_assert_mem_eq(out, cases[i].want, n * sizeof(int));
    }
    int odd[5] = {-1, -3, -5, -7, -9}, back[4] = {90, 60, 30, 0};
    ck_assert_mp(mp_array_set_slice_step(arr, 1, LONG_MAX, 2, odd, 5), 0); /* arr[1::2] = */
    ck_assert_mp(mp_array_set_slice_step(arr, LONG_MAX, LONG_MIN, -3, back, 4), 0);
    int want[10] = {0, -1, 2, 30, 4, -5, 60, -7, 8, 90};
    ck_assert_mp(mp_array_get_slice(arr, 0, 10, out, &n), 0);
    ck_assert_mem_eq(out, want, sizeof want);
    /* CPython: ValueError 'slice step cannot be zero', 'Can only assign sequence of same size' */
    ck_assert_mp(mp_array_get_slice_step(arr, 0, 10, 0, out, &n), MP_EINVAL);
    ck_assert_mp(mp_array_set_slice_step(arr, 0, 10, 0, odd, 5), MP_EINVAL);
    ck_assert_mp(mp_array_set_slice_step(arr, 0, LONG_MAX, 2, odd, 1), MP_EINVAL);
    ck_assert_mp(mp_array_get_slice_step(arr, 0, 10, LONG_MIN, out, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_mp(mp_array_get_slice_step(arr, 9, LONG_MIN, LONG_MIN, out, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(out[0], 90);
    mp_array_free(arr);
}
END_TEST

Suite *mp_suite_sharedctypes(void)
{
    Suite *s = suite_create("SharedCtypes");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, VAL_01_values_read_back_and_child_writes_seen);
    tcase_add_test(tc, VAL_02_get_lock_rules);
    tcase_add_test(tc, ARR_01_len_index_slices_and_child_prefix_sums);
    tcase_add_test(tc, ARR_02_from_size_is_zeros);
    tcase_add_test(tc, ARR_03_get_lock_rules);
    suite_add_tcase(s, tc);
    tc = mp_tcase("libmp", 60);
    tcase_add_test(tc, LIBMP_75_counter_under_get_lock);
    tcase_add_test(tc, LIBMP_76_bad_typecodes_indices_and_values);
    tcase_add_test(tc, LIBMP_77_raw_objects_in_a_child);
    tcase_add_test(tc, LIBMP_78_slices_with_a_step);
    suite_add_tcase(s, tc);
    return s;
}
