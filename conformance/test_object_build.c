/* Suite "Object", build and parse: mp_build() and mp_parse() round trips, their format codes and
 * errors, and dicts built from formats (keys follow Python's equality: 1, True and 1.0 are one). */
#include "object_helpers.h"

TCase *mp_tcase_object_build(void);

/* ===== Build and parse ======================================================================= */

START_TEST(LIBMP_OBJ_01_build_empty_and_top_level)
{
    mp_obj_t *t = mp_build("()");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mp_obj_type(t), MP_TYPE_TUPLE);
    ck_assert_uint_eq(mp_tuple_size(t), 0);
    ck_assert_mp(mp_parse(t, "()"), 0);
    ck_assert_mp(mp_parse(t, "(i)", NULL), MP_EINVAL);
    mp_obj_decref(t);
    ck_assert_repr(mp_build(""), "None");
    ck_assert_repr(mp_build("i", 7), "7");
    ck_assert_repr(mp_build("is", 7, "x"), "(7, 'x')");
    ck_assert_repr(mp_build(" i , s ", 7, "x"), "(7, 'x')");
}
END_TEST

START_TEST(LIBMP_OBJ_02_build_parse_di)
{
    mp_obj_t *t = mp_build("(di)", 3.0, 5);
    double d = 0;
    int i = 0;
    ck_assert_uint_eq(mp_tuple_size(t), 2);
    ck_assert_int_eq(mp_obj_type(mp_tuple_get(t, 0)), MP_TYPE_FLOAT);
    ck_assert_int_eq(mp_obj_type(mp_tuple_get(t, 1)), MP_TYPE_INT);
    ck_assert_repr(mp_obj_incref(t), "(3.0, 5)");
    ck_assert_mp(mp_parse(t, "(di)", &d, &i), 0);
    ck_assert(d == 3.0);
    ck_assert_int_eq(i, 5);
    d = 0;
    ck_assert_mp(mp_parse(t, "di", &d, &i), 0); /* several top-level codes read a tuple */
    ck_assert(d == 3.0);
    ck_assert_mp(mp_parse(t, "(dd)", &d, &d), 0); /* an int reads as a double */
    ck_assert(d == 5.0);
    ck_assert_mp(mp_parse(t, "(ii)", &i, &i), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: item 1: expected int, got float");
    mp_obj_decref(t);
    t = mp_build("(si)", "x", 1);
    ck_assert_mp(mp_parse(t, "(is)", &i, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: item 1: expected int, got str");
    mp_obj_decref(t);
}
END_TEST

START_TEST(LIBMP_OBJ_03_build_parse_integer_codes)
{
    mp_obj_t *t = mp_build("(bhilLnBHIkKp)", -5, -300, INT_MIN, LONG_MAX, LLONG_MIN, (ssize_t)-7,
                           255, 65535, UINT_MAX, ULONG_MAX, ULLONG_MAX, 42);
    ck_assert_repr(mp_obj_incref(t),
                   "(-5, -300, -2147483648, 9223372036854775807, -9223372036854775808, -7, 255, "
                   "65535, 4294967295, 18446744073709551615, 18446744073709551615, True)");
    short h1 = 0, h2 = 0;
    int i = 0, p = 0;
    long l = 0;
    long long L = 0;
    ssize_t n = 0;
    unsigned char B = 0;
    unsigned short H = 0;
    unsigned int I = 0;
    unsigned long k = 0;
    unsigned long long K = 0;
    ck_assert_mp(mp_parse(t, "(hhilLnBHIkKp)", &h1, &h2, &i, &l, &L, &n, &B, &H, &I, &k, &K, &p),
                 0);
    ck_assert(h1 == -5 && h2 == -300 && i == INT_MIN && l == LONG_MAX && L == LLONG_MIN);
    ck_assert(n == -7 && B == 255 && H == 65535 && I == UINT_MAX && k == ULONG_MAX);
    ck_assert(K == ULLONG_MAX && p == 1);
    mp_obj_decref(t);
}
END_TEST

START_TEST(LIBMP_OBJ_04_parse_integer_ranges)
{
    unsigned char b;
    short h;
    long long L;
    unsigned long long K;
    mp_obj_t *o = mp_int(300);
    ck_assert_mp(mp_parse(o, "b", &b), MP_EOVERFLOW);
    mp_obj_decref(o);
    o = mp_int(-1);
    ck_assert_mp(mp_parse(o, "b", &b), MP_EOVERFLOW);
    ck_assert_mp(mp_parse(o, "K", &K), MP_EOVERFLOW);
    mp_obj_decref(o);
    o = mp_int(40000);
    ck_assert_mp(mp_parse(o, "h", &h), MP_EOVERFLOW);
    mp_obj_decref(o);
    o = mp_int_from_str("9223372036854775808");
    ck_assert_mp(mp_parse(o, "L", &L), MP_EOVERFLOW);
    ck_assert_mp(mp_parse(o, "K", &K), 0);
    ck_assert(K == 9223372036854775808u);
    mp_obj_decref(o);
    o = mp_int_from_str("18446744073709551616");
    ck_assert_mp(mp_parse(o, "K", &K), MP_EOVERFLOW);
    mp_obj_decref(o);
    o = mp_bool(1); /* bool is an int */
    ck_assert_mp(mp_parse(o, "b", &b), 0);
    ck_assert_int_eq(b, 1);
}
END_TEST

START_TEST(LIBMP_OBJ_05_build_parse_text_codes)
{
    mp_obj_t *t = mp_build("(s s# z y# Y# y z#)", "h\303\251llo", "a\0b", (size_t)3, NULL, "\0\1",
                           (size_t)2, "ba", (size_t)2, "yy", NULL, (size_t)0);
    ck_assert_repr(mp_obj_incref(t),
                   "('h\303\251llo', 'a\\x00b', None, b'\\x00\\x01', bytearray(b'ba'), b'yy', None)");
    const char *s, *sn, *z = "x", *y, *Y, *y0;
    size_t ns, ny, nY;
    ck_assert_mp(mp_parse(t, "(s s# z y# Y# y z)", &s, &sn, &ns, &z, &y, &ny, &Y, &nY, &y0, &z), 0);
    ck_assert_str_eq(s, "h\303\251llo");
    ck_assert(ns == 3 && !memcmp(sn, "a\0b", 3));
    ck_assert_ptr_null(z);
    ck_assert(ny == 2 && !memcmp(y, "\0\1", 2));
    ck_assert(nY == 2 && !memcmp(Y, "ba", 2));
    ck_assert_str_eq(y0, "yy");
    mp_obj_t *item = mp_tuple_get(t, 1);
    ck_assert_mp(mp_parse(item, "s", &s), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: embedded null character");
    ck_assert_mp(mp_parse(mp_tuple_get(t, 3), "y", &y), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: embedded null byte");
    ck_assert_mp(mp_parse(mp_tuple_get(t, 3), "s#", &s, &ns), 0); /* s# takes bytes too */
    ck_assert_mp(mp_parse(mp_tuple_get(t, 3), "s", &s), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: expected str, got bytes");
    ck_assert_mp(mp_parse(mp_tuple_get(t, 3), "Y#", &Y, &nY), MP_EINVAL);
    ck_assert_mp(mp_parse(mp_tuple_get(t, 4), "y#", &y, &ny), MP_EINVAL);
    mp_obj_decref(t);
    ck_assert_ptr_null(mp_build("(is)", 1, "bad \377"));
    ck_assert_str_eq(mp_errmsg(), "mp_str: invalid UTF-8 at byte 4");
}
END_TEST

START_TEST(LIBMP_OBJ_06_build_O_and_N_references)
{
    mp_obj_t *x = mp_str("shared"), *a, *b, *c;
    ck_assert_uint_eq(mp_obj_refcount(x), 1);
    mp_obj_t *t = mp_build("(OO[O])", x, x, x); /* O takes a new reference */
    ck_assert_uint_eq(mp_obj_refcount(x), 4);
    ck_assert_mp(mp_parse(t, "(OO[O])", &a, &b, &c), 0); /* parse lends, it does not take */
    ck_assert(a == x && b == x && c == x);
    ck_assert_uint_eq(mp_obj_refcount(x), 4);
    mp_obj_decref(t);
    ck_assert_uint_eq(mp_obj_refcount(x), 1);
    t = mp_build("[N]", mp_obj_incref(x)); /* N steals */
    ck_assert_uint_eq(mp_obj_refcount(x), 2);
    mp_obj_decref(t);
    ck_assert_uint_eq(mp_obj_refcount(x), 1);
    /* N is consumed even when the build fails, before or after it in the format. */
    mp_obj_t *list = mp_build("[]");
    ck_assert_ptr_null(mp_build("(N{O:i})", mp_obj_incref(x), list, 1));
    ck_assert_str_eq(mp_errmsg(), "unhashable type: 'list'");
    ck_assert_ptr_null(mp_build("(s#N)", "\377", (size_t)1, mp_obj_incref(x)));
    ck_assert_uint_eq(mp_obj_refcount(x), 1);
    ck_assert_uint_eq(mp_obj_refcount(list), 1);
    mp_obj_decref(list);
    /* A NULL object means a constructor failed: the call fails and keeps its message. */
    ck_assert_ptr_null(mp_build("(iN)", 1, mp_str("\300\200")));
    ck_assert_str_eq(mp_errmsg(), "mp_str: invalid UTF-8 at byte 0");
    mp_obj_decref(x);
}
END_TEST

START_TEST(LIBMP_OBJ_07_build_format_errors)
{
    static const char *const bad[] = {"(i", "i)", "(i]", "[i)", "q", "{i}", "Y", "(((i)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(mp_build(bad[i], 1, 2) == NULL, "format \"%s\" accepted", bad[i]);
        ck_assert_msg(strncmp(mp_errmsg(), "mp_build: ", 10) == 0, "%s: %s", bad[i], mp_errmsg());
    }
    ck_assert_ptr_null(mp_build("q", 1));
    ck_assert_str_eq(mp_errmsg(), "mp_build: bad format code 'q'");
    ck_assert_ptr_null(mp_build("{[i]:i}", 1, 2));
    ck_assert_str_eq(mp_errmsg(), "unhashable type: 'list'");
    ck_assert_ptr_null(mp_build("O", NULL));
    char deep[300];
    memset(deep, '(', 150);
    memset(deep + 150, ')', 150);
    deep[300 - 1] = '\0';
    ck_assert_ptr_null(mp_build(deep));
}
END_TEST

START_TEST(LIBMP_OBJ_08_parse_nested_and_optional)
{
    mp_obj_t *o = mp_build("[i(s[ii])]", 1, "a", 2, 3);
    int a = 0, b = 0, c = 0, x = 42, truth = -1;
    const char *s = NULL;
    ck_assert_mp(mp_parse(o, "[i(s[ii])]", &a, &s, &b, &c), 0);
    ck_assert(a == 1 && !strcmp(s, "a") && b == 2 && c == 3);
    ck_assert_mp(mp_parse(o, "(i(s(ii)))", &a, &s, &b, &c), 0); /* '(' reads any sequence */
    ck_assert_mp(mp_parse(o, "[i(s[is])]", &a, &s, &b, &s), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: item 2.2.2: expected str, got int");
    ck_assert_mp(mp_parse(o, "[i(s[ii])i]", &a, &s, &b, &c, &x), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: expected a sequence of 3 items, got 2");
    ck_assert_mp(mp_parse(o, "[i|(s[ii])i]", &a, &s, &b, &c, &x), 0);
    ck_assert_int_eq(x, 42); /* the missing optional item leaves its variable alone */
    ck_assert_mp(mp_parse(o, "[i|i]", &a, &x), MP_EINVAL);
    ck_assert_mp(mp_parse(o, "p", &truth), 0);
    ck_assert_int_eq(truth, 1);
    ck_assert_mp(mp_parse(o, "{i}", &a), MP_EINVAL);
    ck_assert_mp(mp_parse(o, "[i(s[ii])", &a, &s, &b, &c), MP_EINVAL);
    ck_assert_mp(mp_parse(o, "[iq]", &a, &b), MP_EINVAL);
    ck_assert_mp(mp_parse(NULL, "i", &a), MP_EINVAL);
    mp_obj_t *t = mp_build("(is)", 1, "x");
    ck_assert_mp(mp_parse(t, "[is]", &a, &s), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: expected list, got tuple");
    mp_obj_decref(t);
    mp_obj_decref(o);
    o = mp_build("[]");
    ck_assert_mp(mp_parse(o, "p", &truth), 0);
    ck_assert_int_eq(truth, 0);
    mp_obj_decref(o);
}
END_TEST

START_TEST(LIBMP_OBJ_09_dict_build_and_lookup)
{
    mp_obj_t *d = mp_build("{s:i, s:(ii), i:s}", "a", 1, "b", 2, 3, 4, "four"), *k, *v;
    int64_t n;
    ck_assert_uint_eq(mp_dict_size(d), 3);
    ck_assert_mp(mp_int_as_int64(mp_dict_get_str(d, "a"), &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_null(mp_dict_get_str(d, "zz"));
    mp_obj_t *four = mp_int(4), *four_f = mp_float(4.0), *list = mp_build("[]");
    ck_assert_str_eq(mp_str_data(mp_dict_get(d, four), NULL), "four");
    ck_assert_ptr_eq(mp_dict_get(d, four_f), mp_dict_get(d, four));
    ck_assert_ptr_null(mp_dict_get(d, list));
    ck_assert_mp(mp_dict_item(d, 1, &k, &v), 0); /* insertion order */
    ck_assert_str_eq(mp_str_data(k, NULL), "b");
    ck_assert_uint_eq(mp_tuple_size(v), 2);
    ck_assert_mp(mp_dict_item(d, 3, &k, &v), MP_EINVAL);
    mp_obj_decref(four);
    mp_obj_decref(four_f);
    mp_obj_decref(list);
    mp_obj_decref(d);
}
END_TEST

START_TEST(LIBMP_OBJ_10_dict_keys_follow_python_equality)
{
    mp_obj_t *d = mp_build("{i:s, p:s, d:s}", 1, "a", 1, "b", 1.0, "c"), *k, *v;
    ck_assert_uint_eq(mp_dict_size(d), 1);
    ck_assert_mp(mp_dict_item(d, 0, &k, &v), 0);
    ck_assert_int_eq(mp_obj_type(k), MP_TYPE_INT); /* the first key stays, the last value wins */
    ck_assert_str_eq(mp_str_data(v, NULL), "c");
    mp_obj_decref(d);
    /* Enough keys to grow the table several times. */
    enum { N = 5000 };
    mp_obj_t **keys = malloc(N * sizeof *keys), **vals = malloc(N * sizeof *vals);
    for (int i = 0; i < N; i++) {
        keys[i] = i % 2 ? mp_int(i) : mp_float(i);
        vals[i] = mp_int(-i);
    }
    d = mp_dict_new(N, keys, vals);
    mp_obj_t *s = mp_set_new(N, vals);
    ck_assert_uint_eq(mp_dict_size(d), N);
    ck_assert_uint_eq(mp_set_size(s), N);
    for (int i = 0; i < N; i++) {
        mp_obj_t *q = mp_float(i);
        ck_assert_ptr_eq(mp_dict_get(d, q), vals[i]);
        ck_assert_int_eq(mp_set_contains(s, vals[i]), 1);
        ck_assert_int_eq(mp_set_contains(s, q), i == 0);
        mp_obj_decref(q);
    }
    for (int i = 0; i < N; i++) {
        mp_obj_decref(keys[i]);
        mp_obj_decref(vals[i]);
    }
    free(keys);
    free(vals);
    mp_obj_t *list = mp_build("[]");
    ck_assert_mp(mp_set_contains(s, list), MP_EINVAL);
    ck_assert_mp(mp_set_contains(list, list), MP_EINVAL);
    mp_obj_decref(list);
    mp_obj_decref(s);
    mp_obj_decref(d);
}
END_TEST

TCase *mp_tcase_object_build(void)
{
    TCase *tc = mp_tcase("BuildParse", 10);
    tcase_add_test(tc, LIBMP_OBJ_01_build_empty_and_top_level);
    tcase_add_test(tc, LIBMP_OBJ_02_build_parse_di);
    tcase_add_test(tc, LIBMP_OBJ_03_build_parse_integer_codes);
    tcase_add_test(tc, LIBMP_OBJ_04_parse_integer_ranges);
    tcase_add_test(tc, LIBMP_OBJ_05_build_parse_text_codes);
    tcase_add_test(tc, LIBMP_OBJ_06_build_O_and_N_references);
    tcase_add_test(tc, LIBMP_OBJ_07_build_format_errors);
    tcase_add_test(tc, LIBMP_OBJ_08_parse_nested_and_optional);
    tcase_add_test(tc, LIBMP_OBJ_09_dict_build_and_lookup);
    tcase_add_test(tc, LIBMP_OBJ_10_dict_keys_follow_python_equality);
    return tc;
}
