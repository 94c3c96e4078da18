/* Suite "Object", hostile keys: building a dict or set stays near linear whatever its keys.
 *
 * CPython's hash of numbers is public and easy to make collide: every k * (2**61 - 1) hashes
 * to 0, floats m * 2**e whose residues rotate to the same value collide, and tuples of
 * colliding items collide. A table placed by that hash turns into a list on such keys (a
 * 400 KB pickle held the decoder for seconds). libmp places keys by a keyed hash of their
 * value (lib/src/object_hash.c), so the colliding families must build about as fast as
 * ordinary keys of the same types, through mp_dict_new(), mp_set_new() and mp_pickle_loads().
 *
 * The one ratio assertion of the suites: colliding / ordinary <= 3. The margin: a quadratic
 * table costs 100 to 1000 times the ordinary case at this size, while a linear one measures
 * 0.6 to 1.6 times here (the colliding ints and tuples hold big ints, which cost more to make
 * and to hash); each figure is the thread's CPU time (which a busy machine's other processes
 * do not add to) and the best of five rounds that interleave all the cases, so that a noisy
 * moment hits both sides of a ratio alike. Equal numbers of different types must still meet
 * in one entry, which the first test checks. */
#include <time.h>

#include "object_helpers.h"

TCase *mp_tcase_object_hostile(void);

#define P61 ((((uint64_t)1) << 61) - 1)
#define N_KEYS 30000
#define ROUNDS 5

/* ---- equal numbers of different types meet -------------------------------------------------- */

/* Builds a dict from the pairs (key i -> i) and asserts its size and that each probe finds the
 * value of the first key equal to it. */
static void check_one_entry(mp_obj_t *a, mp_obj_t *b)
{
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    mp_obj_t *keys[] = {a, b}, *vals[] = {mp_int(10), mp_int(20)};
    mp_obj_t *d = mp_dict_new(2, keys, vals);
    char *ra = mp_repr(a), *rb = mp_repr(b);
    ck_assert_msg(mp_dict_size(d) == 1, "{%s, %s} has %zu keys", ra, rb, mp_dict_size(d));
    ck_assert_ptr_eq(mp_dict_get(d, b), vals[1]);
    ck_assert_ptr_eq(mp_dict_get(d, a), vals[1]);
    mp_obj_t *s = mp_set_new(2, keys);
    ck_assert_msg(mp_set_size(s) == 1 && mp_set_contains(s, b) == 1, "set {%s, %s}", ra, rb);
    free(ra), free(rb);
    mp_obj_decref(s);
    mp_obj_decref(d);
    mp_obj_decref(vals[0]), mp_obj_decref(vals[1]);
    mp_obj_decref(a), mp_obj_decref(b);
}

START_TEST(LIBMP_OBJ_34_equal_numbers_share_an_entry)
{
    check_one_entry(mp_int(1), mp_float(1.0));
    check_one_entry(mp_bool(1), mp_int(1));
    check_one_entry(mp_float(1.0), mp_bool(1));
    check_one_entry(mp_int(0), mp_float(-0.0));
    check_one_entry(mp_int(-7), mp_float(-7.0));
    check_one_entry(mp_int(INT64_MIN), mp_float(-0x1p63));
    check_one_entry(mp_int_from_str("9223372036854775808"), mp_float(0x1p63));
    check_one_entry(mp_int_from_str("-1180591620717411303424"), mp_float(-0x1p70));
    check_one_entry(mp_int_from_str(P2P200), mp_float(0x1p200));
    check_one_entry(mp_build("(id)", 1, 2.0), mp_build("(pi)", 1, 2));
    check_one_entry(mp_build("(i(L))", 3, (long long)P61), mp_build("(d(L))", 3.0, (long long)P61));
    check_one_entry(int_set(MP_TYPE_FROZENSET, 2, 1, 2),
                    mp_build("N", int_set(MP_TYPE_FROZENSET, 2, 2, 1)));
    /* Unequal values with one CPython hash stay apart: 2**61 - 1 and 0, 2.0**61 and 1.0. */
    mp_obj_t *keys[] = {mp_int(0),     mp_int((int64_t)P61), mp_float(0x1p61),
                        mp_float(1.0), mp_float(NAN),        mp_float(NAN)};
    mp_obj_t *d = mp_dict_new(6, keys, keys);
    ck_assert_uint_eq(mp_dict_size(d), 6); /* and the two NaNs equal nothing */
    mp_obj_decref(d);
    for (size_t i = 0; i < 6; i++)
        mp_obj_decref(keys[i]);
}
END_TEST

/* ---- the families ------------------------------------------------------------------------- */

/* k * (2**61 - 1) for k = 1..n: all hash to 0. */
static mp_obj_t *colliding_int(size_t k)
{
    unsigned __int128 v = (unsigned __int128)k * P61;
    unsigned char b[17] = {0};
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return mp_int_from_bytes(b, sizeof b, 1);
}

static uint64_t rot61(uint64_t h, unsigned k)
{
    return k ? (((h << k) & P61) | (h >> (61 - k))) : h;
}

/* Fills f[0..n) with distinct floats in groups that share one CPython hash: m * 2**e hashes
 * to m rotated left by e (mod 61) within 61 bits, so for a residue H and each rotation r whose
 * m (H rotated back) fits 53 bits, every e = r (mod 61) in range gives a float of hash H. Odd
 * m only, so that no float comes twice. Returns the hashes' count. */
static size_t colliding_floats(double *f, size_t n)
{
    size_t got = 0, groups = 0;
    for (uint64_t i = 1; got < n; i++, groups++) {
        uint64_t h = (i | i << 22 | i << 44) & P61;
        for (unsigned r = 0; r < 61 && got < n; r++) {
            uint64_t m = rot61(h, (61 - r) % 61);
            if (!(m & 1) || m >> 53)
                continue;
            for (int e = (int)r - 61 * 20; e < 1024 && got < n; e += 61) {
                double x = ldexp((double)m, e);
                if (x != 0 && isfinite(x) && ldexp(x, -e) == (double)m)
                    f[got++] = x;
            }
        }
    }
    return groups;
}

enum { F_INT, F_FLOAT, F_TUPLE, N_FAMILIES };
static const char *const family_name[] = {"ints", "floats", "tuples"};

typedef struct {
    mp_obj_t **keys, **vals, *dict;
    void *pickle;
    size_t len;
    double best[3]; /* mp_dict_new, mp_set_new, mp_pickle_loads: the fastest round, seconds */
} keyset_t;

static mp_obj_t *make_key(int family, int colliding, size_t k, const double *floats)
{
    switch (family) {
    case F_INT:
        return colliding ? colliding_int(k + 1) : mp_int((int64_t)k);
    case F_FLOAT:
        return mp_float(colliding ? floats[k] : (double)k + 0.5);
    default:
        return colliding ? mp_build("(Ni)", colliding_int(k + 1), 0)
                         : mp_build("(LL)", (long long)k, (long long)k + 1);
    }
}

static void keyset_make(keyset_t *ks, int family, int colliding, const double *floats)
{
    ks->keys = malloc(N_KEYS * sizeof *ks->keys);
    ks->vals = malloc(N_KEYS * sizeof *ks->vals);
    ck_assert(ks->keys && ks->vals);
    int64_t first = 0, h;
    for (size_t k = 0; k < N_KEYS; k++) {
        ks->keys[k] = make_key(family, colliding, k, floats);
        ks->vals[k] = mp_none();
        ck_assert_ptr_nonnull(ks->keys[k]);
        ck_assert_mp(mp_obj_hash(ks->keys[k], &h), 0);
        if (k == 0)
            first = h;
        /* The ints are the family CPython itself cannot place: one hash for all. */
        if (colliding && family == F_INT)
            ck_assert_int_eq(h, first);
    }
    ks->dict = mp_dict_new(N_KEYS, ks->keys, ks->vals);
    ck_assert_ptr_nonnull(ks->dict);
    ck_assert_uint_eq(mp_dict_size(ks->dict), N_KEYS);
    ck_assert_mp(mp_pickle_dumps(ks->dict, 4, &ks->pickle, &ks->len), 0);
    for (int i = 0; i < 3; i++)
        ks->best[i] = INFINITY;
}

static void keyset_free(keyset_t *ks)
{
    for (size_t k = 0; k < N_KEYS; k++)
        mp_obj_decref(ks->keys[k]), mp_obj_decref(ks->vals[k]);
    free(ks->keys);
    free(ks->vals);
    free(ks->pickle);
    mp_obj_decref(ks->dict);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One round: each of the three ways of building, timed once; the result is checked. */
static void keyset_round(keyset_t *ks)
{
    double t[4];
    mp_obj_t *d, *s, *l;
    t[0] = cpu_now();
    d = mp_dict_new(N_KEYS, ks->keys, ks->vals);
    t[1] = cpu_now();
    s = mp_set_new(N_KEYS, ks->keys);
    t[2] = cpu_now();
    ck_assert_mp(mp_pickle_loads(ks->pickle, ks->len, &l), 0);
    t[3] = cpu_now();
    ck_assert_uint_eq(mp_dict_size(d), N_KEYS);
    ck_assert_uint_eq(mp_set_size(s), N_KEYS);
    ck_assert_uint_eq(mp_dict_size(l), N_KEYS);
    mp_obj_decref(d), mp_obj_decref(s), mp_obj_decref(l);
    for (int i = 0; i < 3; i++)
        if (t[i + 1] - t[i] < ks->best[i])
            ks->best[i] = t[i + 1] - t[i];
}

START_TEST(LIBMP_OBJ_35_colliding_keys_build_in_linear_time)
{
    static const char *const way[] = {"mp_dict_new", "mp_set_new", "mp_pickle_loads"};
    double *floats = malloc(N_KEYS * sizeof *floats);
    ck_assert_ptr_nonnull(floats);
    size_t groups = colliding_floats(floats, N_KEYS);
    ck_assert_msg(groups * 50 <= N_KEYS, "%zu CPython hashes for %d floats", groups, N_KEYS);
    keyset_t ks[N_FAMILIES][2]; /* [family][colliding] */
    for (int f = 0; f < N_FAMILIES; f++)
        for (int c = 0; c < 2; c++)
            keyset_make(&ks[f][c], f, c, floats);
    for (int r = 0; r < ROUNDS; r++)
        for (int f = 0; f < N_FAMILIES; f++)
            for (int c = 0; c < 2; c++)
                keyset_round(&ks[f][c]);
    printf("LIBMP_OBJ_35: %d keys (colliding floats in %zu CPython hashes), best of %d:\n", N_KEYS,
           groups, ROUNDS);
    for (int f = 0; f < N_FAMILIES; f++) {
        for (int i = 0; i < 3; i++) {
            double col = ks[f][1].best[i], ord = ks[f][0].best[i];
            printf("  %-6s %-16s colliding %7.2f ms, ordinary %7.2f ms: %.2fx\n", family_name[f],
                   way[i], col * 1e3, ord * 1e3, col / ord);
            ck_assert_msg(col <= 3 * ord,
                          "%s, %s: colliding keys took %.2f ms, %.1f times "
                          "the ordinary %.2f ms",
                          family_name[f], way[i], col * 1e3, col / ord, ord * 1e3);
        }
    }
    for (int f = 0; f < N_FAMILIES; f++)
        for (int c = 0; c < 2; c++)
            keyset_free(&ks[f][c]);
    free(floats);
}
END_TEST

TCase *mp_tcase_object_hostile(void)
{
    TCase *tc = mp_tcase("Hostile", 60);
    tcase_add_test(tc, LIBMP_OBJ_34_equal_numbers_share_an_entry);
    tcase_add_test(tc, LIBMP_OBJ_35_colliding_keys_build_in_linear_time);
    return tc;
}
