/* Suite "Object": the value model (mp/object.h). Values are what pickle carries, so the cases
 * follow that list: build/parse round trips, Python's == and hash, exact big ints (decimal and
 * two's complement), float bits, UTF-8 validation, freeing deep nesting, and repr.
 *
 * The expected repr strings were printed by CPython 3.11.7 from the Python expression written
 * next to each (X-macro REPR_CASES). Tests named "python_*" re-run CPython at test time over
 * the same expressions, over every code point and over random doubles; without python3 on the
 * PATH (or $PYTHON) they print why and pass. */
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "helpers.h"

#define P2P200 "1606938044258990275541962092341162602522202993782792835301376"
#define M2P200 "-" P2P200

/* Asserts mp_repr(o) == want, then releases o. */
#define ck_assert_repr(o, want)                                                                   \
    do {                                                                                          \
        mp_obj_t *o_ = (o);                                                                       \
        ck_assert_msg(o_ != NULL, "constructor failed: %s", mp_errmsg());                         \
        char *r_ = mp_repr(o_);                                                                   \
        ck_assert_ptr_nonnull(r_);                                                                \
        ck_assert_str_eq(r_, (want));                                                             \
        free(r_);                                                                                 \
        mp_obj_decref(o_);                                                                        \
    } while (0)

/* A set or frozenset of n ints, inserted in argument order. */
static mp_obj_t *int_set(mp_type_t type, int n, ...)
{
    mp_obj_t *items[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        items[i] = mp_int(va_arg(ap, int));
    va_end(ap);
    mp_obj_t *s = type == MP_TYPE_SET ? mp_set_new((size_t)n, items)
                                      : mp_frozenset_new((size_t)n, items);
    for (int i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    return s;
}

static mp_obj_t *float_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return mp_float(d);
}

static uint64_t bits_of(const mp_obj_t *f)
{
    double d = mp_float_value(f);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Asserts a == b (and b == a) is `want`, then releases both. */
static void check_eq(mp_obj_t *a, mp_obj_t *b, int want)
{
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    char *ra = mp_repr(a), *rb = mp_repr(b);
    ck_assert_msg(mp_obj_equal(a, b) == want && mp_obj_equal(b, a) == want,
                  "%s == %s should be %s", ra, rb, want ? "True" : "False");
    free(ra);
    free(rb);
    mp_obj_decref(a);
    mp_obj_decref(b);
}

static int64_t hash_of(mp_obj_t *o)
{
    int64_t h = 0;
    ck_assert_ptr_nonnull(o);
    ck_assert_mp(mp_obj_hash(o, &h), 0);
    mp_obj_decref(o);
    return h;
}

/* ===== Build and parse ======================================================================= */

START_TEST(build_empty_and_top_level)
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

START_TEST(build_parse_di)
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

START_TEST(build_parse_integer_codes)
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

START_TEST(parse_integer_ranges)
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

START_TEST(build_parse_text_codes)
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

START_TEST(build_O_and_N_references)
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

START_TEST(build_format_errors)
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

START_TEST(parse_nested_and_optional)
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

START_TEST(dict_build_and_lookup)
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

START_TEST(dict_keys_follow_python_equality)
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

/* ===== Equality and hash ===================================================================== */

START_TEST(eq_numbers)
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

START_TEST(eq_types_and_containers)
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
START_TEST(hash_matches_cpython_for_numbers)
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

START_TEST(hash_consistent_and_unhashable)
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
}
END_TEST

/* ===== int, float, str ======================================================================= */

START_TEST(int_big_decimal_round_trip)
{
    mp_obj_t *p = mp_int_from_str(P2P200), *m = mp_int_from_str(M2P200);
    char *s = mp_int_to_str(p);
    ck_assert_str_eq(s, P2P200);
    free(s);
    s = mp_int_to_str(m);
    ck_assert_str_eq(s, M2P200);
    free(s);
    int64_t v;
    ck_assert_mp(mp_int_as_int64(p, &v), MP_EOVERFLOW);
    ck_assert_mp(mp_int_as_int64(m, &v), MP_EOVERFLOW);
    /* 10**1000: a long decimal, back and forth */
    char big[1002] = "1";
    memset(big + 1, '0', 1000);
    big[1001] = '\0';
    mp_obj_t *g = mp_int_from_str(big);
    s = mp_int_to_str(g);
    ck_assert_str_eq(s, big);
    free(s);
    mp_obj_decref(g);
    mp_obj_decref(p);
    mp_obj_decref(m);
}
END_TEST

/* 2**200 and -2**200 as 26 little-endian two's complement bytes (CPython's to_bytes). */
START_TEST(int_big_twos_complement)
{
    unsigned char pos[26] = {0}, neg[26] = {0}, out[26];
    pos[25] = 0x01;
    neg[25] = 0xff;
    mp_obj_t *p = mp_int_from_bytes(pos, 26, 1), *m = mp_int_from_bytes(neg, 26, 1);
    mp_obj_t *pd = mp_int_from_str(P2P200), *md = mp_int_from_str(M2P200);
    check_eq(mp_obj_incref(p), mp_obj_incref(pd), 1);
    check_eq(mp_obj_incref(m), mp_obj_incref(md), 1);
    ck_assert_uint_eq(mp_int_nbytes(pd), 26);
    ck_assert_uint_eq(mp_int_nbytes(md), 26);
    ck_assert_mp(mp_int_to_bytes(pd, out, 26, 1), 0);
    ck_assert_mem_eq(out, pos, 26);
    ck_assert_mp(mp_int_to_bytes(md, out, 26, 1), 0);
    ck_assert_mem_eq(out, neg, 26);
    ck_assert_mp(mp_int_to_bytes(pd, out, 25, 1), MP_EOVERFLOW);
    ck_assert_mp(mp_int_to_bytes(pd, out, 26, 0), 0); /* unsigned needs 26 bytes too */
    ck_assert_mp(mp_int_to_bytes(md, out, 26, 0), MP_EOVERFLOW);
    mp_obj_decref(p);
    mp_obj_decref(m);
    mp_obj_decref(pd);
    mp_obj_decref(md);
}
END_TEST

/* Minimal lengths as pickle's encode_long gives them, and the LONG1 payloads of WIRE.md. */
START_TEST(int_pickle_lengths)
{
    static const struct {
        const char *dec;
        size_t nbytes;
    } t[] = {
        {"0", 0}, {"1", 1}, {"127", 1}, {"128", 2}, {"255", 2}, {"256", 2}, {"-1", 1},
        {"-128", 1}, {"-129", 2}, {"-256", 2}, {"-32768", 2}, {"-32769", 3},
        {"9223372036854775808", 9}, {"-9223372036854775808", 8}, {"18446744073709551616", 9},
    };
    unsigned char buf[16];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mp_obj_t *o = mp_int_from_str(t[i].dec);
        ck_assert_msg(mp_int_nbytes(o) == t[i].nbytes, "%s", t[i].dec);
        ck_assert_mp(mp_int_to_bytes(o, buf, t[i].nbytes, 1), 0);
        check_eq(mp_int_from_bytes(buf, t[i].nbytes, 1), o, 1);
    }
    mp_obj_t *o = mp_int_from_bytes("\0\0\0\x80\0", 5, 1);
    char *s = mp_int_to_str(o);
    ck_assert_str_eq(s, "2147483648");
    free(s);
    mp_obj_decref(o);
    o = mp_int_from_bytes("\xff\xff\xff\x7f\xff", 5, 1);
    s = mp_int_to_str(o);
    ck_assert_str_eq(s, "-2147483649");
    free(s);
    mp_obj_decref(o);
    check_eq(mp_int_from_bytes("\xff\xff", 2, 0), mp_int(65535), 1);
    check_eq(mp_int_from_bytes("\xff\xff", 2, 1), mp_int(-1), 1);
    check_eq(mp_int_from_bytes(NULL, 0, 1), mp_int(0), 1);
    o = mp_int(-1);
    ck_assert_mp(mp_int_to_bytes(o, buf, 8, 0), MP_EOVERFLOW);
    mp_obj_decref(o);
}
END_TEST

START_TEST(int_decimal_syntax_and_ranges)
{
    check_eq(mp_int_from_str(" -1_000 "), mp_int(-1000), 1);
    check_eq(mp_int_from_str("+007"), mp_int(7), 1);
    check_eq(mp_int_from_str("-0"), mp_int(0), 1);
    static const char *const bad[] = {"", " ", "12a", "_1", "1_", "1__0", "- 5", "1.0", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(mp_int_from_str(bad[i]) == NULL, "'%s' accepted", bad[i]);
        ck_assert(strstr(mp_errmsg(), "invalid literal for int() with base 10") != NULL);
    }
    ck_assert_ptr_null(mp_int_from_str(NULL));
    int64_t v;
    uint64_t u;
    mp_obj_t *o = mp_int_from_str("-9223372036854775808");
    ck_assert_mp(mp_int_as_int64(o, &v), 0);
    ck_assert(v == INT64_MIN);
    ck_assert_mp(mp_int_as_u64(o, &u), MP_EOVERFLOW);
    mp_obj_decref(o);
    o = mp_int_from_str("18446744073709551615");
    ck_assert_mp(mp_int_as_int64(o, &v), MP_EOVERFLOW);
    ck_assert_mp(mp_int_as_u64(o, &u), 0);
    ck_assert(u == UINT64_MAX);
    check_eq(o, mp_int_from_u64(UINT64_MAX), 1);
    o = mp_int_from_str("18446744073709551616");
    ck_assert_mp(mp_int_as_u64(o, &u), MP_EOVERFLOW);
    mp_obj_decref(o);
    char *s = mp_int_to_str(mp_bool(1));
    ck_assert_str_eq(s, "1");
    free(s);
    o = mp_str("1");
    ck_assert_mp(mp_int_as_int64(o, &v), MP_EINVAL);
    ck_assert_ptr_null(mp_int_to_str(o));
    mp_obj_decref(o);
}
END_TEST

/* float(int) rounds half to even, and refuses what does not fit, as CPython. */
START_TEST(int_to_double)
{
    static const struct {
        const char *dec;
        double want;
    } t[] = {
        {"9007199254740993", 0x1p53},
        {"18446744073709553664", 0x1p64},
        {"18446744073709553665", 0x1p64 + 0x1p12},
        {"18446744073709557760", 0x1p64 + 0x1p13},
        {"-1180591620717411434496", -0x1p70},
        {"1797693134862315708145274237317043567980705675258449965989174768031572607800285387605"
         "8955863276687817154045895351438246423432132688946418276846754670353751698604991057655"
         "1282076245490090389328944075868508455133942304583236903222948165808559332123348274797"
         "826204144723168738177180919299881250404026184124858368", 0x1.fffffffffffffp1023},
    };
    double d;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mp_obj_t *o = mp_int_from_str(t[i].dec);
        ck_assert_mp(mp_number_as_double(o, &d), 0);
        ck_assert_msg(d == t[i].want, "float(%s) = %a, want %a", t[i].dec, d, t[i].want);
        mp_obj_decref(o);
    }
    mp_obj_t *o = mp_int_from_bytes("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 129, 0); /* 2**1024 */
    ck_assert_mp(mp_number_as_double(o, &d), MP_EOVERFLOW);
    ck_assert_str_eq(mp_errmsg(), "int too large to convert to float");
    mp_obj_decref(o);
    o = mp_str("1.5");
    ck_assert_mp(mp_number_as_double(o, &d), MP_EINVAL);
    mp_obj_decref(o);
}
END_TEST

START_TEST(float_bits_kept)
{
    static const uint64_t bits[] = {
        0x8000000000000000u, /* -0.0 */
        0x7ff8000000000000u, /* CPython's float('nan') */
        0xfff8000000000000u, /* -nan */
        0x7ff8000000000001u, /* a payload */
        0x7ff0000000000001u, /* signalling */
        0x7ff0000000000000u, 0x0000000000000001u, 0x3ff0000000000000u,
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        mp_obj_t *f = float_bits(bits[i]);
        ck_assert_msg(bits_of(f) == bits[i], "%016" PRIx64 " became %016" PRIx64, bits[i],
                      bits_of(f));
        mp_obj_t *t = mp_build("(O)", f); /* and through a container */
        ck_assert(bits_of(mp_tuple_get(t, 0)) == bits[i]);
        mp_obj_decref(t);
        mp_obj_decref(f);
    }
    ck_assert_repr(float_bits(0x7ff8000000000001u), "nan");
    ck_assert_repr(float_bits(0xfff8000000000000u), "nan");
    mp_obj_t *o = mp_int(1);
    ck_assert(isnan(mp_float_value(o)));
    mp_obj_decref(o);
}
END_TEST

START_TEST(str_utf8_validation)
{
    static const char *const good[] = {
        "", "abc", "h\303\251", "\342\202\254", "\360\237\230\200", "\364\217\277\277",
        "\357\277\277", "\355\237\277", "\356\200\200", "\302\200",
    };
    static const struct {
        const char *s;
        int at;
    } bad[] = {
        {"\200", 0}, {"a\300\200", 1}, {"\301\277", 0}, {"\340\200\200", 0}, {"\340\237\277", 0},
        {"\360\217\277\277", 0}, {"\364\220\200\200", 0}, {"\365\200\200\200", 0}, {"\377", 0},
        {"\342\202", 0}, {"ab\342\202", 2}, {"\303", 0}, {"\303(", 0}, {"\355\240\200", 0},
        {"\355\277\277", 0}, {"ok\370\210\200\200\200", 2},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mp_obj_t *o = mp_str(good[i]);
        ck_assert_msg(o != NULL, "refused good[%zu]: %s", i, mp_errmsg());
        mp_obj_decref(o);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[64];
        ck_assert_msg(mp_str(bad[i].s) == NULL, "accepted bad[%zu]", i);
        snprintf(want, sizeof want, "mp_str: invalid UTF-8 at byte %d", bad[i].at);
        ck_assert_str_eq(mp_errmsg(), want);
    }
    ck_assert_ptr_null(mp_str(NULL));
    ck_assert_ptr_null(mp_str_n(NULL, 1));
}
END_TEST

START_TEST(str_surrogates_and_lengths)
{
    const char *s;
    size_t n;
    mp_obj_t *sur = mp_str_decode("\355\240\200", 3, MP_UTF8_SURROGATEPASS);
    ck_assert_ptr_nonnull(sur);
    ck_assert_mp(mp_obj_len(sur, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(mp_str_data(sur, &n), "\355\240\200"); /* kept as pickle writes it */
    ck_assert_uint_eq(n, 3);
    ck_assert_mp(mp_parse(sur, "s", &s), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_parse: surrogates not allowed");
    mp_obj_decref(sur);
    /* A surrogate pair written as two 3-byte sequences stays two code points, as in Python. */
    mp_obj_t *pair = mp_str_decode("\355\240\200\355\260\200", 6, MP_UTF8_SURROGATEPASS);
    ck_assert_mp(mp_obj_len(pair, &n), 0);
    ck_assert_uint_eq(n, 2);
    check_eq(pair, mp_str("\360\220\200\200"), 0);
    ck_assert_ptr_null(mp_str_decode("\300\200", 2, MP_UTF8_SURROGATEPASS));
    mp_obj_t *o = mp_str("h\303\251\360\237\230\200");
    ck_assert_mp(mp_obj_len(o, &n), 0);
    ck_assert_uint_eq(n, 3);
    mp_str_data(o, &n);
    ck_assert_uint_eq(n, 7);
    mp_obj_decref(o);
    o = mp_str_n("a\0b", 3);
    ck_assert_mp(mp_obj_len(o, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_null(mp_bytes_data(o, NULL));
    mp_obj_decref(o);
    o = mp_int(3);
    ck_assert_mp(mp_obj_len(o, &n), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "object of type 'int' has no len()");
    ck_assert_ptr_null(mp_str_data(o, NULL));
    mp_obj_decref(o);
}
END_TEST

/* ===== Lifetime, accessors ================================================================== */

/* Freeing must not recurse: a million levels would overflow any C stack. */
START_TEST(free_million_deep_tuple)
{
    mp_obj_t *o = mp_build("()");
    for (int i = 0; i < 1000000; i++) {
        mp_obj_t *t = mp_tuple_new(1, &o);
        ck_assert_ptr_nonnull(t);
        mp_obj_decref(o);
        o = t;
    }
    mp_obj_decref(o);
    /* Mixed containers: list -> dict -> set -> list ... */
    o = mp_build("[]");
    for (int i = 0; i < 300000; i++) {
        mp_obj_t *key = mp_int(i), *c;
        if (i % 3 == 0)
            c = mp_list_new(1, &o);
        else if (i % 3 == 1)
            c = mp_dict_new(1, &key, &o);
        else
            c = mp_build("(OO)", key, o); /* a tuple holding an unhashable item */
        ck_assert_ptr_nonnull(c);
        mp_obj_decref(key);
        mp_obj_decref(o);
        o = c;
    }
    mp_obj_decref(o);
}
END_TEST

static mp_obj_t *nest(int depth, mp_obj_t *leaf)
{
    for (int i = 0; i < depth; i++) {
        mp_obj_t *t = i % 2 ? mp_tuple_new(1, &leaf) : mp_list_new(1, &leaf);
        mp_obj_decref(leaf);
        leaf = t;
    }
    return leaf;
}

START_TEST(deep_repr_and_equal)
{
    enum { D = 100000 };
    mp_obj_t *a = nest(D, mp_int(1)), *b = nest(D, mp_int(1)), *c = nest(D, mp_float(1.5));
    ck_assert_int_eq(mp_obj_equal(a, b), 1);
    ck_assert_int_eq(mp_obj_equal(a, c), 0);
    char *r = mp_repr(a);
    ck_assert_ptr_nonnull(r);
    /* D/2 tuples "(x,)" around D/2 lists "[x]" around "1" */
    ck_assert_uint_eq(strlen(r), 1 + (D / 2) * 2 + (D / 2) * 3);
    ck_assert(strncmp(r, "([([", 4) == 0);
    ck_assert_str_eq(r + strlen(r) - 6, "],)],)");
    free(r);
    mp_obj_decref(a);
    mp_obj_decref(b);
    mp_obj_decref(c);
    /* Deep hashable keys: tuples of tuples, hashed once at construction. */
    mp_obj_t *k1 = mp_int(7), *k2 = mp_float(7.0);
    for (int i = 0; i < D; i++) {
        mp_obj_t *t1 = mp_tuple_new(1, &k1), *t2 = mp_tuple_new(1, &k2);
        mp_obj_decref(k1);
        mp_obj_decref(k2);
        k1 = t1, k2 = t2;
    }
    ck_assert_int_eq(hash_of(mp_obj_incref(k1)), hash_of(mp_obj_incref(k2)));
    mp_obj_t *v = mp_none(), *d = mp_dict_new(1, &k1, &v);
    ck_assert_ptr_eq(mp_dict_get(d, k2), v);
    mp_obj_decref(d);
    mp_obj_decref(k1);
    mp_obj_decref(k2);
}
END_TEST

START_TEST(shared_references)
{
    mp_obj_t *x = mp_build("[i]", 1);
    mp_obj_t *t = mp_build("(OOO)", x, x, x);
    mp_obj_t *d = mp_build("{s:O, s:O}", "a", x, "b", x);
    ck_assert_uint_eq(mp_obj_refcount(x), 6);
    ck_assert_ptr_eq(mp_tuple_get(t, 0), mp_tuple_get(t, 2)); /* identity, not a copy */
    ck_assert_ptr_eq(mp_dict_get_str(d, "a"), x);
    mp_obj_t *tt = mp_tuple_from_seq(t), *lt = mp_tuple_from_seq(x);
    ck_assert_ptr_eq(tt, t);
    ck_assert_ptr_eq(mp_tuple_get(lt, 0), mp_list_get(x, 0));
    ck_assert_ptr_null(mp_tuple_from_seq(d));
    mp_obj_decref(tt);
    mp_obj_decref(lt);
    mp_obj_decref(t);
    mp_obj_decref(d);
    ck_assert_uint_eq(mp_obj_refcount(x), 1);
    mp_obj_decref(x);
    mp_obj_t *none = mp_none();
    ck_assert_uint_eq(mp_obj_refcount(none), SIZE_MAX);
    for (int i = 0; i < 10; i++)
        mp_obj_decref(none); /* None, True and False are never freed */
    ck_assert_int_eq(mp_obj_type(mp_none()), MP_TYPE_NONE);
    ck_assert_ptr_null(mp_obj_incref(NULL));
    mp_obj_decref(NULL);
}
END_TEST

START_TEST(accessors_truth_len)
{
    mp_obj_t *falsy[] = {
        mp_none(), mp_bool(0), mp_int(0), mp_float(-0.0), mp_str(""), mp_bytes(NULL, 0),
        mp_bytearray(NULL, 0), mp_build("()"), mp_build("[]"), mp_build("{}"), mp_set_new(0, NULL),
    };
    for (size_t i = 0; i < sizeof falsy / sizeof falsy[0]; i++) {
        ck_assert_msg(mp_obj_truth(falsy[i]) == 0, "falsy[%zu]", i);
        mp_obj_decref(falsy[i]);
    }
    mp_obj_t *truthy[] = {mp_bool(1), mp_int(-1), mp_str("0"), mp_build("(i)", 0),
                          mp_build("[z]", NULL)};
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
        ck_assert_msg(mp_obj_truth(truthy[i]) == 1, "truthy[%zu]", i);
        mp_obj_decref(truthy[i]);
    }
    mp_obj_t *o = mp_float(NAN);
    ck_assert_int_eq(mp_obj_truth(o), 1);
    mp_obj_decref(o);
    o = mp_int_from_str(P2P200);
    ck_assert_int_eq(mp_obj_truth(o), 1);
    mp_obj_decref(o);
    ck_assert_str_eq(mp_type_name(MP_TYPE_NONE), "NoneType");
    ck_assert_str_eq(mp_type_name(MP_TYPE_FROZENSET), "frozenset");
    ck_assert_str_eq(mp_type_name((mp_type_t)99), "?");
    o = mp_build("(ii)", 1, 2);
    ck_assert_ptr_null(mp_tuple_get(o, 2));
    ck_assert_ptr_null(mp_list_get(o, 0));
    ck_assert_uint_eq(mp_list_size(o), 0);
    ck_assert_ptr_nonnull(mp_tuple_items(o));
    ck_assert_ptr_null(mp_list_items(o));
    ck_assert_uint_eq(mp_set_size(o), 0);
    ck_assert_uint_eq(mp_dict_size(o), 0);
    mp_obj_decref(o);
    o = int_set(MP_TYPE_SET, 4, 3, 1, 3, 2);
    ck_assert_uint_eq(mp_set_size(o), 3);
    ck_assert_repr(mp_obj_incref(mp_set_item(o, 1)), "1"); /* insertion order, first kept */
    ck_assert_ptr_null(mp_set_item(o, 3));
    mp_obj_decref(o);
    mp_obj_t *items[2] = {mp_int(1), NULL};
    ck_assert_ptr_null(mp_tuple_new(2, items));
    ck_assert_ptr_null(mp_list_new(2, items));
    ck_assert_ptr_null(mp_set_new(2, items));
    ck_assert_ptr_null(mp_tuple_new(1, NULL));
    mp_obj_decref(items[0]);
}
END_TEST

/* ===== repr ================================================================================ */

/* X(python expression, what CPython 3.11.7 prints for repr() of it, the same value built in C) */
#define REPR_CASES(X) \
    X("None", "None", mp_none()) \
    X("True", "True", mp_bool(1)) \
    X("False", "False", mp_bool(0)) \
    X("0", "0", mp_int(0)) \
    X("-1", "-1", mp_int(-1)) \
    X("2**63 - 1", "9223372036854775807", mp_int(INT64_MAX)) \
    X("-2**63", "-9223372036854775808", mp_int(INT64_MIN)) \
    X("2**64", "18446744073709551616", mp_int_from_str("18446744073709551616")) \
    X("-2**200", "-1606938044258990275541962092341162602522202993782792835301376", mp_int_from_str(M2P200)) \
    X("10**40", "10000000000000000000000000000000000000000", mp_int_from_str("1" "0000000000" "0000000000" "0000000000" "0000000000")) \
    X("0.1", "0.1", mp_float(0.1)) \
    X("1e16", "1e+16", mp_float(1e16)) \
    X("1e15", "1000000000000000.0", mp_float(1e15)) \
    X("1e-05", "1e-05", mp_float(1e-05)) \
    X("0.0001", "0.0001", mp_float(0.0001)) \
    X("float('inf')", "inf", mp_float(INFINITY)) \
    X("-float('inf')", "-inf", mp_float(-INFINITY)) \
    X("float('nan')", "nan", mp_float(NAN)) \
    X("-0.0", "-0.0", mp_float(-0.0)) \
    X("1.0", "1.0", mp_float(1.0)) \
    X("1e22", "1e+22", mp_float(1e22)) \
    X("5e-324", "5e-324", mp_float(5e-324)) \
    X("1.7976931348623157e308", "1.7976931348623157e+308", mp_float(1.7976931348623157e308)) \
    X("123.456", "123.456", mp_float(123.456)) \
    X("-2.5", "-2.5", mp_float(-2.5)) \
    X("2.0**-1022 * 3", "6.675221575521604e-308", mp_float(0x3p-1022)) \
    X("1/3", "0.3333333333333333", mp_float(1.0 / 3)) \
    X("''", "''", mp_str("")) \
    X("'a'", "'a'", mp_str("a")) \
    X("\"it's\"", "\"it's\"", mp_str("it's")) \
    X("'say \"hi\"'", "'say \"hi\"'", mp_str("say \"hi\"")) \
    X("'both \\' and \"'", "'both \\' and \"'", mp_str("both ' and \"")) \
    X("'back\\\\slash'", "'back\\\\slash'", mp_str("back\\slash")) \
    X("'\\t\\n\\r\\x00\\x1f\\x7f '", "'\\t\\n\\r\\x00\\x1f\\x7f '", mp_str_n("\t\n\r\0\x1f\x7f ", 7)) \
    X("'\\x80\\x9f\\xa0\\xa1\\xad\\xff'", "'\\x80\\x9f\\xa0\302\241\\xad\303\277'", mp_str("\302\200\302\237\302\240\302\241\302\255\303\277")) \
    X("'h\\xe9llo \\u20ac \\U0001f600'", "'h\303\251llo \342\202\254 \360\237\230\200'", mp_str("h\303\251llo \342\202\254 \360\237\230\200")) \
    X("'\\u2028\\ufeff\\u0378\\u3042'", "'\\u2028\\ufeff\\u0378\343\201\202'", mp_str("\342\200\250\357\273\277\315\270\343\201\202")) \
    X("'\\U000e0001\\U0010ffff\\U00020000'", "'\\U000e0001\\U0010ffff\360\240\200\200'", mp_str("\363\240\200\201\364\217\277\277\360\240\200\200")) \
    X("'\\ud800x\\udfff'", "'\\ud800x\\udfff'", mp_str_decode("\355\240\200x\355\277\277", 7, MP_UTF8_SURROGATEPASS)) \
    X("b''", "b''", mp_bytes(NULL, 0)) \
    X("b\"it's\"", "b\"it's\"", mp_bytes("it's", 4)) \
    X("b'\\x00\\xff\\\\\\t\"\\''", "b'\\x00\\xff\\\\\\t\"\\''", mp_bytes("\0\377\\\t\"'", 6)) \
    X("bytearray(b'abc')", "bytearray(b'abc')", mp_bytearray("abc", 3)) \
    X("bytearray()", "bytearray(b'')", mp_bytearray(NULL, 0)) \
    X("()", "()", mp_build("()")) \
    X("(1,)", "(1,)", mp_build("(i)", 1)) \
    X("(1, 2)", "(1, 2)", mp_build("(ii)", 1, 2)) \
    X("((1, 2), (3,), (), 'x')", "((1, 2), (3,), (), 'x')", mp_build("((ii)(i)()s)", 1, 2, 3, "x")) \
    X("[]", "[]", mp_build("[]")) \
    X("[1, 'a', None]", "[1, 'a', None]", mp_build("[isz]", 1, "a", NULL)) \
    X("[[[]], [()]]", "[[[]], [()]]", mp_build("[[[]][()]]")) \
    X("{}", "{}", mp_build("{}")) \
    X("{'a': 1, 2: [3.5]}", "{'a': 1, 2: [3.5]}", mp_build("{s:i, i:[d]}", "a", 1, 2, 3.5)) \
    X("{1: 'a', True: 'b', 1.0: 'c'}", "{1: 'c'}", mp_build("{i:s, p:s, d:s}", 1, "a", 1, "b", 1.0, "c")) \
    X("set()", "set()", mp_set_new(0, NULL)) \
    X("{1, 2, 3}", "{1, 2, 3}", int_set(MP_TYPE_SET, 3, 1, 2, 3)) \
    X("frozenset()", "frozenset()", mp_frozenset_new(0, NULL)) \
    X("frozenset({1})", "frozenset({1})", int_set(MP_TYPE_FROZENSET, 1, 1)) \
    X("{(1, 2): frozenset({3}), None: [set()]}", "{(1, 2): frozenset({3}), None: [set()]}", mp_build("{(ii):N, z:[N]}", 1, 2, int_set(MP_TYPE_FROZENSET, 1, 3), NULL, mp_set_new(0, NULL))) \
    X("('ok', [None, -0.0, float('inf')], {'r': (b'', bytearray(b'\\xff'))})", "('ok', [None, -0.0, inf], {'r': (b'', bytearray(b'\\xff'))})", mp_build("(s[zdd]{s:(y#Y#)})", "ok", NULL, -0.0, INFINITY, "r", "", (size_t)0, "\377", (size_t)1)) \

static const struct {
    const char *py, *want;
} repr_cases[] = {
#define ROW(py, want, c) {py, want},
    REPR_CASES(ROW)
#undef ROW
};

static mp_obj_t *repr_case(size_t i)
{
    size_t k = 0;
#define MAKE(py, want, c)                                                                          \
    if (i == k++)                                                                                 \
        return (c);
    REPR_CASES(MAKE)
#undef MAKE
    return NULL;
}

START_TEST(repr_table)
{
    for (size_t i = 0; i < sizeof repr_cases / sizeof repr_cases[0]; i++) {
        mp_obj_t *o = repr_case(i);
        ck_assert_msg(o != NULL, "%s: %s", repr_cases[i].py, mp_errmsg());
        char *r = mp_repr(o);
        ck_assert_msg(r && !strcmp(r, repr_cases[i].want), "repr(%s): got %s, want %s",
                      repr_cases[i].py, r, repr_cases[i].want);
        free(r);
        mp_obj_decref(o);
    }
    ck_assert_ptr_null(mp_repr(NULL));
}
END_TEST

/* printf and strtod follow LC_NUMERIC; repr must not. */
START_TEST(repr_float_ignores_locale)
{
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    size_t i = 0;
    while (i < sizeof comma / sizeof comma[0] && !setlocale(LC_NUMERIC, comma[i]))
        i++;
    if (i == sizeof comma / sizeof comma[0]) {
        printf("skip repr_float_ignores_locale: no comma-decimal locale installed\n");
        return;
    }
    ck_assert_repr(mp_float(1.5), "1.5");
    ck_assert_repr(mp_float(0.1), "0.1");
    ck_assert_repr(mp_float(-2.5e-300), "-2.5e-300");
    ck_assert_str_eq(localeconv()->decimal_point, ","); /* the program's locale is untouched */
    setlocale(LC_NUMERIC, "C");
}
END_TEST

/* ===== Against CPython, at test time ========================================================= */

/* The python to run ($PYTHON or python3), or NULL after saying why there is none. */
static const char *python(const char *test)
{
    static char cmd[600];
    const char *py = getenv("PYTHON");
    if (!py || !*py)
        py = "python3";
    snprintf(cmd, sizeof cmd, "%s -c 'import sys; sys.exit(sys.version_info < (3, 8))' "
                              ">/dev/null 2>&1", py);
    if (system(cmd) != 0) {
        printf("skip %s: no CPython >= 3.8 as '%s' (set $PYTHON)\n", test, py);
        return NULL;
    }
    return py;
}

static void write_file(char *path, const char *data, size_t n)
{
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* Runs `script` under `py` with `input` on stdin; returns its stdout, malloc'd. */
static char *run_python(const char *py, const char *script, const char *input, size_t n)
{
    char sp[] = "/tmp/mp_object_py_XXXXXX", ip[] = "/tmp/mp_object_in_XXXXXX", cmd[600];
    write_file(sp, script, strlen(script));
    write_file(ip, input, n);
    snprintf(cmd, sizeof cmd, "%s %s < %s", py, sp, ip);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    for (size_t got; (got = fread(out + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (cap - len < 1024)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    ck_assert_int_eq(pclose(f), 0);
    unlink(sp);
    unlink(ip);
    return out;
}

START_TEST(python_repr_table)
{
    const char *py = python("python_repr_table");
    if (!py)
        return;
    char *in = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&in, &n);
    for (size_t i = 0; i < sizeof repr_cases / sizeof repr_cases[0]; i++)
        fprintf(m, "%s\n", repr_cases[i].py);
    fclose(m);
    char *out = run_python(py, "import sys\n"
                               "for e in sys.stdin.buffer.read().decode().split('\\n'):\n"
                               "    if e: sys.stdout.buffer.write(repr(eval(e)).encode() + b'\\n')\n",
                           in, n);
    char *line = out;
    for (size_t i = 0; i < sizeof repr_cases / sizeof repr_cases[0]; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_msg(!strcmp(line, repr_cases[i].want), "CPython now prints repr(%s) as %s",
                      repr_cases[i].py, line);
        line = nl + 1;
    }
    free(in);
    free(out);
}
END_TEST

static const char check_floats_py[] =
    "import sys, struct\n"
    "bad = n = 0\n"
    "for line in sys.stdin.read().split('\\n'):\n"
    "    if not line: continue\n"
    "    h, r = line.split(' ')\n"
    "    want = repr(struct.unpack('>d', bytes.fromhex(h))[0])\n"
    "    n += 1\n"
    "    if want != r:\n"
    "        bad += 1\n"
    "        if bad <= 5: print('mismatch', h, 'libmp', r, 'python', want)\n"
    "print('ok' if not bad else 'FAILED', n)\n";

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void put_float_line(FILE *m, double d)
{
    mp_obj_t *f = mp_float(d);
    char *r = mp_repr(f);
    fprintf(m, "%016" PRIx64 " %s\n", bits_of(f), r);
    free(r);
    mp_obj_decref(f);
}

START_TEST(python_float_repr)
{
    const char *py = python("python_float_repr");
    if (!py)
        return;
    char *in = NULL;
    size_t n = 0;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    FILE *m = open_memstream(&in, &n);
    for (int e = -1074; e < 1024; e++) { /* where shortest repr is hardest: powers of two */
        double d = ldexp(1.0, e);
        put_float_line(m, d);
        put_float_line(m, nextafter(d, 0));
        put_float_line(m, -nextafter(d, INFINITY));
    }
    for (int i = 0; i < 30000; i++) {
        uint64_t bits = xorshift(&seed);
        double d;
        memcpy(&d, &bits, sizeof d);
        put_float_line(m, d);
        put_float_line(m, (double)(bits >> 11) / 1e6); /* short decimals */
    }
    fclose(m);
    char *out = run_python(py, check_floats_py, in, n);
    ck_assert_msg(!strncmp(out, "ok ", 3), "%s", out);
    free(in);
    free(out);
}
END_TEST

static const char check_chars_py[] =
    "import sys, unicodedata\n"
    "same = unicodedata.unidata_version == '14.0.0'\n"
    "bad = n = 0\n"
    "for line in sys.stdin.buffer.read().decode().split('\\n'):\n"
    "    if not line: continue\n"
    "    start, r = line.split(' ', 1)\n"
    "    start = int(start, 16)\n"
    "    if not same and start >= 0x100: continue\n"
    "    want = repr(''.join(map(chr, range(start, min(start + 256, 0x110000)))))\n"
    "    n += 1\n"
    "    if want != r:\n"
    "        bad += 1\n"
    "        if bad <= 3: print('mismatch at', hex(start), 'libmp', ascii(r), 'python', ascii(want))\n"
    "print('ok' if not bad else 'FAILED', n, '' if same else\n"
    "      '(Unicode %s, not 14.0.0: Latin-1 only)' % unicodedata.unidata_version)\n";

static size_t put_utf8(char *p, uint32_t cp) /* surrogates too, as 'surrogatepass' */
{
    if (cp < 0x80)
        return (size_t)(p[0] = (char)cp, 1);
    if (cp < 0x800)
        return (size_t)(p[0] = (char)(0xC0 | cp >> 6), p[1] = (char)(0x80 | (cp & 0x3F)), 2);
    if (cp < 0x10000) {
        p[0] = (char)(0xE0 | cp >> 12);
        p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | cp >> 18);
    p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Every code point, 256 per str, against CPython's repr (Unicode 14 printability). */
START_TEST(python_str_repr_all_code_points)
{
    const char *py = python("python_str_repr_all_code_points");
    if (!py)
        return;
    char *in = NULL, chunk[256 * 4];
    size_t n = 0;
    FILE *m = open_memstream(&in, &n);
    for (uint32_t start = 0; start < 0x110000; start += 256) {
        size_t len = 0;
        for (uint32_t cp = start; cp < start + 256 && cp < 0x110000; cp++)
            len += put_utf8(chunk + len, cp);
        mp_obj_t *s = mp_str_decode(chunk, len, MP_UTF8_SURROGATEPASS);
        ck_assert_msg(s != NULL, "U+%04X: %s", start, mp_errmsg());
        char *r = mp_repr(s);
        fprintf(m, "%x %s\n", start, r);
        free(r);
        mp_obj_decref(s);
    }
    fclose(m);
    char *out = run_python(py, check_chars_py, in, n);
    ck_assert_msg(!strncmp(out, "ok ", 3), "%s", out);
    printf("python_str_repr_all_code_points: %s", out);
    free(in);
    free(out);
}
END_TEST

static const char check_ints_py[] =
    "import sys, pickle\n"
    "bad = n = 0\n"
    "for line in sys.stdin.read().split('\\n'):\n"
    "    if not line: continue\n"
    "    h, dec, nb, out = line.split(' ')\n"
    "    v = int.from_bytes(bytes.fromhex(h), 'little', signed=True)\n"
    "    enc = pickle.encode_long(v)\n"
    "    n += 1\n"
    "    if str(v) != dec or len(enc) != int(nb) or enc.hex() != out:\n"
    "        bad += 1\n"
    "        if bad <= 3: print('mismatch', h, dec, nb, out)\n"
    "print('ok' if not bad else 'FAILED', n)\n";

static void put_hex(FILE *m, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(m, "%02x", p[i]);
}

/* Random two's complement byte strings: decimal text and pickle's LONG payload. */
START_TEST(python_int_decimal_and_bytes)
{
    const char *py = python("python_int_decimal_and_bytes");
    if (!py)
        return;
    char *in = NULL;
    size_t n = 0;
    uint64_t seed = 12345;
    unsigned char buf[400], out[400];
    FILE *m = open_memstream(&in, &n);
    for (int i = 0; i < 3000; i++) {
        size_t len = 1 + xorshift(&seed) % (i < 1000 ? 12 : 300);
        for (size_t j = 0; j < len; j++)
            buf[j] = (unsigned char)xorshift(&seed);
        if (i % 7 == 0) /* many high bytes of 00 / ff: the minimal-length edge */
            memset(buf + len / 2, i % 2 ? 0xff : 0x00, len - len / 2);
        mp_obj_t *o = mp_int_from_bytes(buf, len, 1);
        char *dec = mp_int_to_str(o);
        size_t nb = mp_int_nbytes(o);
        ck_assert_mp(mp_int_to_bytes(o, out, nb, 1), 0);
        put_hex(m, buf, len);
        fprintf(m, " %s %zu ", dec, nb);
        put_hex(m, out, nb);
        fputc('\n', m);
        free(dec);
        mp_obj_decref(o);
    }
    fclose(m);
    char *res = run_python(py, check_ints_py, in, n);
    ck_assert_msg(!strncmp(res, "ok ", 3), "%s", res);
    free(in);
    free(res);
}
END_TEST

/* ===== the suite ============================================================================= */

static void add(Suite *s, const char *name, double timeout, const TTest *const *tests, size_t n)
{
    TCase *tc = mp_tcase(name, timeout);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
}

#define ADD(s, name, timeout, ...)                                                                \
    do {                                                                                          \
        const TTest *const t_[] = {__VA_ARGS__};                                                       \
        add(s, name, timeout, t_, sizeof t_ / sizeof t_[0]);                                      \
    } while (0)

Suite *mp_suite_object(void);
Suite *mp_suite_object(void)
{
    Suite *s = suite_create("Object");
    ADD(s, "BuildParse", 10, build_empty_and_top_level, build_parse_di, build_parse_integer_codes,
        parse_integer_ranges, build_parse_text_codes, build_O_and_N_references,
        build_format_errors, parse_nested_and_optional, dict_build_and_lookup,
        dict_keys_follow_python_equality);
    ADD(s, "Equality", 10, eq_numbers, eq_types_and_containers, hash_matches_cpython_for_numbers,
        hash_consistent_and_unhashable);
    ADD(s, "Scalars", 10, int_big_decimal_round_trip, int_big_twos_complement, int_pickle_lengths,
        int_decimal_syntax_and_ranges, int_to_double, float_bits_kept, str_utf8_validation,
        str_surrogates_and_lengths);
    ADD(s, "Lifetime", 60, free_million_deep_tuple, deep_repr_and_equal, shared_references,
        accessors_truth_len);
    ADD(s, "Repr", 10, repr_table, repr_float_ignores_locale);
    ADD(s, "Python", 120, python_repr_table, python_float_repr, python_str_repr_all_code_points,
        python_int_decimal_and_bytes);
    return s;
}
