/* Suite "Object": the value model (mp/object.h). Values are what pickle carries, so the cases
 * follow that list, one file per concept, each adding its TCase here: build and parse
 * (test_object_build.c), == and hash (test_object_equal.c), ints, floats and str
 * (test_object_scalar.c), repr and the checks against CPython at test time
 * (test_object_repr.c), and tables on hostile keys (test_object_hostile.c). This file holds
 * lifetime and the accessors: freeing deep nesting, shared references, truth and len, and the
 * NULL policy of errors.h for every value call. */
#include "object_helpers.h"

TCase *mp_tcase_object_build(void);
TCase *mp_tcase_object_equal(void);
TCase *mp_tcase_object_scalar(void);
TCase *mp_tcase_object_repr(void);
TCase *mp_tcase_object_hostile(void);

/* ===== Lifetime, accessors ================================================================== */

/* Freeing, and hashing, must not recurse: a million levels would overflow any C stack. */
START_TEST(LIBMP_OBJ_23_free_million_deep_tuple)
{
    mp_obj_t *o = mp_build("()");
    for (int i = 0; i < 1000000; i++) {
        mp_obj_t *t = mp_tuple_new(1, &o);
        ck_assert_ptr_nonnull(t);
        mp_obj_decref(o);
        o = t;
    }
    ck_assert_mp(mp_obj_hash(o, NULL), 0); /* nor hashing */
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

START_TEST(LIBMP_OBJ_24_deep_repr_and_equal)
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

START_TEST(LIBMP_OBJ_25_shared_references)
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

START_TEST(LIBMP_OBJ_26_accessors_truth_len)
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

/* ===== NULL ================================================================================= */

/* Asserts the call's result and that mp_errmsg() names the function ("fn: arg is NULL"). */
#define REFUSED(call, want, fn)                                                                   \
    do {                                                                                          \
        clear_errmsg();                                                                       \
        ck_assert_msg((call) == (want), "%s", #call);                                             \
        ck_assert_msg(!strncmp(mp_errmsg(), fn ": ", strlen(fn) + 2), "%s: %s", #call,            \
                      mp_errmsg());                                                               \
    } while (0)

static void clear_errmsg(void)
{
    mp_obj_decref(mp_int_from_str("x")); /* leaves a message that names no value call */
}

static mp_obj_t *vbuild_null(int unused, ...)
{
    va_list ap;
    va_start(ap, unused);
    mp_obj_t *o = mp_vbuild(NULL, ap);
    va_end(ap);
    return o;
}

static int vparse_null(const mp_obj_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = mp_vparse(o, fmt, ap);
    va_end(ap);
    return rc;
}

/* errors.h's policy over every value call of mp/object.h: decref and incref take NULL as a
 * no-op, everything else refuses a NULL value, text or out-pointer with MP_EINVAL (or its
 * documented none value) and a message naming the call. */
START_TEST(LIBMP_OBJ_33_null_policy)
{
    mp_obj_t *i = mp_int(5), *t = mp_build("(i)", 1), *l = mp_build("[i]", 1);
    mp_obj_t *d = mp_build("{s:i}", "a", 1), *s = int_set(MP_TYPE_SET, 1, 1);
    int64_t v64;
    uint64_t u64;
    double dv;
    size_t n;
    unsigned char buf[8];
    mp_obj_decref(NULL);
    ck_assert_ptr_null(mp_obj_incref(NULL));
    ck_assert_int_eq(mp_obj_equal(NULL, NULL), 1);
    ck_assert_int_eq(mp_obj_equal(NULL, i), 0);
    REFUSED(mp_obj_type(NULL), (mp_type_t)-1, "mp_obj_type");
    ck_assert_str_eq(mp_type_name((mp_type_t)-1), "?");
    REFUSED(mp_obj_refcount(NULL), 0, "mp_obj_refcount");
    REFUSED(mp_obj_hash(NULL, &v64), MP_EINVAL, "mp_obj_hash");
    REFUSED(mp_obj_truth(NULL), MP_EINVAL, "mp_obj_truth");
    REFUSED(mp_obj_len(NULL, &n), MP_EINVAL, "mp_obj_len");
    REFUSED(mp_obj_len(t, NULL), MP_EINVAL, "mp_obj_len");
    REFUSED(mp_repr(NULL), NULL, "mp_repr");
    REFUSED(mp_int_from_str(NULL), NULL, "mp_int_from_str");
    REFUSED(mp_int_from_bytes(NULL, 1, 1), NULL, "mp_int_from_bytes");
    REFUSED(mp_int_as_int64(NULL, &v64), MP_EINVAL, "mp_int_as_int64");
    REFUSED(mp_int_as_int64(i, NULL), MP_EINVAL, "mp_int_as_int64");
    REFUSED(mp_int_as_u64(NULL, &u64), MP_EINVAL, "mp_int_as_u64");
    REFUSED(mp_int_as_u64(i, NULL), MP_EINVAL, "mp_int_as_u64");
    REFUSED(mp_int_nbytes(NULL), 0, "mp_int_nbytes");
    REFUSED(mp_int_to_bytes(NULL, buf, 1, 1), MP_EINVAL, "mp_int_to_bytes");
    REFUSED(mp_int_to_bytes(i, NULL, 1, 1), MP_EINVAL, "mp_int_to_bytes");
    REFUSED(mp_int_to_str(NULL), NULL, "mp_int_to_str");
    clear_errmsg();
    ck_assert(isnan(mp_float_value(NULL)));
    ck_assert(!strncmp(mp_errmsg(), "mp_float_value: ", 16));
    REFUSED(mp_number_as_double(NULL, &dv), MP_EINVAL, "mp_number_as_double");
    REFUSED(mp_number_as_double(i, NULL), MP_EINVAL, "mp_number_as_double");
    REFUSED(mp_str(NULL), NULL, "mp_str");
    REFUSED(mp_str_n(NULL, 1), NULL, "mp_str_n");
    REFUSED(mp_str_decode(NULL, 1, MP_UTF8_STRICT), NULL, "mp_str_decode");
    REFUSED(mp_str_data(NULL, &n), NULL, "mp_str_data");
    REFUSED(mp_bytes(NULL, 1), NULL, "mp_bytes");
    REFUSED(mp_bytearray(NULL, 1), NULL, "mp_bytearray");
    REFUSED(mp_bytes_data(NULL, &n), NULL, "mp_bytes_data");
    REFUSED(mp_tuple_new(1, NULL), NULL, "mp_tuple_new");
    REFUSED(mp_tuple_from_seq(NULL), NULL, "mp_tuple_from_seq");
    REFUSED(mp_tuple_size(NULL), 0, "mp_tuple_size");
    REFUSED(mp_tuple_get(NULL, 0), NULL, "mp_tuple_get");
    REFUSED(mp_tuple_items(NULL), NULL, "mp_tuple_items");
    REFUSED(mp_list_new(1, NULL), NULL, "mp_list_new");
    REFUSED(mp_list_size(NULL), 0, "mp_list_size");
    REFUSED(mp_list_get(NULL, 0), NULL, "mp_list_get");
    REFUSED(mp_list_items(NULL), NULL, "mp_list_items");
    REFUSED(mp_dict_new(1, NULL, &i), NULL, "mp_dict_new");
    REFUSED(mp_dict_new(1, &i, NULL), NULL, "mp_dict_new");
    REFUSED(mp_dict_size(NULL), 0, "mp_dict_size");
    REFUSED(mp_dict_item(NULL, 0, NULL, NULL), MP_EINVAL, "mp_dict_item");
    REFUSED(mp_dict_get(NULL, i), NULL, "mp_dict_get");
    REFUSED(mp_dict_get(d, NULL), NULL, "mp_dict_get");
    REFUSED(mp_dict_get_str(NULL, "a"), NULL, "mp_dict_get_str");
    REFUSED(mp_dict_get_str(d, NULL), NULL, "mp_dict_get_str");
    REFUSED(mp_set_new(1, NULL), NULL, "mp_set_new");
    REFUSED(mp_frozenset_new(1, NULL), NULL, "mp_frozenset_new");
    REFUSED(mp_set_size(NULL), 0, "mp_set_size");
    REFUSED(mp_set_item(NULL, 0), NULL, "mp_set_item");
    REFUSED(mp_set_contains(NULL, i), MP_EINVAL, "mp_set_contains");
    REFUSED(mp_set_contains(s, NULL), MP_EINVAL, "mp_set_contains");
    REFUSED(mp_build(NULL), NULL, "mp_build");
    REFUSED(vbuild_null(0), NULL, "mp_vbuild");
    REFUSED(mp_parse(NULL, "i", &n), MP_EINVAL, "mp_parse");
    REFUSED(mp_parse(i, NULL), MP_EINVAL, "mp_parse");
    REFUSED(vparse_null(NULL, "i", &n), MP_EINVAL, "mp_vparse");
    REFUSED(vparse_null(i, NULL), MP_EINVAL, "mp_vparse");
    /* What is optional stays optional: no length, no key, no hash wanted. */
    mp_obj_t *x = mp_str("x");
    ck_assert_ptr_nonnull(mp_str_data(x, NULL));
    mp_obj_decref(x);
    ck_assert_mp(mp_dict_item(d, 0, NULL, NULL), 0);
    ck_assert_mp(mp_obj_hash(i, NULL), 0);
    x = mp_str_n(NULL, 0);
    ck_assert_ptr_nonnull(x);
    mp_obj_decref(x);
    mp_obj_decref(i), mp_obj_decref(t), mp_obj_decref(l), mp_obj_decref(d), mp_obj_decref(s);
}
END_TEST

/* ===== the suite ============================================================================= */

Suite *mp_suite_object(void);
Suite *mp_suite_object(void)
{
    Suite *s = suite_create("Object");
    suite_add_tcase(s, mp_tcase_object_build());
    suite_add_tcase(s, mp_tcase_object_equal());
    suite_add_tcase(s, mp_tcase_object_scalar());
    TCase *tc = mp_tcase("Lifetime", 60);
    tcase_add_test(tc, LIBMP_OBJ_23_free_million_deep_tuple);
    tcase_add_test(tc, LIBMP_OBJ_24_deep_repr_and_equal);
    tcase_add_test(tc, LIBMP_OBJ_25_shared_references);
    tcase_add_test(tc, LIBMP_OBJ_26_accessors_truth_len);
    tcase_add_test(tc, LIBMP_OBJ_33_null_policy);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_object_repr());
    suite_add_tcase(s, mp_tcase_object_hostile());
    return s;
}
