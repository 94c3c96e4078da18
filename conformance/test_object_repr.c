/* Suite "Object", repr: the text CPython 3.11.7 prints for repr() of each expression of
 * REPR_CASES, and the same checks made against CPython at test time ("python" in the test's name:
 * the table, random doubles, every code point, random two's complement ints). Without python3 on
 * the PATH (or $PYTHON) those print why and pass. */
#include "object_helpers.h"

TCase *mp_tcase_object_repr(void);

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

START_TEST(LIBMP_OBJ_27_repr_table)
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
START_TEST(LIBMP_OBJ_28_repr_float_ignores_locale)
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

START_TEST(LIBMP_OBJ_29_python_repr_table)
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

START_TEST(LIBMP_OBJ_30_python_float_repr)
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
START_TEST(LIBMP_OBJ_31_python_str_repr_all_code_points)
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
START_TEST(LIBMP_OBJ_32_python_int_decimal_and_bytes)
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

TCase *mp_tcase_object_repr(void)
{
    TCase *tc = mp_tcase("Repr", 120);
    tcase_add_test(tc, LIBMP_OBJ_27_repr_table);
    tcase_add_test(tc, LIBMP_OBJ_28_repr_float_ignores_locale);
    tcase_add_test(tc, LIBMP_OBJ_29_python_repr_table);
    tcase_add_test(tc, LIBMP_OBJ_30_python_float_repr);
    tcase_add_test(tc, LIBMP_OBJ_31_python_str_repr_all_code_points);
    tcase_add_test(tc, LIBMP_OBJ_32_python_int_decimal_and_bytes);
    return tc;
}
