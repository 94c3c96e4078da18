/* Suite "Pickle": the encoder's arguments and choices, byte for byte where the smallest faithful
 * encoder is fixed (conformance/vectors/README.md, encoder-min.tsv): what is memoised, which
 * protocol the header says, and ints too long for protocol 0/1 text. */
#include "helpers.h"
#include "pickle_check.h"

START_TEST(PICKLE_09_dumps_arguments)
{
    mp_obj_t *o = mp_int(1);
    void *out = (void *)1;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(o, 6, &out, &len), MP_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "protocol"));
    ck_assert_mp(mp_pickle_dumps(o, -2, &out, &len), MP_EINVAL);
    ck_assert_mp(mp_pickle_dumps(NULL, -1, &out, &len), MP_EINVAL);
    ck_assert_mp(mp_pickle_dumps(o, -1, NULL, &len), MP_EINVAL);
    ck_assert_mp(mp_pickle_dumps(o, -1, &out, NULL), MP_EINVAL);
    ck_assert_mp(mp_pickle_loads(NULL, 1, &o), MP_EINVAL);
    ck_assert_mp(mp_pickle_loads("N.", 2, NULL), MP_EINVAL);
    ck_assert_dumps(o, -1, "\x80\x04K\x01.");
    ck_assert_dumps(o, 0, "I1\n.");
    ck_assert_dumps(o, 1, "K\x01.");
    mp_obj_decref(o);
}
END_TEST

/* Memo only for what occurs twice (the encoder-min.tsv rows of conformance/vectors); MEMOIZE
 * right after an opened list. */
START_TEST(PICKLE_10_encoder_sharing)
{
    mp_obj_t *a = mp_build("[ii]", 1, 2);
    mp_obj_t *v = mp_build("[OO]", a, a); /* encoder-min's shared_sublist */
    ck_assert_dumps(v, -1, "\x80\x04](]\x94(K\x01K\x02" "eh\x00" "e.");
    ck_assert_uint_eq(mp_obj_refcount(a), 3);
    ck_assert_dumps(a, -1, "\x80\x04](K\x01K\x02" "e."); /* a third reference, one occurrence */
    check_round_trips(v);
    mp_obj_decref(v);
    mp_obj_t *s = mp_str("shared"); /* shared_str: a short str is written again */
    v = mp_build("[OOO]", s, s, s);
    ck_assert_dumps(v, -1, "\x80\x04](\x8c\x06shared\x8c\x06shared\x8c\x06shared" "e.");
    mp_obj_decref(v);
    mp_obj_decref(s);
    s = mp_str("0123456789012345678901234567890123456789012345678901234567890123"); /* 64 */
    v = mp_build("[OO]", s, s);
    ck_assert_dumps(v, -1, "\x80\x04](\x8c@0123456789012345678901234567890123456789012345678901"
                           "234567890123\x94h\x00" "e.");
    mp_obj_decref(v);
    mp_obj_decref(s);
    mp_obj_t *t = mp_build("(ii)", 1, 2); /* a shared tuple, memoised once made */
    v = mp_build("[OON]", t, t, mp_tuple_new(0, NULL));
    ck_assert_dumps(v, -1, "\x80\x04](K\x01K\x02\x86\x94h\x00)e.");
    ck_assert_dumps(v, 1, "]((K\x01K\x02tq\x00h\x00)e.");
    ck_assert_dumps(v, 0, "(l(I1\nI2\ntp0\nag0\na(ta.");
    check_round_trips(v);
    mp_obj_decref(v);
    mp_obj_decref(t);
    mp_obj_decref(a);
}
END_TEST

/* The header says 4 unless a bytearray needed protocol 5's BYTEARRAY8. */
START_TEST(PICKLE_11_encoder_protocols)
{
    mp_obj_t *v = mp_build("[Y#]", "z", (size_t)1);
    ck_assert_dumps(v, -1, "\x80\x05]\x96\x01\x00\x00\x00\x00\x00\x00\x00z" "a.");
    ck_assert_dumps(v, 4, "\x80\x04]cbuiltins\nbytearray\nC\x01z\x85R" "a.");
    ck_assert_dumps(v, 2, "\x80\x02]c__builtin__\nbytearray\nc_codecs\nencode\nX\x01\x00\x00\x00"
                          "zX\x06\x00\x00\x00latin1\x86R\x85R" "a.");
    check_round_trips(v);
    mp_obj_decref(v);
    v = mp_build("(y#Os)", "\x00\xff", (size_t)2, mp_bool(1), "\xe2\x82\xac\\\n");
    ck_assert_dumps(v, 0, "(c_codecs\nencode\n(V\\u0000\xff\nVlatin1\nt"
                          "RI01\nV\\u20ac\\u005c\\u000a\nt.");
    ck_assert_dumps(v, 3, "\x80\x03" "C\x02\x00\xff\x88X\x05\x00\x00\x00\xe2\x82\xac\\\n\x87.");
    check_round_trips(v);
    mp_obj_decref(v);
    mp_obj_t *items[3] = {mp_int(3), mp_int(1), mp_int(2)};
    v = mp_build("(NN)", mp_set_new(3, items), mp_frozenset_new(0, NULL));
    ck_assert_dumps(v, -1, "\x80\x04\x8f(K\x03K\x01K\x02\x90(\x91\x86.");
    ck_assert_dumps(v, 3, "\x80\x03" "cbuiltins\nset\n](K\x03K\x01K\x02" "e\x85R"
                          "cbuiltins\nfrozenset\n]\x85R\x86.");
    check_round_trips(v);
    for (int i = 0; i < 3; i++)
        mp_obj_decref(items[i]);
    mp_obj_decref(v);
    v = mp_build("{s:d,s:[d]}", "inf", (double)INFINITY, "x", -0.0);
    ck_assert_dumps(v, 0, "(dVinf\nFinf\nsVx\n(lF-0.0\nas.");
    check_round_trips(v);
    mp_obj_decref(v);
}
END_TEST

/* Protocol 0/1 write ints as text, which CPython reads up to 4300 digits. */
START_TEST(PICKLE_12_long_ints_at_old_protocols)
{
    char *digits = malloc(4302);
    memset(digits, '0', 4301);
    digits[0] = '1';
    digits[4301] = '\0';
    mp_obj_t *big = mp_int_from_str(digits); /* 10**4300: 4301 digits */
    digits[4300] = '\0';
    mp_obj_t *ok = mp_int_from_str(digits); /* 10**4299: 4300 digits */
    void *out = NULL;
    size_t len;
    ck_assert_mp(mp_pickle_dumps(big, 0, &out, &len), MP_EENCODE);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "4300"));
    ck_assert_mp(mp_pickle_dumps(big, 1, &out, &len), MP_EENCODE);
    ck_assert_ptr_null(out);
    check_round_trips(ok);
    unsigned char huge[4000];
    memset(huge, 0x5A, sizeof huge);
    mp_obj_t *h = mp_int_from_bytes(huge, sizeof huge, 1); /* LONG4 */
    ck_assert_mp(mp_pickle_dumps(h, 2, &out, &len), 0);
    ck_assert_int_eq(((unsigned char *)out)[2], 0x8b);
    free(out);
    ck_assert_mp(mp_pickle_dumps(h, 0, &out, &len), MP_EENCODE);
    mp_obj_decref(h);
    mp_obj_decref(big);
    mp_obj_decref(ok);
    free(digits);
}
END_TEST

TCase *mp_tcase_pickle_encoder(void);
TCase *mp_tcase_pickle_encoder(void)
{
    TCase *tc = mp_tcase("encoder", 30);
    tcase_add_test(tc, PICKLE_09_dumps_arguments);
    tcase_add_test(tc, PICKLE_10_encoder_sharing);
    tcase_add_test(tc, PICKLE_11_encoder_protocols);
    tcase_add_test(tc, PICKLE_12_long_ints_at_old_protocols);
    return tc;
}
