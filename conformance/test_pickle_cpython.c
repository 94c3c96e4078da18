/* Suite "Pickle": the round trip through real CPython.
 *
 * Every value of the vectors (decoded) and a set built here (ints around every opcode's
 * boundary and random big ones, random float bit patterns, text with every kind of
 * character, bytes, containers, sharing, recursion) is pickled by libmp at each protocol;
 * python3.N loads each pickle and sends back pickle.dumps of what it got, at a protocol that
 * varies from line to line; libmp reads that and the canonical text must be the one it
 * started from. Run with each CPython >= 3.8 that conformance/python/find-pythons finds; an
 * interpreter that is absent, or present but does not run (a pyenv shim for a version that is
 * not selected), is a skip with that reason. */
#include <stdint.h>
#include <sys/wait.h>

#include "helpers.h"
#include "pickle_canon.h"
#include "pickle_vectors.h"

/* The interpreters to run against: one per CPython version that conformance/python/find-pythons
 * finds (on PATH, or in pyenv's tree), read when the suite is built; "python3" if it finds none,
 * so that the test still says why it cannot run. */
enum { MAX_PYTHONS = 16 };
static char pythons[MAX_PYTHONS][512];
static int npythons;

static void find_pythons(void)
{
    FILE *f = popen("conformance/python/find-pythons 2>/dev/null", "r");
    while (f && npythons < MAX_PYTHONS && fgets(pythons[npythons], sizeof pythons[0], f)) {
        pythons[npythons][strcspn(pythons[npythons], "\n")] = '\0';
        if (pythons[npythons][0])
            npythons++;
    }
    if (f)
        pclose(f);
    if (npythons == 0)
        snprintf(pythons[npythons++], sizeof pythons[0], "python3");
}

static const char echo_py[] =
    "import pickle, sys\n"
    "for line in sys.stdin:\n"
    "    proto, data = line.split()\n"
    "    try:\n"
    "        obj = pickle.loads(bytes.fromhex(data))\n"
    "        out = pickle.dumps(obj) if proto == '-1' else pickle.dumps(obj, int(proto))\n"
    "        sys.stdout.write(out.hex() + '\\n')\n"
    "    except Exception as e:\n"
    "        sys.stdout.write('ERR %s: %s\\n' % (type(e).__name__, e))\n";

/* ---- the values ---------------------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static mp_obj_t *float_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return mp_float(d);
}

static size_t add(mp_obj_t **v, size_t n, mp_obj_t *o)
{
    ck_assert_msg(o != NULL, "value %zu: %s", n, mp_errmsg());
    v[n] = o;
    return n + 1;
}

static size_t scalar_values(mp_obj_t **v, size_t n)
{
    static const int64_t ints[] = {0, 1, -1, 255, 256, 65535, 65536, -65536, INT32_MAX,
                                   INT32_MIN, (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1,
                                   INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        n = add(v, n, mp_int(ints[i]));
    unsigned char b[600];
    for (size_t len = 1; len < sizeof b; len = len * 3 + 1) { /* up to 364 bytes: LONG4 */
        for (size_t i = 0; i < len; i++)
            b[i] = (unsigned char)next_random();
        n = add(v, n, mp_int_from_bytes(b, len, 1));
    }
    static const uint64_t floats[] = {0, 0x8000000000000000u, 0x3ff8000000000000u,
                                      0x7ff0000000000000u, 0xfff0000000000000u,
                                      0x7ff8000000000000u, 0xfff8000000000001u, /* NaNs */
                                      0x7ff0000000000001u, 1, 0x7fefffffffffffffu};
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
        n = add(v, n, float_bits(floats[i]));
    for (int i = 0; i < 20; i++)
        n = add(v, n, float_bits(next_random()));
    n = add(v, n, mp_none());
    n = add(v, n, mp_bool(1));
    return add(v, n, mp_bool(0));
}

static size_t text_values(mp_obj_t **v, size_t n)
{
    static const char *const texts[] = {"", "a", "h\xc3\xa9llo", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80", "\\", "\\u0041", "\\\\u0041 \\U",
                                        "a\nb\rc\x1a\x7f", "\xc2\x80\xc3\xbf\xc4\x80"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        n = add(v, n, mp_str(texts[i]));
    n = add(v, n, mp_str_n("a\0b", 3));
    n = add(v, n, mp_str_decode("\xed\xa0\x80x\xed\xbf\xbf", 7, MP_UTF8_SURROGATEPASS));
    char *big = malloc(70000 * 4 + 1);
    size_t k = 0;
    for (uint32_t cp = 1; k < 70000 * 3; cp = (cp * 7 + 13) % 0x10FFFF) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        if (cp < 0x80)
            big[k++] = (char)cp;
        else if (cp < 0x800)
            big[k++] = (char)(0xC0 | cp >> 6), big[k++] = (char)(0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            big[k++] = (char)(0xE0 | cp >> 12), big[k++] = (char)(0x80 | (cp >> 6 & 0x3F)),
            big[k++] = (char)(0x80 | (cp & 0x3F));
        else
            big[k++] = (char)(0xF0 | cp >> 18), big[k++] = (char)(0x80 | (cp >> 12 & 0x3F)),
            big[k++] = (char)(0x80 | (cp >> 6 & 0x3F)), big[k++] = (char)(0x80 | (cp & 0x3F));
    }
    n = add(v, n, mp_str_n(big, k));
    free(big);
    unsigned char bytes[300];
    for (int i = 0; i < 300; i++)
        bytes[i] = (unsigned char)i;
    n = add(v, n, mp_bytes(bytes, 256));
    n = add(v, n, mp_bytes(NULL, 0));
    n = add(v, n, mp_bytearray(bytes, 300));
    return add(v, n, mp_bytearray(NULL, 0));
}

static size_t container_values(mp_obj_t **v, size_t n)
{
    mp_obj_t *shared = mp_build("[is]", 1, "x"), *ba = mp_bytearray("q", 1);
    mp_obj_t *t = mp_build("(sd)", "t", 2.5);
    mp_obj_t *items[4] = {mp_int(1), mp_str("s"), mp_build("(ii)", 2, 3),
                          mp_frozenset_new(0, NULL)};
    n = add(v, n, mp_build("[OOOO(OO)]", shared, shared, ba, ba, t, t));
    n = add(v, n, mp_build("{s:O,s:[O],s:N}", "a", shared, "b", shared, "c",
                           mp_set_new(4, items)));
    n = add(v, n, mp_build("(N)", mp_frozenset_new(4, items)));
    n = add(v, n, mp_build("{i:s,O:s,d:s,y#:s}", 1, "int", t, "tuple", 1.5, "float", "k",
                           (size_t)1, "bytes"));
    n = add(v, n, mp_build("(()(i)(ii)(iii)(iiii)[][i][ii]{})", 1, 1, 2, 1, 2, 3, 1, 2, 3, 4, 1,
                           1, 2));
    mp_obj_t *deep = mp_build("[]");
    for (int i = 0; i < 200; i++)
        deep = mp_build("[N]", deep);
    n = add(v, n, deep);
    mp_obj_t **many = malloc(2500 * sizeof *many);
    for (int i = 0; i < 2500; i++)
        many[i] = mp_int(i * 7919 - 5000000);
    n = add(v, n, mp_list_new(2500, many));
    for (int i = 0; i < 2500; i++)
        mp_obj_decref(many[i]);
    free(many);
    for (int i = 0; i < 4; i++)
        mp_obj_decref(items[i]);
    mp_obj_decref(shared);
    mp_obj_decref(ba);
    mp_obj_decref(t);
    return n;
}

/* What CPython wrote for the vectors (protocol 4 rows), decoded: recursion included. */
static size_t vector_values(mp_obj_t **v, size_t n, size_t max)
{
    pv_file_t f;
    pv_load(&f, "vectors.tsv");
    if (!f.n)
        printf("PICKLE_15: the vectors are missing (%s): only the values built here\n", f.why);
    for (size_t i = 0; i < f.n && n < max; i++) {
        if (strcmp(f.row[i].f[1], "4"))
            continue;
        size_t len;
        unsigned char *data = pickle_unhex(f.row[i].f[2], &len);
        mp_obj_t *o = NULL;
        ck_assert_mp(mp_pickle_loads(data, len, &o), 0);
        n = add(v, n, o);
        free(data);
    }
    free(f.row);
    free(f.text);
    return n;
}

/* ---- one interpreter ----------------------------------------------------------------------- */

/* Runs `python -c script` with stdin and stdout on files; returns its exit status, or -1. */
static int run_python(const char *python, const char *script, const char *in, const char *out)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_TRUNC);
        if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0)
            _exit(126);
        execlp(python, python, "-c", script, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The interpreter's version ("3.11.7"), or the reason it cannot run, in buf. */
static int probe(const char *python, char *buf, size_t size)
{
    char in[] = "/tmp/mp-pickle-in-XXXXXX", out[] = "/tmp/mp-pickle-out-XXXXXX";
    close(mkstemp(in));
    close(mkstemp(out));
    int rc = run_python(python, "import sys; print('%d.%d.%d' % sys.version_info[:3])", in, out);
    FILE *f = fopen(out, "r");
    buf[0] = '\0';
    if (f && fgets(buf, (int)size, f))
        buf[strcspn(buf, "\n")] = '\0';
    if (f)
        fclose(f);
    unlink(in);
    unlink(out);
    if (rc == 127 && !buf[0])
        snprintf(buf, size, "not on PATH");
    return rc;
}

/* Protocols 0/1 write ints as text, which CPython reads up to 4300 digits. */
static int long_digits(const char *canon)
{
    int longest = 0;
    for (const char *p = strstr(canon, "i:"); p; p = strstr(p + 2, "i:")) {
        int k = (int)strspn(p + 2 + (p[2] == '-'), "0123456789");
        longest = k > longest ? k : longest;
    }
    return longest > 4300;
}

typedef struct {
    char *canon;
    int c_proto, py_proto;
} line_t;

/* Writes one input line per value and protocol; returns how many. */
static size_t write_requests(FILE *in, mp_obj_t **v, size_t nv, line_t *lines)
{
    size_t k = 0;
    for (size_t i = 0; i < nv; i++) {
        char *canon = pickle_canon(v[i]);
        for (int cp = -1; cp <= 5; cp++) {
            void *data;
            size_t len;
            int rc = mp_pickle_dumps(v[i], cp, &data, &len);
            if (rc == MP_EENCODE && cp < 2 && cp >= 0 && long_digits(canon))
                continue;
            ck_assert_msg(rc == 0, "value %zu, protocol %d: %s", i, cp, mp_errmsg());
            int pp = (int)((i + (size_t)cp + 1) % 7) - 1;
            if (pp >= 0 && pp < 2 && long_digits(canon))
                pp = -1;
            fprintf(in, "%d ", pp);
            for (size_t j = 0; j < len; j++)
                fprintf(in, "%02x", ((unsigned char *)data)[j]);
            fputc('\n', in);
            free(data);
            lines[k++] = (line_t){strdup(canon), cp, pp};
        }
        free(canon);
    }
    return k;
}

/* Reads Python's answers and compares each with what was sent. */
static void check_answers(FILE *out, const line_t *lines, size_t k, const char *who)
{
    size_t cap = 1 << 20, i = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (i < k && (got = getline(&buf, &cap, out)) > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        ck_assert_msg(strncmp(buf, "ERR", 3), "%s, line %zu (libmp protocol %d): %s", who, i,
                      lines[i].c_proto, buf);
        size_t len;
        unsigned char *data = pickle_unhex(buf, &len);
        mp_obj_t *o = NULL;
        ck_assert_msg(data && mp_pickle_loads(data, len, &o) == 0, "%s, line %zu: %s", who, i,
                      mp_errmsg());
        char *canon = pickle_canon(o);
        int lossy = pickle_canon_has_nan(lines[i].canon) &&
                    (lines[i].c_proto == 0 || lines[i].py_proto == 0);
        ck_assert_msg(lossy || !strcmp(canon, lines[i].canon),
                      "%s, line %zu (libmp protocol %d, CPython protocol %d):\n"
                      " sent %.200s\n got  %.200s",
                      who, i, lines[i].c_proto, lines[i].py_proto, lines[i].canon, canon);
        free(canon);
        mp_obj_decref(o);
        free(data);
        i++;
    }
    ck_assert_msg(i == k, "%s answered %zu of %zu pickles", who, i, k);
    free(buf);
}

START_TEST(PICKLE_15_cpython_round_trip)
{
    const char *python = pythons[_i];
    char version[256], test[64];
    snprintf(test, sizeof test, "PICKLE_15 %.32s", python);
    if (probe(python, version, sizeof version) != 0) {
        char why[400];
        snprintf(why, sizeof why, "%.32s: %s", python,
                 strcmp(version, "not on PATH") ? "on PATH but does not run" : "not on PATH");
        if (strcmp(version, "not on PATH") && version[0])
            snprintf(why + strlen(why), sizeof why - strlen(why), " (%.200s)", version);
        mp_skip(test, why);
        return;
    }
    mp_obj_t **v = malloc(400 * sizeof *v);
    size_t nv = scalar_values(v, 0);
    nv = text_values(v, nv);
    nv = container_values(v, nv);
    nv = vector_values(v, nv, 400);
    line_t *lines = malloc(7 * nv * sizeof *lines);
    char in[] = "/tmp/mp-pickle-in-XXXXXX", out[] = "/tmp/mp-pickle-out-XXXXXX";
    FILE *fin = fdopen(mkstemp(in), "w");
    close(mkstemp(out));
    size_t k = write_requests(fin, v, nv, lines);
    fclose(fin);
    ck_assert_int_eq(run_python(python, echo_py, in, out), 0);
    FILE *fout = fopen(out, "r");
    check_answers(fout, lines, k, python);
    fclose(fout);
    unlink(in);
    unlink(out);
    printf("PICKLE_15: ran with %s (CPython %s): %zu values, %zu pickles each way\n", python,
           version, nv, k);
    for (size_t i = 0; i < k; i++)
        free(lines[i].canon);
    free(lines);
    for (size_t i = 0; i < nv; i++)
        mp_obj_decref(v[i]);
    free(v);
}
END_TEST

/* The versions 3.8 ... 3.14 that none of the interpreters found is: each one is a skip, so
 * that a run says which versions it did not cover. */
static int absent[7], nabsent;

static void find_absent(void)
{
    int have[7] = {0};
    for (int i = 0; i < npythons; i++) {
        char cmd[600], line[32] = "";
        snprintf(cmd, sizeof cmd, "'%.500s' -c 'import sys; print(sys.version_info[1])'",
                 pythons[i]);
        FILE *f = popen(cmd, "r");
        int minor = f && fgets(line, sizeof line, f) ? atoi(line) : 0;
        if (f)
            pclose(f);
        if (minor >= 8 && minor <= 14)
            have[minor - 8] = 1;
    }
    for (int m = 8; m <= 14; m++)
        if (!have[m - 8])
            absent[nabsent++] = m;
}

START_TEST(PICKLE_15_absent_version)
{
    char test[64], why[160];
    snprintf(test, sizeof test, "PICKLE_15 python3.%d", absent[_i]);
    snprintf(why, sizeof why, "no CPython 3.%d found (python3.%d on PATH, or in pyenv's tree): "
                              "not covered by this run", absent[_i], absent[_i]);
    mp_skip(test, why);
}
END_TEST

TCase *mp_tcase_pickle_cpython(void);
TCase *mp_tcase_pickle_cpython(void)
{
    TCase *tc = mp_tcase("cpython", 120);
    find_pythons();
    find_absent();
    tcase_add_loop_test(tc, PICKLE_15_cpython_round_trip, 0, npythons);
    if (nabsent)
        tcase_add_loop_test(tc, PICKLE_15_absent_version, 0, nabsent);
    return tc;
}
