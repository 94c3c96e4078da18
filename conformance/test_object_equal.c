/* Suite "Object", equality and hash: Python's == across types and containers, and
 * mp_obj_hash(), which gives CPython's own value for numbers (CPython 3.11's hash() of each). */
#include "object_helpers.h"

TCase *mp_tcase_object_equal(void);

/* ===== Equality and hash ===================================================================== */

START_TEST(LIBMP_OBJ_11_eq_numbers)
{
    check_eq(mp_int(1), mp_float(1.0), 1);
    check_eq(mp_bool(1), mp_int(1), 1);
    check_eq(mp_bool(1), mp_float(1.0), 1);
    check_eq(mp_bool(0), mp_float(-0.0), 1);
    check_eq(mp_float(0.0), mp_float(-0.0), 1);
    check_eq(mp_int(2), mp_float(2.5), 0);
    check_eq(mp_float(NAN), mp_float(NAN), 0);
    check_eq(mp_int(9007199254740993), mp_float(9007199254740992.0), 0); /* 2**53 + 1 */
    check_eq(mp_int(9007199254740992), mp_float(9007199254740992.0), 1);
    check_eq(mp_int_from_str("1267650600228229401496703205376"), mp_float(0x1p100), 1);
    check_eq(mp_int_from_str("1267650600228229401496703205377"), mp_float(0x1p100), 0);
    check_eq(mp_int(INT64_MIN), mp_float(-0x1p63), 1);
    check_eq(mp_int_from_str("9223372036854775808"), mp_float(0x1p63), 1);
    check_eq(mp_int_from_str("-9223372036854775809"), mp_float(-0x1p63), 0);
    check_eq(mp_int_from_str("18446744073709551616"), mp_float(0x1p63), 0);
    check_eq(mp_int_from_str(P2P200), mp_float(INFINITY), 0);
    check_eq(mp_int_from_str("5"), mp_int(5), 1);
    check_eq(mp_int_from_str(M2P200), mp_int_from_str(P2P200), 0);
    mp_obj_t *nan = mp_float(NAN);
    ck_assert_int_eq(mp_obj_equal(nan, nan), 0); /* NaN != NaN, even the same object */
    /* Containers compare their items by identity first, as CPython's do. */
    check_eq(mp_build("(O)", nan), mp_build("(O)", nan), 1);
    check_eq(mp_build("[O]", nan), mp_build("[d]", NAN), 0);
    mp_obj_decref(nan);
}
END_TEST

START_TEST(LIBMP_OBJ_12_eq_types_and_containers)
{
    check_eq(mp_str("a"), mp_bytes("a", 1), 0);
    check_eq(mp_str(""), mp_bytes(NULL, 0), 0);
    check_eq(mp_bytes("ab", 2), mp_bytearray("ab", 2), 1);
    check_eq(mp_bytes("ab", 2), mp_bytes("ab\0", 3), 0);
    check_eq(mp_build("(i)", 1), mp_build("[i]", 1), 0);
    check_eq(mp_none(), mp_none(), 1);
    check_eq(mp_none(), mp_bool(0), 0);
    check_eq(int_set(MP_TYPE_SET, 3, 1, 2, 3), int_set(MP_TYPE_FROZENSET, 3, 3, 2, 1), 1);
    check_eq(int_set(MP_TYPE_SET, 2, 1, 2), int_set(MP_TYPE_SET, 2, 1, 3), 0);
    check_eq(int_set(MP_TYPE_SET, 0), mp_build("{}"), 0);
    check_eq(mp_build("{s:i,s:i}", "a", 1, "b", 2), mp_build("{s:i,s:i}", "b", 2, "a", 1), 1);
    check_eq(mp_build("{s:i,s:i}", "a", 1, "b", 2), mp_build("{s:i,s:i}", "b", 2, "a", 3), 0);
    check_eq(mp_build("{s:i,s:i}", "a", 1, "b", 2), mp_build("{s:i,s:i}", "b", 2, "c", 1), 0);
    check_eq(mp_build("{s:i}", "a", 1), mp_build("{s:i,s:i}", "a", 1, "b", 2), 0);
    check_eq(mp_build("[(i[d]){s:[]}]", 1, 2.0, "k"), mp_build("[(d[i]){s:[]}]", 1.0, 2, "k"), 1);
    check_eq(mp_build("[(i[d])]", 1, 2.0), mp_build("[(i[d])]", 1, 2.5), 0);
    check_eq(mp_build("[[i]i]", 1, 2), mp_build("[[i]]", 1), 0);
    /* Frozensets of frozensets: membership compares elements, whatever their order. */
    mp_obj_t *a[2] = {int_set(MP_TYPE_FROZENSET, 2, 1, 2), int_set(MP_TYPE_FROZENSET, 1, 3)};
    mp_obj_t *b[2] = {int_set(MP_TYPE_FROZENSET, 1, 3), int_set(MP_TYPE_FROZENSET, 2, 2, 1)};
    check_eq(mp_frozenset_new(2, a), mp_set_new(2, b), 1);
    for (int i = 0; i < 2; i++)
        mp_obj_decref(a[i]), mp_obj_decref(b[i]);
    mp_obj_t *x = mp_int(1);
    ck_assert_int_eq(mp_obj_equal(NULL, NULL), 1);
    ck_assert_int_eq(mp_obj_equal(x, NULL), 0);
    ck_assert_int_eq(mp_obj_equal(x, x), 1);
    mp_obj_decref(x);
}
END_TEST

/* The numbers are CPython 3.11's hash() of the same values. */
START_TEST(LIBMP_OBJ_13_hash_matches_cpython_for_numbers)
{
    ck_assert_int_eq(hash_of(mp_int(1)), 1);
    ck_assert_int_eq(hash_of(mp_float(1.0)), 1);
    ck_assert_int_eq(hash_of(mp_bool(1)), 1);
    ck_assert_int_eq(hash_of(mp_int_from_str("1267650600228229401496703205376")), 549755813888);
    ck_assert_int_eq(hash_of(mp_float(0x1p100)), 549755813888);
    ck_assert_int_eq(hash_of(mp_int_from_str("-1267650600228229401496703205376")), -549755813888);
    ck_assert_int_eq(hash_of(mp_float(1.5)), 1152921504606846977);
    ck_assert_int_eq(hash_of(mp_int(-1)), -2);
    ck_assert_int_eq(hash_of(mp_float(-1.0)), -2);
    ck_assert_int_eq(hash_of(mp_int(2305843009213693951)), 0); /* 2**61 - 1 */
    ck_assert_int_eq(hash_of(mp_int(2305843009213693952)), 1);
    ck_assert_int_eq(hash_of(mp_float(0.1)), 230584300921369408);
    ck_assert_int_eq(hash_of(mp_float(INFINITY)), 314159);
    ck_assert_int_eq(hash_of(mp_int(INT64_MIN)), -4);
    ck_assert_int_eq(hash_of(mp_float(1e300)), 1224995262755759164);
    ck_assert_int_eq(hash_of(mp_int_from_str("18446744073709553665")), 2057);
    ck_assert_int_eq(hash_of(mp_int_from_str("-10000000000000000000000000000000000000000")),
                     -1388497483929617590);
}
END_TEST

START_TEST(LIBMP_OBJ_14_hash_consistent_and_unhashable)
{
    ck_assert_int_eq(hash_of(mp_build("(is)", 1, "a")), hash_of(mp_build("(ds)", 1.0, "a")));
    ck_assert_int_eq(hash_of(int_set(MP_TYPE_FROZENSET, 3, 1, 2, 3)),
                     hash_of(int_set(MP_TYPE_FROZENSET, 3, 3, 2, 1)));
    ck_assert_int_eq(hash_of(mp_str("abc")), hash_of(mp_str_n("abcd", 3)));
    ck_assert_int_eq(hash_of(mp_bytes("abc", 3)), hash_of(mp_bytes("abc", 3)));
    struct {
        mp_obj_t *o;
        const char *msg;
    } bad[] = {
        {mp_build("[]"), "unhashable type: 'list'"},
        {mp_build("{}"), "unhashable type: 'dict'"},
        {mp_set_new(0, NULL), "unhashable type: 'set'"},
        {mp_bytearray("x", 1), "unhashable type: 'bytearray'"},
        {mp_build("(i(s[]))", 1, "x"), "unhashable type: 'list'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_mp(mp_obj_hash(bad[i].o, NULL), MP_EINVAL);
        ck_assert_str_eq(mp_errmsg(), bad[i].msg);
        mp_obj_decref(bad[i].o);
    }
    mp_obj_t *t = mp_build("(i)", 1);
    ck_assert_mp(mp_obj_hash(t, NULL), 0);
    mp_obj_decref(t);
    /* A tuple of leaves hashes on first use, one that nests tuples at once: the same either
     * way, and the same for a tuple that came through a pickle. */
    ck_assert_int_eq(hash_of(mp_build("((is)d)", 1, "a", 2.0)),
                     hash_of(mp_build("((ds)i)", 1.0, "a", 2)));
    mp_obj_t *inner = mp_build("(is)", 1, "a"), *back = NULL;
    int64_t before = hash_of(mp_build("(O)", inner));
    void *buf;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(inner, 4, &buf, &len), 0);
    ck_assert_mp(mp_pickle_loads(buf, len, &back), 0);
    free(buf);
    ck_assert_int_eq(hash_of(mp_build("(N)", back)), before);
    ck_assert_int_eq(hash_of(inner), hash_of(mp_build("(is)", 1, "a"))); /* takes inner */
}
END_TEST

TCase *mp_tcase_object_equal(void)
{
    TCase *tc = mp_tcase("Equality", 10);
    tcase_add_test(tc, LIBMP_OBJ_11_eq_numbers);
    tcase_add_test(tc, LIBMP_OBJ_12_eq_types_and_containers);
    tcase_add_test(tc, LIBMP_OBJ_13_hash_matches_cpython_for_numbers);
    tcase_add_test(tc, LIBMP_OBJ_14_hash_consistent_and_unhashable);
    return tc;
}
