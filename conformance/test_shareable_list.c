/* The SharedMemory suite's ShareableList cases (shareable_list.h): C's own round trip, a child
 * under every start method, lists shared with every CPython found (shm_peer.py's slattach and
 * slcreate modes), and corrupt blocks. */
#include "shm_helpers.h"

/* ---- values ----------------------------------------------------------------------------------- */

/* What C stores: every type, str and bytes of several slot sizes, a str whose UTF-8 is longer
 * than its code points (CPython would size its slot by the latter). `as_read`: as it reads
 * back, b'tail\0' without its NUL, which ShareableList strips. */
static mp_obj_t *c_values(int as_read)
{
    return mp_build(
        "[NOOiiLLddd ssss y#y# s y#y#]", mp_none(), mp_bool(1), mp_bool(0), 0, -1,
        (long long)INT64_MAX, (long long)INT64_MIN, 1.5, -0.0, (double)INFINITY, "", "ascii",
        "h\xc3\xa9llo", "\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x98\x80", "", (size_t)0,
        "\0\xff"
        "abc",
        (size_t)5, "exactly8", "1234567890abcdef", (size_t)16, "tail\0", (size_t)(as_read ? 4 : 5));
}

static const char c_format[] = "xxxxxx?xxxxxxxx?xxxxxxx?qqqqddd8s8s8s16s8s8s16s24s8s";

/* shm_peer.py's SL_VALUES as C reads them back: b'tail\0' loses its NUL, as in CPython. */
static mp_obj_t *py_values(void)
{
    return mp_build("[NOOiiLLdddsssy#y#sy#y#]", mp_none(), mp_bool(1), mp_bool(0), 0, -1,
                    (long long)INT64_MAX, (long long)INT64_MIN, 1.5, -0.0, (double)INFINITY, "",
                    "ascii", "h\xc3\xa9llo", "", (size_t)0,
                    "\0\xff"
                    "abc",
                    (size_t)5, "exactly8", "1234567890abcdef", (size_t)16, "tail", (size_t)4);
}

/* The list's items, as repr() prints a list of them. */
static char *list_repr(const mp_shareable_list_t *sl)
{
    size_t n = mp_shareable_list_len(sl);
    mp_obj_t **items = calloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        ck_assert_mp(mp_shareable_list_get(sl, (long)i, &items[i]), 0);
    mp_obj_t *l = mp_list_new(n, items);
    for (size_t i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    free(items);
    char *r = mp_repr(l);
    mp_obj_decref(l);
    return r;
}

static void assert_item_repr(const mp_shareable_list_t *sl, long i, const char *want)
{
    mp_obj_t *o;
    ck_assert_mp(mp_shareable_list_get(sl, i, &o), 0);
    char *r = mp_repr(o);
    ck_assert_str_eq(r, want);
    free(r);
    mp_obj_decref(o);
}

static void assert_format(const mp_shareable_list_t *sl, const char *want)
{
    char *f;
    ck_assert_mp(mp_shareable_list_format(sl, &f), 0);
    ck_assert_str_eq(f, want);
    free(f);
}

static void set_obj(mp_shareable_list_t *sl, long i, mp_obj_t *v, int rc)
{
    ck_assert_mp(mp_shareable_list_set(sl, i, v), rc);
    mp_obj_decref(v);
}

/* ---- in C ------------------------------------------------------------------------------------- */

static void round_trip(mp_shareable_list_layout_t layout)
{
    mp_obj_t *want = c_values(1), *seq = c_values(0);
    mp_shareable_list_t *sl, *v;
    ck_assert_mp(mp_shareable_list_new_layout(&sl, seq, test_name("l"), layout), 0);
    ck_assert_mp(mp_shareable_list_attach(&v, test_name("l")), 0);
    ck_assert_int_eq(mp_shareable_list_layout(v), layout);
    ck_assert_uint_eq(mp_shareable_list_len(v), 19);
    char *got = list_repr(v), *w = mp_repr(want);
    ck_assert_str_eq(got, w);
    free(got), free(w);
    assert_format(v, c_format);
    assert_item_repr(v, -1, "b'tail'");
    assert_item_repr(v, -19, "None");
    mp_obj_t *o = NULL;
    ck_assert_mp(mp_shareable_list_get(v, 19, &o), MP_EINDEX);
    ck_assert_str_eq(mp_errmsg(), "index out of range");
    ck_assert_mp(mp_shareable_list_get(v, -20, &o), MP_EINDEX);
    ck_assert_ptr_null(o);
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(v);
    mp_shareable_list_free(sl);
    mp_obj_decref(seq);
    mp_obj_decref(want);
}

START_TEST(LIBMP_SHM_11_shareable_list_round_trip)
{
    round_trip(MP_SHAREABLE_LIST_PY39);
    round_trip(MP_SHAREABLE_LIST_PY38);
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new(&sl, NULL, NULL), 0); /* ShareableList() */
    ck_assert_uint_eq(mp_shareable_list_len(sl), 0);
    ck_assert_uint_eq(mp_shared_memory_size(mp_shareable_list_shm(sl)), 16);
    assert_format(sl, "");
    ck_assert_int_eq(strncmp(mp_shareable_list_name(sl), "psm_", 4), 0);
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
    mp_shareable_list_free(NULL);
}
END_TEST

START_TEST(LIBMP_SHM_12_shareable_list_set_count_index)
{
    mp_obj_t *seq = mp_build("[isOy#d]", 7, "abc", mp_bool(1), "0123456789", (size_t)10, 1.0);
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new(&sl, seq, test_name("m")), 0);
    mp_obj_decref(seq);
    assert_format(sl, "q8sxxxxxxx?16sd");
    set_obj(sl, 0, mp_str("12345678"), 0); /* an int's slot holds 8 bytes of str */
    set_obj(sl, 0, mp_str("123456789"), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "bytes/str item exceeds available storage");
    set_obj(sl, 1, mp_none(), 0);
    set_obj(sl, -2, mp_str("h\xc3\xa9"), 0); /* the 16-byte slot keeps its "16s" */
    set_obj(sl, 2, mp_float(2.5), 0);
    set_obj(sl, 5, mp_int(1), MP_EINDEX);
    ck_assert_str_eq(mp_errmsg(), "assignment index out of range");
    assert_format(sl, "8sxxxxxx?xd16sd");
    char *r = list_repr(sl);
    ck_assert_str_eq(r, "['12345678', None, 2.5, 'h\xc3\xa9', 1.0]");
    free(r);
    set_obj(sl, 3, mp_bytes("ab\0\0", 4), 0); /* trailing NULs go, as in CPython */
    assert_item_repr(sl, 3, "b'ab'");
    set_obj(sl, 2, mp_bool(1), 0);
    size_t n = 9;
    mp_obj_t *one = mp_int(1);
    ck_assert_mp(mp_shareable_list_count(sl, one, &n), 0);
    ck_assert_uint_eq(n, 2); /* True == 1 == 1.0 */
    ck_assert_mp(mp_shareable_list_index(sl, one, &n), 0);
    ck_assert_uint_eq(n, 2);
    mp_obj_decref(one);
    mp_obj_t *zz = mp_str("zz");
    ck_assert_mp(mp_shareable_list_index(sl, zz, &n), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "'zz' not in this container");
    mp_obj_decref(zz);
    ck_assert_mp(mp_shareable_list_close(sl), 0);
    mp_obj_t *o;
    ck_assert_mp(mp_shareable_list_get(sl, 0, &o), MP_ECLOSED);
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
}
END_TEST

static void refused(mp_obj_t *item)
{
    mp_shareable_list_t *sl = NULL;
    mp_obj_t *seq = mp_build("[iN]", 1, item);
    ck_assert_mp(mp_shareable_list_new(&sl, seq, NULL), MP_EINVAL);
    ck_assert_ptr_null(sl);
    mp_obj_decref(seq);
}

START_TEST(LIBMP_SHM_13_shareable_list_bad_values)
{
    refused(mp_build("[]"));
    refused(mp_bytearray("x", 1));
    ck_assert_str_eq(mp_errmsg(), "ShareableList: an item of type 'bytearray' cannot be stored "
                                  "(None, bool, int, float, str and bytes can)");
    refused(mp_int_from_str("9223372036854775808"));
    refused(mp_str_decode("\xed\xa0\x80", 3, MP_UTF8_SURROGATEPASS));
    char *big = calloc(9999992, 1); /* its "10000000s" would not fit 8 bytes */
    refused(mp_bytes(big, 9999992));
    free(big);
    mp_shareable_list_t *sl = NULL;
    mp_obj_t *d = mp_build("{}");
    ck_assert_mp(mp_shareable_list_new(&sl, d, NULL), MP_EINVAL);
    ck_assert_mp(mp_shareable_list_new_layout(&sl, NULL, NULL, 7), MP_EINVAL);
    ck_assert_mp(mp_shareable_list_attach(&sl, test_name("n")), MP_ENOENT);
    ck_assert_mp(mp_shareable_list_new(NULL, NULL, NULL), MP_EINVAL);
    mp_obj_decref(d);
}
END_TEST

/* ---- a child under every start method --------------------------------------------------------- */

static int child_mutates(mp_obj_t *a)
{
    mp_shareable_list_t *sl;
    const char *name = NULL;
    mp_obj_t *o = NULL;
    if (mp_parse(arg_at(a, 0), "s", &name) != 0 || mp_shareable_list_attach(&sl, name) != 0)
        return 1;
    int rc = mp_shareable_list_get(sl, 1, &o) != 0 ? 2 : mp_obj_equal(o, arg_at(a, 1)) ? 0 : 3;
    mp_obj_t *s = mp_str("child");
    if (rc == 0 && mp_shareable_list_set(sl, 0, s) != 0)
        rc = 4;
    mp_obj_decref(s);
    mp_obj_decref(o);
    mp_shareable_list_free(sl);
    return rc;
}
JOB(child_mutates);

START_TEST(LIBMP_SHM_14_shareable_list_child)
{
    mp_obj_t *seq = mp_build("[is]", 5, "parent");
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new(&sl, seq, NULL), 0);
    mp_obj_decref(seq);
    mp_process_t *p = GO(child_mutates, mp_build("(ss)", mp_shareable_list_name(sl), "parent"));
    ck_assert_int_eq(finish(p, 10), 0);
    assert_item_repr(sl, 0, "'child'");
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
}
END_TEST

/* ---- CPython ---------------------------------------------------------------------------------- */

static void read_line(FILE *f, char *line, size_t size, const char *python)
{
    ck_assert_msg(fgets(line, (int)size, f) != NULL, "%s printed too little", python);
    line[strcspn(line, "\n")] = '\0';
}

static void cpython_reads(const char *python)
{
    int minor = py_minor(python), io[2];
    mp_obj_t *seq = c_values(0), *read = c_values(1);
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new_layout(&sl, seq, NULL, minor == 8), 0);
    const char *argv[] = {"slattach", mp_shareable_list_name(sl), NULL};
    pid_t pid = run_peer(python, argv, io);
    close(io[1]);
    FILE *f = fdopen(io[0], "r");
    char line[1024], *want = mp_repr(read);
    read_line(f, line, sizeof line, python);
    ck_assert_msg(strcmp(line, want) == 0, "%s read %s", python, line);
    read_line(f, line, sizeof line, python);
    ck_assert_msg(strcmp(line, c_format) == 0, "%s: format %s", python, line);
    ck_assert_msg(status_code(pid_wait(pid)) == 0, "%s: its writes failed", python);
    fclose(f);
    assert_item_repr(sl, 0, "'py'");
    assert_item_repr(sl, 3, "2.5");
    assert_item_repr(sl, 10, "''");
    assert_item_repr(sl, 12, "None");
    assert_format(sl, "8sxxxxxxx?xxxxxxx?dqqqddd8s8sxxxxxx?x16s8s8s16s24s8s");
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
    mp_obj_decref(seq);
    mp_obj_decref(read);
    free(want);
}

static void each_python(const char *test, void (*fn)(const char *python))
{
    char py[12][PATH_MAX];
    int n = pythons_all_or_skip(test, py);
    for (int i = 0; i < n; i++)
        fn(py[i]);
}

START_TEST(LIBMP_SHM_15_cpython_reads_c_shareable_list)
{
    each_python("LIBMP_SHM_15", cpython_reads);
}
END_TEST

/* C's writes to the list CPython made: a str into a bool's slot, an int, a str too long for
 * its slot (refused), None over bytes. */
static void c_mutates(mp_shareable_list_t *sl, mp_obj_t **want)
{
    set_obj(sl, 1, mp_str("C!"), 0);
    set_obj(sl, 3, mp_int(42), 0);
    set_obj(sl, 11, mp_str("too long for eight"), MP_EINVAL);
    set_obj(sl, -1, mp_none(), 0);
    mp_obj_decref(*want);
    *want = mp_build("[NsOiiLLdddsssy#y#sy#N]", mp_none(), "C!", mp_bool(0), 42, -1,
                     (long long)INT64_MAX, (long long)INT64_MIN, 1.5, -0.0, (double)INFINITY, "",
                     "ascii", "h\xc3\xa9llo", "", (size_t)0,
                     "\0\xff"
                     "abc",
                     (size_t)5, "exactly8", "1234567890abcdef", (size_t)16, mp_none());
}

static void c_reads(const char *python)
{
    int io[2];
    const char *argv[] = {"slcreate", NULL};
    pid_t pid = run_peer(python, argv, io);
    FILE *f = fdopen(io[0], "r");
    char name[64], fmt[256], line[1024];
    read_line(f, name, sizeof name, python);
    read_line(f, fmt, sizeof fmt, python);
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_attach(&sl, name), 0);
    ck_assert_int_eq(mp_shareable_list_layout(sl), py_minor(python) == 8);
    assert_format(sl, fmt);
    mp_obj_t *want = py_values();
    char *got = list_repr(sl), *w = mp_repr(want);
    ck_assert_msg(strcmp(got, w) == 0, "%s made %s", python, got);
    free(got), free(w);
    c_mutates(sl, &want);
    char *mine;
    ck_assert_mp(mp_shareable_list_format(sl, &mine), 0);
    ck_assert_int_eq(write(io[1], "\n", 1), 1);
    close(io[1]);
    read_line(f, line, sizeof line, python);
    w = mp_repr(want);
    ck_assert_msg(strcmp(line, w) == 0, "%s then read %s", python, line);
    read_line(f, line, sizeof line, python);
    ck_assert_msg(strcmp(line, mine) == 0, "%s: format %s, C's %s", python, line, mine);
    ck_assert_int_eq(status_code(pid_wait(pid)), 0);
    fclose(f);
    free(w), free(mine);
    mp_obj_decref(want);
    mp_shareable_list_free(sl);
}

START_TEST(LIBMP_SHM_16_c_reads_cpython_shareable_list)
{
    each_python("LIBMP_SHM_16", c_reads);
}
END_TEST

/* ---- corrupt blocks --------------------------------------------------------------------------- */

static unsigned char *raw_of(mp_shareable_list_t *sl)
{
    return mp_shared_memory_buf(mp_shareable_list_shm(sl));
}

static void put64(unsigned char *p, int64_t v)
{
    memcpy(p, &v, 8);
}

/* Attaching with header word `word` (0: the count) set to `v` fails with MP_EDECODE. */
static void header_refused(mp_shareable_list_t *sl, int word, int64_t v)
{
    unsigned char *b = raw_of(sl), saved[8];
    mp_shareable_list_t *x = NULL;
    memcpy(saved, b + 8 * word, 8);
    put64(b + 8 * word, v);
    ck_assert_mp(mp_shareable_list_attach(&x, mp_shareable_list_name(sl)), MP_EDECODE);
    ck_assert_ptr_null(x);
    memcpy(b + 8 * word, saved, 8);
}

START_TEST(LIBMP_SHM_17_shareable_list_corrupt_header)
{
    mp_obj_t *seq = mp_build("[isN]", 1, "abc", mp_none());
    mp_shareable_list_t *sl, *x = NULL;
    ck_assert_mp(mp_shareable_list_new(&sl, seq, test_name("h")), 0);
    mp_obj_decref(seq);
    header_refused(sl, 0, INT64_MAX);
    header_refused(sl, 0, -1);
    header_refused(sl, 0, 4);
    header_refused(sl, 4, (int64_t)1 << 40); /* the end offset */
    header_refused(sl, 4, INT64_MIN);
    header_refused(sl, 2, 4); /* a slot of 4 bytes */
    header_refused(sl, 2, 0); /* and of 0 */
    header_refused(sl, 3, 4); /* offsets going back */
    ck_assert_mp(mp_shareable_list_attach(&x, mp_shareable_list_name(sl)), 0);
    mp_shareable_list_free(x);
    mp_shared_memory_t *tiny;
    ck_assert_mp(mp_shared_memory_new(&tiny, test_name("t"), 1, 4), 0);
    ck_assert_mp(mp_shareable_list_attach(&x, test_name("t")), MP_EDECODE);
    ck_assert_mp(mp_shared_memory_unlink(tiny), 0);
    mp_shared_memory_free(tiny);
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
}
END_TEST

/* Item 0's format (8 bytes at `fmt`) and code (at `code`) set as given: get, set and format
 * fail with MP_EDECODE. */
static void item_refused(mp_shareable_list_t *sl, const char *fmt, size_t len, int code)
{
    unsigned char *b = raw_of(sl);
    size_t formats = 8 * 5 + 24;
    memset(b + formats, 0, 8);
    memcpy(b + formats, fmt, len);
    b[formats + 24] = (unsigned char)code;
    mp_obj_t *o = NULL;
    char *f = NULL;
    size_t n;
    ck_assert_mp(mp_shareable_list_get(sl, 0, &o), MP_EDECODE);
    ck_assert_ptr_null(o);
    ck_assert_mp(mp_shareable_list_count(sl, mp_none(), &n), MP_EDECODE);
    if (code == 0) { /* the format alone is at fault */
        ck_assert_mp(mp_shareable_list_format(sl, &f), MP_EDECODE);
        set_obj(sl, 0, mp_int(1), MP_EDECODE);
    }
    ck_assert_ptr_null(f);
}
#define ITEM_REFUSED(sl, fmt, code) item_refused(sl, fmt, sizeof fmt - 1, code)

START_TEST(LIBMP_SHM_18_shareable_list_corrupt_items)
{
    mp_obj_t *seq = mp_build("[isN]", 1, "abc", mp_none());
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new(&sl, seq, NULL), 0);
    mp_obj_decref(seq);
    ITEM_REFUSED(sl, "zzzzzzzz", 0);
    ITEM_REFUSED(sl, "9s", 0); /* longer than its 8-byte slot */
    ITEM_REFUSED(sl, "s", 0);
    ITEM_REFUSED(sl, "q\0q", 0);
    ITEM_REFUSED(sl, "12345678", 0);
    ITEM_REFUSED(sl, "q", 9); /* no such back-transform */
    ITEM_REFUSED(sl, "q", -1);
    ITEM_REFUSED(sl, "q", 1); /* a str code on an int */
    ITEM_REFUSED(sl, "xxxxxxx?", 2);
    unsigned char *b = raw_of(sl);
    memcpy(b + 8 * 5 + 24, "8s\0\0\0\0\0\0", 8); /* the int's slot read as a str */
    b[8 * 5 + 48] = 1;
    memcpy(b + 8 * 5, "\xff\xfe", 2);
    mp_obj_t *o = NULL;
    ck_assert_mp(mp_shareable_list_get(sl, 0, &o), MP_EDECODE);
    memcpy(b + 8 * 5, "ok\0\0", 4);
    assert_item_repr(sl, 0, "'ok'");
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
}
END_TEST

/* Random bytes written anywhere in a list's block: attaching and reading every item give 0 or
 * an error code, never a crash (the ASan build checks that nothing is read out of the block). */
static void fuzz_once(const unsigned char *good, size_t size, unsigned *seed, const char *name)
{
    mp_shared_memory_t *m;
    ck_assert_mp(mp_shared_memory_new(&m, name, 0, 0), 0);
    unsigned char *b = mp_shared_memory_buf(m);
    memcpy(b, good, size);
    for (int k = rand_r(seed) % 4; k >= 0; k--)
        b[(size_t)rand_r(seed) % size] = (unsigned char)rand_r(seed);
    mp_shareable_list_t *sl;
    int rc = mp_shareable_list_attach(&sl, name);
    ck_assert(rc == 0 || rc == MP_EDECODE);
    for (size_t i = 0; rc == 0 && i < mp_shareable_list_len(sl); i++) {
        mp_obj_t *o = NULL;
        int got = mp_shareable_list_get(sl, (long)i, &o);
        ck_assert(got == 0 || got == MP_EDECODE);
        mp_obj_decref(o);
    }
    char *f = NULL;
    if (rc == 0) {
        int got = mp_shareable_list_format(sl, &f);
        ck_assert(got == 0 || got == MP_EDECODE);
        mp_shareable_list_free(sl);
    }
    free(f);
    mp_shared_memory_free(m);
}

static void fuzz_layout(mp_shareable_list_layout_t layout, unsigned seed)
{
    mp_obj_t *seq = c_values(0);
    mp_shareable_list_t *sl;
    ck_assert_mp(mp_shareable_list_new_layout(&sl, seq, test_name("f"), layout), 0);
    mp_obj_decref(seq);
    size_t size = mp_shared_memory_size(mp_shareable_list_shm(sl));
    unsigned char *good = malloc(size);
    memcpy(good, raw_of(sl), size);
    for (int i = 0; i < 1500; i++)
        fuzz_once(good, size, &seed, test_name("f"));
    free(good);
    ck_assert_mp(mp_shareable_list_unlink(sl), 0);
    mp_shareable_list_free(sl);
}

START_TEST(LIBMP_SHM_19_shareable_list_fuzzed_block)
{
    fuzz_layout(MP_SHAREABLE_LIST_PY39, 1234);
    fuzz_layout(MP_SHAREABLE_LIST_PY38, 5678);
}
END_TEST

void shareable_list_tcases(Suite *s)
{
    TCase *tc = mp_tcase("shareable_list", 30);
    tcase_add_test(tc, LIBMP_SHM_11_shareable_list_round_trip);
    tcase_add_test(tc, LIBMP_SHM_12_shareable_list_set_count_index);
    tcase_add_test(tc, LIBMP_SHM_13_shareable_list_bad_values);
    tcase_add_test(tc, LIBMP_SHM_14_shareable_list_child);
    tcase_add_test(tc, LIBMP_SHM_17_shareable_list_corrupt_header);
    tcase_add_test(tc, LIBMP_SHM_18_shareable_list_corrupt_items);
    tcase_add_test(tc, LIBMP_SHM_19_shareable_list_fuzzed_block);
    suite_add_tcase(s, tc);
    TCase *py = mp_tcase("shareable_list_cpython", 120);
    tcase_add_test(py, LIBMP_SHM_15_cpython_reads_c_shareable_list);
    tcase_add_test(py, LIBMP_SHM_16_c_reads_cpython_shareable_list);
    suite_add_tcase(s, py);
}
