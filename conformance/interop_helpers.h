/* What the suites that talk to CPython share (test_interop.c, test_interop_listener.c): the
 * interpreters conformance/python/find-pythons finds, and the list of values that crosses, the
 * same as conformance/python/conn_peer.py's VALUES. */
#ifndef MP_CONFORMANCE_INTEROP_HELPERS_H
#define MP_CONFORMANCE_INTEROP_HELPERS_H

#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "conn_helpers.h"

/* ---- the interpreters ------------------------------------------------------------------------ */

/* conformance/python/find-pythons prints one interpreter per CPython version found. */
static inline int find_pythons(char found[][PATH_MAX], int max)
{
    FILE *f = popen("conformance/python/find-pythons 2>/dev/null", "r");
    int n = 0;
    while (f && n < max && fgets(found[n], PATH_MAX, f)) {
        found[n][strcspn(found[n], "\n")] = '\0';
        if (found[n][0])
            n++;
    }
    if (f)
        pclose(f);
    return n;
}

/* ---- the values: the same list as conn_peer.py's VALUES --------------------------------------- */

enum { NVALUES = 47 };

static inline mp_obj_t *big_list(void)
{
    mp_obj_t *items[1000];
    for (int i = 0; i < 1000; i++)
        items[i] = mp_int(i);
    mp_obj_t *l = mp_list_new(1000, items);
    for (int i = 0; i < 1000; i++)
        mp_obj_decref(items[i]);
    return l;
}

static inline mp_obj_t *set_of(int frozen, int n, mp_obj_t **items)
{
    mp_obj_t *s = frozen ? mp_frozenset_new((size_t)n, items) : mp_set_new((size_t)n, items);
    for (int i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    return s;
}

static inline void make_values(mp_obj_t **v)
{
    int i = 0;
    v[i++] = mp_none(), v[i++] = mp_bool(1), v[i++] = mp_bool(0);
    const long long small[] = {0, 1, -1, 255, 256, 65535, 65536, 2147483647, -2147483648LL};
    for (size_t k = 0; k < sizeof small / sizeof *small; k++)
        v[i++] = mp_int(small[k]);
    v[i++] = mp_int_from_str("9223372036854775808");
    v[i++] = mp_int_from_str("-9223372036854775809");
    v[i++] = mp_int_from_str("1606938044258990275541962092341162602522202993782792835301376");
    v[i++] = mp_int_from_str("-1606938044258990275541962092341162602522202993782792835301376");
    const double floats[] = {0.0, -0.0, 1.5, -2.25, 1e300, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof floats / sizeof *floats; k++)
        v[i++] = mp_float(floats[k]);
    v[i++] = mp_str(""), v[i++] = mp_str("ascii"), v[i++] = mp_str("h\xc3\xa9llo");
    v[i++] = mp_str("\xe4\xb8\xad\xe6\x96\x87"), v[i++] = mp_str("\xf0\x9f\x98\x80");
    v[i++] = mp_str_n("a\0b", 3);
    v[i++] = mp_bytes("", 0), v[i++] = mp_bytes("\0\xff"
                                                "abc",
                                                5);
    v[i++] = mp_bytearray("xy", 2), v[i++] = mp_bytearray("", 0);
    v[i++] = mp_build("()"), v[i++] = mp_build("(i)", 1);
    v[i++] = mp_build("(is(dN))", 1, "two", 3.0, mp_none());
    v[i++] = mp_build("[]"), v[i++] = mp_build("[i[i[i]]]", 1, 2, 3);
    v[i++] = mp_build("{}"), v[i++] = mp_build("{s:i,s:[ii]}", "a", 1, "b", 2, 3);
    v[i++] = mp_build("{i:s,(ii):y#}", 1, "x", 1, 2, "y", (size_t)1);
    v[i++] = set_of(0, 0, NULL);
    v[i++] = set_of(0, 3, (mp_obj_t *[]){mp_int(1), mp_int(2), mp_int(3)});
    v[i++] = set_of(1, 0, NULL);
    v[i++] = set_of(1, 1, (mp_obj_t *[]){mp_str("x")});
    mp_obj_t *shared = mp_build("[ii]", 1, 2);
    v[i++] = mp_build("[NN]", mp_obj_incref(shared), shared);
    v[i++] = mp_build("{s:N}", "big", big_list());
    ck_assert_int_eq(i, NVALUES);
    for (int k = 0; k < NVALUES; k++)
        ck_assert_ptr_nonnull(v[k]);
}

static inline void free_values(mp_obj_t **v)
{
    for (int k = 0; k < NVALUES; k++)
        mp_obj_decref(v[k]);
}

/* Equal as Python's ==, and for floats bit for bit (so -0.0 and 0.0 differ). */
static inline void assert_same(const mp_obj_t *got, const mp_obj_t *want, int k, const char *python)
{
    char *g = mp_repr(got), *w = mp_repr(want);
    int same = mp_obj_equal(got, want) &&
               strcmp(mp_type_name(mp_obj_type(got)), mp_type_name(mp_obj_type(want))) == 0;
    if (same && mp_obj_type(want) == MP_TYPE_FLOAT)
        same = signbit(mp_float_value(got)) == signbit(mp_float_value(want));
    ck_assert_msg(same, "%s: value %d: got %s, expected %s", python, k, g, w);
    free(g);
    free(w);
}

static inline int pythons_or_skip(const char *test, const char *peer, char found[][PATH_MAX])
{
    int n = find_pythons(found, 12);
    if (n == 0 || access(peer, R_OK) != 0) {
        char why[PATH_MAX + 16];
        snprintf(why, sizeof why, "%s not found", n == 0 ? "python3 on PATH" : peer);
        mp_skip(test, why);
        return 0;
    }
    for (int i = 0; i < n; i++)
        printf("%s: ran with %s\n", test, found[i]);
    return n;
}

#endif
