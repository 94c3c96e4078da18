/* Helpers shared by the files of suite "Object" (test_object*.c): building and checking values. */
#ifndef MP_OBJECT_HELPERS_H
#define MP_OBJECT_HELPERS_H

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
static inline mp_obj_t *int_set(mp_type_t type, int n, ...)
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

static inline mp_obj_t *float_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return mp_float(d);
}

static inline uint64_t bits_of(const mp_obj_t *f)
{
    double d = mp_float_value(f);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Asserts a == b (and b == a) is `want`, then releases both. */
static inline void check_eq(mp_obj_t *a, mp_obj_t *b, int want)
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

static inline int64_t hash_of(mp_obj_t *o)
{
    int64_t h = 0;
    ck_assert_ptr_nonnull(o);
    ck_assert_mp(mp_obj_hash(o, &h), 0);
    mp_obj_decref(o);
    return h;
}

#endif /* MP_OBJECT_HELPERS_H */
