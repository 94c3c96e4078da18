/* Suite "Object", scalars: exact big ints (decimal text and two's complement, pickle's LONG
 * lengths), float bits and conversions, and str's UTF-8 validation and surrogates. */
#include "object_helpers.h"

TCase *mp_tcase_object_scalar(void);

/* ===== int, float, str ======================================================================= */

START_TEST(LIBMP_OBJ_15_int_big_decimal_round_trip)
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
START_TEST(LIBMP_OBJ_16_int_big_twos_complement)
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

/* Minimal lengths as pickle's encode_long gives them (Lib/pickle.py), and LONG1 payloads
 * CPython writes for 2**31 and -2**31 - 1. */
START_TEST(LIBMP_OBJ_17_int_pickle_lengths)
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

START_TEST(LIBMP_OBJ_18_int_decimal_syntax_and_ranges)
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
START_TEST(LIBMP_OBJ_19_int_to_double)
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

START_TEST(LIBMP_OBJ_20_float_bits_kept)
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

START_TEST(LIBMP_OBJ_21_str_utf8_validation)
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

START_TEST(LIBMP_OBJ_22_str_surrogates_and_lengths)
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

TCase *mp_tcase_object_scalar(void)
{
    TCase *tc = mp_tcase("Scalars", 10);
    tcase_add_test(tc, LIBMP_OBJ_15_int_big_decimal_round_trip);
    tcase_add_test(tc, LIBMP_OBJ_16_int_big_twos_complement);
    tcase_add_test(tc, LIBMP_OBJ_17_int_pickle_lengths);
    tcase_add_test(tc, LIBMP_OBJ_18_int_decimal_syntax_and_ranges);
    tcase_add_test(tc, LIBMP_OBJ_19_int_to_double);
    tcase_add_test(tc, LIBMP_OBJ_20_float_bits_kept);
    tcase_add_test(tc, LIBMP_OBJ_21_str_utf8_validation);
    tcase_add_test(tc, LIBMP_OBJ_22_str_surrogates_and_lengths);
    return tc;
}
