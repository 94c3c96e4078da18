/* Suite "Pickle": recursive and shared values, decoded, compared, printed, freed and encoded
 * back as CPython writes them; sharing costs time linear in the objects, not the paths; decoded
 * values outlive the rest of their result and cross threads. */
#include <pthread.h>

#include "helpers.h"
#include "pickle_canon.h"
#include "pickle_check.h"

static mp_obj_t *loads_lit(const char *p, size_t n)
{
    mp_obj_t *o = NULL;
    ck_assert_mp(mp_pickle_loads(p, n, &o), 0);
    return o;
}
#define LOADS_LIT(lit) loads_lit(lit, sizeof(lit) - 1)

/* t = ([],); t[0].append(t), as CPython 3.11 writes it at protocol 4 (CPython's save_tuple in
 * Lib/pickle.py: the items, then POP and a fetch of the tuple the items memoised). */
#define RECURSIVE_TUPLE1 "\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94h\x00\x85\x94" "a0h\x01."

START_TEST(PICKLE_13_recursive_values)
{
    mp_obj_t *l = LOADS_LIT("\x80\x04]\x94h\x00" "a.");
    ck_assert_ptr_eq(mp_list_get(l, 0), l);
    ck_assert_uint_eq(mp_obj_refcount(l), 1);
    char *r = mp_repr(l);
    ck_assert_str_eq(r, "[[...]]");
    free(r);
    ck_assert_dumps(l, -1, "\x80\x04]\x94h\x00" "a.");
    check_round_trips(l);
    mp_obj_decref(l);

    mp_obj_t *t = LOADS_LIT(RECURSIVE_TUPLE1), *t2 = LOADS_LIT(RECURSIVE_TUPLE1);
    mp_obj_t *inner = mp_tuple_get(t, 0);
    ck_assert_ptr_eq(mp_list_get(inner, 0), t);
    r = mp_repr(t);
    ck_assert_str_eq(r, "([(...)],)");
    free(r);
    ck_assert(mp_obj_equal(t, t2));
    ck_assert_mp(mp_obj_hash(t, NULL), MP_EINVAL);
    ck_assert_dumps(t, -1, "\x80\x04]\x94h\x00\x85\x94" "a0h\x01.");
    ck_assert_dumps(t, 0, "((lp0\n(g0\ntp1\na00g1\n.");
    check_round_trips(t);
    /* a reference to a part keeps the whole value */
    mp_obj_incref(inner);
    mp_obj_decref(t);
    ck_assert_uint_eq(mp_obj_refcount(inner), 1);
    ck_assert_ptr_eq(mp_tuple_get(mp_list_get(inner, 0), 0), inner);
    mp_obj_decref(inner);
    mp_obj_decref(t2);

    mp_obj_t *d = LOADS_LIT("\x80\x04}\x94\x8c\x04self\x94h\x00s."), *e;
    ck_assert_ptr_eq(mp_dict_get_str(d, "self"), d);
    r = mp_repr(d);
    ck_assert_str_eq(r, "{'self': {...}}");
    free(r);
    e = LOADS_LIT("\x80\x04}\x94\x8c\x04self}\x94\x8c\x04self\x94h\x01ss.");
    ck_assert(mp_obj_equal(d, e)); /* {'self': d} unfolds as d does */
    mp_obj_decref(e);
    e = LOADS_LIT("\x80\x04}\x94\x8c\x04self}\x94\x8c\x04self\x94K\x01ss.");
    ck_assert(!mp_obj_equal(d, e));
    mp_obj_decref(e);
    check_round_trips(d);
    mp_obj_decref(d);
}
END_TEST

/* Two cycles sharing a list, a cycle reached twice, a value keeping a cycle it does not
 * belong to: each part comes back with its sharing, and is freed (the sanitize run). */
START_TEST(PICKLE_14_recursive_shapes)
{
    /* a = []; b = [a]; a.append(b); a.append(a); [a, b, (a,)] */
    mp_obj_t *v = LOADS_LIT("\x80\x04](]\x94]\x94h\x00" "a0h\x01" "ah\x00" "ah\x01h\x00\x85" "e.");
    char *c = pickle_canon(v);
    ck_assert_str_eq(c, "[[[@/0],@/0],@/0/0,(@/0)]");
    free(c);
    mp_obj_t *a = mp_list_get(v, 0);
    ck_assert_ptr_eq(mp_list_get(a, 1), a);
    ck_assert_ptr_eq(mp_list_get(mp_list_get(a, 0), 0), a);
    check_round_trips(v);
    mp_obj_incref(a);
    mp_obj_decref(v);
    ck_assert_uint_eq(mp_obj_refcount(a), 1);
    mp_obj_decref(a);
    /* a chain of 5000 lists closed into a ring */
    size_t n = 5000;
    char *p = malloc(8 * n + 16), *q = p;
    q += sprintf(q, "\x80\x04");
    for (size_t i = 0; i < n; i++)
        *q++ = ']', *q++ = (char)0x94;
    *q++ = 'j', memcpy(q, "\0\0\0\0", 4), q += 4; /* the first list */
    for (size_t i = 0; i < n; i++)
        *q++ = 'a';
    *q++ = '.';
    mp_pickle_limits_t lim = MP_PICKLE_LIMITS_DEFAULT;
    lim.max_depth = n + 1;
    mp_obj_t *ring = NULL;
    ck_assert_mp(mp_pickle_loads_ex(p, (size_t)(q - p), &lim, &ring), 0);
    mp_obj_t *x = ring;
    for (size_t i = 0; i < n; i++)
        x = mp_list_get(x, 0);
    ck_assert_ptr_eq(x, ring); /* round the ring */
    mp_obj_decref(ring);
    ck_assert_mp(mp_pickle_loads_ex(p, (size_t)(q - p), NULL, &ring), MP_EDECODE);
    /* l = [t], t = ((((l, l, 13),),) ...) 995 deep: a recursive tuple is written inside itself
     * once, so its pickle opens twice as many MARKs at protocols 0 and 1 (found by the fuzzer) */
    q = p;
    q += sprintf(q, "((lp0\n(g0\ng0\nI13\nt");
    memset(q, 0x85, 995);
    q += 995;
    q += sprintf(q, "p1\na00g1\n.");
    ck_assert_mp(mp_pickle_loads(p, (size_t)(q - p), &ring), 0);
    check_round_trips(ring);
    mp_obj_decref(ring);
    free(p);
}
END_TEST

/* [a, a] where a = [b, b], b = [c, c]... 64 levels: 2**64 paths, 64 lists. Pickling,
 * unpickling and == take time linear in the lists, not in the paths (the tcase's timeout). */
static mp_obj_t *doubling(int levels)
{
    mp_obj_t *a = mp_build("[s]", "leaf");
    for (int i = 0; i < levels; i++) {
        mp_obj_t *b = mp_build("[OO]", a, a);
        mp_obj_decref(a);
        a = b;
    }
    return a;
}

START_TEST(PICKLE_16_shared_values_stay_linear)
{
    mp_obj_t *a = doubling(64), *b = doubling(64), *c = doubling(63);
    ck_assert(mp_obj_equal(a, b));
    ck_assert(!mp_obj_equal(a, c));
    void *out;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(a, -1, &out, &len), 0);
    ck_assert_uint_lt(len, 64 * 8 + 32);
    mp_obj_t *back = NULL;
    ck_assert_mp(mp_pickle_loads(out, len, &back), 0);
    ck_assert(mp_obj_equal(a, back));
    ck_assert_ptr_eq(mp_list_get(back, 0), mp_list_get(back, 1));
    free(out);
    mp_obj_decref(back);
    mp_obj_decref(a);
    mp_obj_decref(b);
    mp_obj_decref(c);
}
END_TEST

/* Decoded values are carved from slabs shared by many objects (lib/src/object_slab.c): parts
 * kept after the rest is gone, and values dropped by other threads while this one decodes,
 * must all stay sound (the sanitize run checks the memory). */
static void *drop_all(void *arg)
{
    mp_obj_t **v = arg;
    for (int i = 0; i < 64; i++)
        mp_obj_decref(v[i]);
    return NULL;
}

START_TEST(PICKLE_17_values_outlive_and_cross_threads)
{
    mp_obj_t *items[3000];
    for (int i = 0; i < 3000; i++)
        items[i] = mp_build("(is)", i * 1000, "x");
    mp_obj_t *list = mp_list_new(3000, items);
    for (int i = 0; i < 3000; i++)
        mp_obj_decref(items[i]);
    void *data;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(list, -1, &data, &len), 0);
    mp_obj_t *kept[4];
    pthread_t th[4];
    mp_obj_t *batch[4][64];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 64; i++)
            ck_assert_mp(mp_pickle_loads(data, len, &batch[round][i]), 0);
        kept[round] = mp_obj_incref(mp_list_get(batch[round][0], 2999));
        ck_assert_int_eq(pthread_create(&th[round], NULL, drop_all, batch[round]), 0);
    }
    for (int round = 0; round < 4; round++)
        ck_assert_int_eq(pthread_join(th[round], NULL), 0);
    for (int round = 0; round < 4; round++) {
        ck_assert(mp_obj_equal(kept[round], mp_list_get(list, 2999)));
        mp_obj_decref(kept[round]);
    }
    free(data);
    mp_obj_decref(list);
}
END_TEST

TCase *mp_tcase_pickle_recursive(void);
TCase *mp_tcase_pickle_recursive(void)
{
    TCase *tc = mp_tcase("recursive", 30);
    tcase_add_test(tc, PICKLE_13_recursive_values);
    tcase_add_test(tc, PICKLE_14_recursive_shapes);
    tcase_add_test(tc, PICKLE_16_shared_values_stay_linear);
    tcase_add_test(tc, PICKLE_17_values_outlive_and_cross_threads);
    return tc;
}
