/* Suite "Pickle": the codec of mp/pickle.h against what CPython writes and reads.
 *
 * The vectors are CPython's own output (conformance/vectors, read at test time; README.md
 * there defines the canonical text, conformance/pickle_canon.c prints it): every row of
 * vectors.tsv and vectors-p01.tsv must decode to its canonical text, every row of
 * encoder-min.tsv must decode and encode back to exactly its bytes, every row of bad.tsv must
 * be refused (one may be accepted, by the whitelist). Each row is one test; without the
 * vectors each file is one skip, with the reason. The other cases check the limits, the
 * refusals the vectors lack and the NULL policy; each satellite file adds one TCase by concept:
 * the encoder's choices (test_pickle_encoder.c), recursive and shared values
 * (test_pickle_recursive.c), the round trip through real CPython interpreters
 * (test_pickle_cpython.c). */
#include <limits.h>
#include <stdint.h>

#include "helpers.h"
#include "pickle_canon.h"
#include "pickle_vectors.h"

/* ---- the vector files, loaded once by the suite (before the tests fork) --------------------- */

static pv_file_t vec, vec01, encmin, bad;

/* Decodes a row's hex; the test fails on bad hex. */
static unsigned char *row_bytes(const char *hex, size_t *n)
{
    unsigned char *b = pickle_unhex(hex, n);
    ck_assert_msg(b != NULL, "bad hex in the vectors");
    return b;
}

/* Asserts that `hex` decodes to `canon`, whose root has the type `tag`. */
static void check_decodes(const char *id, const char *hex, const char *tag, const char *canon)
{
    size_t n;
    unsigned char *data = row_bytes(hex, &n);
    mp_obj_t *o = NULL;
    int rc = mp_pickle_loads(data, n, &o);
    ck_assert_msg(rc == 0, "%s: %s (%s)", id, mp_err_name(rc), mp_errmsg());
    char *text = pickle_canon(o);
    ck_assert_msg(strcmp(text, canon) == 0, "%s: decoded to\n  %.300s\nexpected\n  %.300s", id,
                  text, canon);
    const char *type = mp_type_name(mp_obj_type(o));
    ck_assert_msg(strcmp(type, "NoneType") ? !strcmp(type, tag) : !strcmp(tag, "none"),
                  "%s: type %s, expected %s", id, type, tag);
    free(text);
    mp_obj_decref(o);
    free(data);
}

/* vectors.tsv, vectors-p01.tsv: id, protocol, hex, type, canonical text. */
START_TEST(PICKLE_01_vectors_decode)
{
    const pv_row_t *r = &vec.row[_i];
    check_decodes(r->f[0], r->f[2], r->f[3], r->f[4]);
}
END_TEST

START_TEST(PICKLE_02_vectors_p01_decode)
{
    const pv_row_t *r = &vec01.row[_i];
    check_decodes(r->f[0], r->f[2], r->f[3], r->f[4]);
}
END_TEST

/* encoder-min.tsv: id, hex, type, canonical. The value the bytes decode to must encode back
 * to the very same bytes, with protocol -1 (4, or 5 for a bytearray). */
START_TEST(PICKLE_03_encoder_min_matched)
{
    const pv_row_t *r = &encmin.row[_i];
    check_decodes(r->f[0], r->f[1], r->f[2], r->f[3]);
    size_t n, len;
    unsigned char *want = row_bytes(r->f[1], &n);
    mp_obj_t *o = NULL;
    void *out = NULL;
    ck_assert_mp(mp_pickle_loads(want, n, &o), 0);
    ck_assert_mp(mp_pickle_dumps(o, -1, &out, &len), 0);
    ck_assert_msg(len == n && !memcmp(out, want, n), "%s: encoded to %zu bytes, expected %zu",
                  r->f[0], len, n);
    free(out);
    mp_obj_decref(o);
    free(want);
}
END_TEST

/* bad.tsv: id, hex, expected (reject | reject-strict), category, CPython's outcome, text. */
START_TEST(PICKLE_04_bad_rejected)
{
    const pv_row_t *r = &bad.row[_i];
    size_t n;
    unsigned char *data = row_bytes(r->f[1], &n);
    mp_obj_t *o = NULL;
    int rc = mp_pickle_loads(data, n, &o);
    if (!strcmp(r->f[2], "reject-strict") && rc == 0) {
        /* the whitelist's bytearray() */
        ck_assert_int_eq(mp_obj_type(o), MP_TYPE_BYTEARRAY);
        ck_assert_int_eq(mp_obj_len(o, &n), 0);
        ck_assert_uint_eq(n, 0);
        mp_obj_decref(o);
    } else {
        ck_assert_msg(rc == MP_EDECODE, "%s (%s): %s, expected MP_EDECODE", r->f[0], r->f[5],
                      mp_err_name(rc));
        ck_assert_ptr_null(o);
        ck_assert_msg(!strncmp(mp_errmsg(), "pickle: ", 8), "%s: message '%s'", r->f[0],
                      mp_errmsg());
    }
    free(data);
}
END_TEST

/* A vector file that could not be read is one skip, with the reason. */
START_TEST(PICKLE_00_vectors_missing)
{
    static const char *const names[] = {"vectors.tsv", "vectors-p01.tsv", "encoder-min.tsv",
                                        "bad.tsv"};
    const pv_file_t *files[] = {&vec, &vec01, &encmin, &bad};
    char test[64];
    snprintf(test, sizeof test, "PICKLE %s", names[_i]);
    mp_skip(test, files[_i]->why);
}
END_TEST

/* ---- refusals and limits beyond bad.tsv ---------------------------------------------------- */

static int loads_bytes(const void *p, size_t n, const mp_pickle_limits_t *lim)
{
    mp_obj_t *o = NULL;
    int rc = mp_pickle_loads_ex(p, n, lim, &o);
    ck_assert_msg((rc == 0) == (o != NULL), "a result only on success");
    mp_obj_decref(o);
    return rc;
}

/* Decodes a string literal (which may hold NUL bytes). */
#define LOADS(lit, lim) loads_bytes(lit, sizeof(lit) - 1, lim)

/* Each must be refused with MP_EDECODE and a message saying what and where. */
START_TEST(PICKLE_05_more_refusals)
{
#define C(lit, says) {lit, sizeof(lit) - 1, says}
    static const struct {
        const char *p;
        size_t n;
        const char *says;
    } cases[] = {
        C("((K\x01.", "2 MARKs still open"),              /* README's mark_not_closed */
        C("\x80\x05K\x01\x98.", "READONLY_BUFFER"),        /* README's readonly_buffer */
        C("\x80\x02K\x01" "2.", "DUP (0x32) at byte 4"),   /* no pickler writes DUP */
        C("\x80\x06N.", "unsupported pickle protocol: 6"),
        C("N\x80\x02.", "PROTO (0x80) at byte 1"),         /* PROTO only first */
        C("\x80\x02h\x00.", "Memo value not found"),
        C("\x80\x02Nq\x01N.", "out of order"),             /* BINPUT 1 before 0 */
        C("\x80\x04}b.", "BUILD (0x62)"),
        C("\x80\x04o.", "OBJ (0x6f)"),
        C("\x80\x02\x82\x01.", "EXT1 (0x82)"),
        C("\x80\x04T\x00\x00\x00\x00.", "BINSTRING"),      /* a Python 2 str */
        C("\x80\x02" "cbui", "no newline"),                /* GLOBAL cut short */
        C("\x80\x02" "cos\nsystem\n", "GLOBAL (0x63) at byte 2: refused: 'os.system'"),
        C("\x80\x04)]\x85\x90.", "ADDITEMS (0x90) at byte 5: could not find MARK"),
        C("\x80\x04\x8c\x08" "builtins\x8c\x03set\x93\x85.", "the callable set used as a value"),
        C("\x80\x04\x8c\x08" "builtins\x8c\x05" "bytes\x93N\x85R.", "bytes called with"),
        C("\x80\x04\x8c\x07_codecs\x8c\x06" "encode\x93\x8c\x03\xe2\x82\xac\x8c\x06latin1\x86R.",
          "not latin-1"),                                  /* _codecs.encode('€', 'latin1') */
        C("\x80\x02\x8a\x01\x01K\x01s.", "SETITEM (0x73) at byte 7"), /* no dict below */
        C("\x80\x02]N\x85]\x85K\x01s.", "SETITEM"),        /* into a tuple */
        C("\x80\x04\x8f(]\x90.", "unhashable type: 'list'"),
        C("\x80\x04(]\x91.", "unhashable type: 'list'"),   /* FROZENSET */
        C("\x80\x04(]\x85\x85\x91.", "unhashable type: 'list'"), /* a tuple holding a list */
        C("\x80\x04\x8c\x02\xed\xa0.", "invalid UTF-8"),   /* a cut surrogate */
        C("\x80\x04\x8c\x04\xf4\x90\x80\x80.", "invalid UTF-8"), /* above U+10FFFF */
        C("V\\ud800\\U00110000\n.", "escape"),             /* out of range */
        C("F0x1p3\n.", "could not convert string to float"), /* hex float */
        C("I0x10\n.", "invalid literal"),
        C("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x80N.", "FRAME"), /* frame too long */
        C("\x80\x04\x8b\x00\x00\x00\x80.", "negative byte count"),
    };
#undef C
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = loads_bytes(cases[i].p, cases[i].n, NULL);
        ck_assert_msg(rc == MP_EDECODE, "case %zu: %s", i, mp_err_name(rc));
        ck_assert_msg(strstr(mp_errmsg(), cases[i].says), "case %zu: '%s' lacks '%s'", i,
                      mp_errmsg(), cases[i].says);
    }
}
END_TEST

/* A list nested n deep, as CPython writes it (EMPTY_LIST n times, APPEND n - 1 times). */
static unsigned char *nested_lists(size_t n, size_t *len)
{
    unsigned char *p = malloc(2 * n + 3);
    size_t k = 0;
    p[k++] = 0x80, p[k++] = 4;
    for (size_t i = 0; i < n; i++)
        p[k++] = ']';
    for (size_t i = 1; i < n; i++)
        p[k++] = 'a';
    p[k++] = '.';
    *len = k;
    return p;
}

START_TEST(PICKLE_06_depth_limit)
{
    mp_pickle_limits_t lim = MP_PICKLE_LIMITS_DEFAULT;
    size_t len;
    mp_obj_t *o = NULL;
    ck_assert_uint_eq(lim.max_depth, 1000);
    unsigned char *p = nested_lists(1000, &len);
    ck_assert_mp(mp_pickle_loads(p, len, &o), 0);
    mp_obj_decref(o);
    free(p);
    p = nested_lists(1001, &len);
    ck_assert_mp(mp_pickle_loads(p, len, &o), MP_EDECODE);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "max_depth"));
    free(p);
    p = nested_lists(100000, &len); /* deep_list_100000 of the README */
    ck_assert_mp(mp_pickle_loads(p, len, &o), MP_EDECODE);
    lim.max_depth = 200000;
    ck_assert_mp(mp_pickle_loads_ex(p, len, &lim, &o), 0);
    mp_obj_decref(o); /* freed without recursion */
    free(p);
    lim.max_depth = 2;
    ck_assert_mp(LOADS("\x80\x04]]]aa.", &lim), MP_EDECODE);
    ck_assert_mp(LOADS("\x80\x04]]a.", &lim), 0);
    ck_assert_mp(LOADS("\x80\x04((((((N", &lim), MP_EDECODE); /* 6 MARKs > 2 x depth + 1 */
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "MARK (0x28) at byte 7"));
}
END_TEST

/* A pickle of bytearray(b) made `copies` times from one memoised 1000-byte b: REDUCE's copies
 * count against the budget like everything else. */
static size_t copies_pickle(unsigned char *p, int copies)
{
    static const char head[] = "\x80\x04" "cbuiltins\nbytearray\n\x94" "0" "B\xe8\x03\x00\x00";
    size_t k = sizeof head - 1;
    memcpy(p, head, k);
    memset(p + k, 'A', 1000);
    k += 1000;
    memcpy(p + k, "\x94" "0(", 3);
    k += 3;
    for (int i = 0; i < copies; i++, k += 6)
        memcpy(p + k, "h\x00h\x01\x85R", 6);
    memcpy(p + k, "t.", 2);
    return k + 2;
}

START_TEST(PICKLE_07_memo_alloc_and_digit_limits)
{
    mp_pickle_limits_t lim = MP_PICKLE_LIMITS_DEFAULT;
    lim.max_memo = 2;
    ck_assert_mp(LOADS("\x80\x04]\x94N\x94N\x94.", &lim), MP_EDECODE);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "max_memo"));
    ck_assert_mp(LOADS("\x80\x04]\x94N\x94" "0.", &lim), 0);

    unsigned char p[1200 + 6 * 40];
    size_t n = copies_pickle(p, 40);
    lim = (mp_pickle_limits_t)MP_PICKLE_LIMITS_DEFAULT;
    lim.max_alloc = 20000;
    ck_assert_mp(loads_bytes(p, n, &lim), MP_EDECODE);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "max_alloc"));
    lim.max_alloc = 200000;
    ck_assert_mp(loads_bytes(p, n, &lim), 0);
    n = copies_pickle(p, 0);
    lim.max_alloc = 1000; /* the 1000-byte bytes alone is over it */
    ck_assert_mp(loads_bytes(p, n, &lim), MP_EDECODE);

    /* text ints: 4300 digits pass, 4301 do not (CPython's own limit) */
    char *text = malloc(4304);
    text[0] = 'L';
    memset(text + 1, '7', 4301);
    memcpy(text + 4302, "\n.", 2);
    ck_assert_mp(loads_bytes(text, 4304, NULL), MP_EDECODE);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "max_int_digits"));
    memcpy(text + 4301, "\n.", 2);
    ck_assert_mp(loads_bytes(text, 4303, NULL), 0);
    free(text);
}
END_TEST

/* A failed decode after a cycle was built must free it (the sanitize run checks for leaks). */
START_TEST(PICKLE_08_failed_cycles_freed)
{
    ck_assert_mp(LOADS("\x80\x04]\x94h\x00" "aN", NULL), MP_EDECODE); /* no STOP */
    ck_assert_mp(LOADS("\x80\x04}\x94(K\x01h\x00uN.", NULL), MP_EDECODE); /* 2 values */
    ck_assert_mp(LOADS("\x80\x04]\x94(]\x94h\x01h\x00" "eh\x01" "a\x99", NULL), MP_EDECODE);
    /* a cycle dropped with POP, then a value: the cycle must go with the memo */
    ck_assert_mp(LOADS("\x80\x04]\x94h\x00" "a0N.", NULL), 0);
}
END_TEST

/* The NULL policy of errors.h for each call of mp/pickle.h: MP_EINVAL, a message naming the
 * call and the argument, and nothing touched. */
START_TEST(PICKLE_18_null_arguments)
{
    mp_obj_t *o = mp_int(7), *got = (mp_obj_t *)&got;
    void *out = &out;
    size_t len = 99;
    mp_pickle_limits_t lim = MP_PICKLE_LIMITS_DEFAULT;
    ck_assert_mp(mp_pickle_dumps(NULL, -1, &out, &len), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_pickle_dumps: obj is NULL");
    ck_assert_mp(mp_pickle_dumps(o, -1, NULL, &len), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_pickle_dumps: out is NULL");
    ck_assert_mp(mp_pickle_dumps(o, -1, &out, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_pickle_dumps: len is NULL");
    ck_assert_ptr_eq(out, &out); /* untouched */
    ck_assert_uint_eq(len, 99);
    ck_assert_mp(mp_pickle_loads("N.", 2, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_pickle_loads: out is NULL");
    ck_assert_mp(mp_pickle_loads(NULL, 2, &got), MP_EINVAL);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "mp_pickle_loads: data is NULL"));
    ck_assert_ptr_eq(got, &got);
    ck_assert_mp(mp_pickle_loads_ex("N.", 2, &lim, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "mp_pickle_loads_ex: out is NULL");
    ck_assert_mp(mp_pickle_loads_ex(NULL, 2, &lim, &got), MP_EINVAL);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "mp_pickle_loads_ex: data is NULL"));
    ck_assert_ptr_eq(got, &got);
    /* NULL data of no bytes is an empty pickle, and NULL limits are the defaults */
    ck_assert_mp(mp_pickle_loads(NULL, 0, &got), MP_EDECODE);
    ck_assert_ptr_null(got);
    ck_assert_mp(mp_pickle_loads_ex("N.", 2, NULL, &got), 0);
    ck_assert_int_eq(mp_obj_type(got), MP_TYPE_NONE);
    mp_obj_decref(got);
    mp_obj_decref(o);
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------------ */

TCase *mp_tcase_pickle_encoder(void);
TCase *mp_tcase_pickle_recursive(void);
TCase *mp_tcase_pickle_cpython(void);

static void add_file(TCase *tc, const TTest *t, pv_file_t *f, const char *name, int i)
{
    pv_load(f, name);
    if (f->n)
        tcase_add_loop_test(tc, t, 0, (int)f->n);
    else
        tcase_add_loop_test(tc, PICKLE_00_vectors_missing, i, i + 1);
}

Suite *mp_suite_pickle(void);
Suite *mp_suite_pickle(void)
{
    Suite *s = suite_create("Pickle");
    TCase *tc = mp_tcase("vectors", 10);
    add_file(tc, PICKLE_01_vectors_decode, &vec, "vectors.tsv", 0);
    add_file(tc, PICKLE_02_vectors_p01_decode, &vec01, "vectors-p01.tsv", 1);
    add_file(tc, PICKLE_03_encoder_min_matched, &encmin, "encoder-min.tsv", 2);
    add_file(tc, PICKLE_04_bad_rejected, &bad, "bad.tsv", 3);
    suite_add_tcase(s, tc);
    tc = mp_tcase("limits", 30);
    tcase_add_test(tc, PICKLE_05_more_refusals);
    tcase_add_test(tc, PICKLE_06_depth_limit);
    tcase_add_test(tc, PICKLE_07_memo_alloc_and_digit_limits);
    tcase_add_test(tc, PICKLE_08_failed_cycles_freed);
    tcase_add_test(tc, PICKLE_18_null_arguments);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_pickle_encoder());
    suite_add_tcase(s, mp_tcase_pickle_recursive());
    suite_add_tcase(s, mp_tcase_pickle_cpython());
    return s;
}
