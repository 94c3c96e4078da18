/* Suite "Errors": the code table of errors.h (SPEC 0.4): every code has a distinct value, a name,
 * a message and its Python counterpart; unknown codes are named as such. */
#include "helpers.h"

static const struct {
    int code;
    const char *name, *python;
} table[] = {
    {MP_EAGAIN, "MP_EAGAIN", "False (non-blocking)"},
    {MP_ETIMEDOUT, "MP_ETIMEDOUT", "False / None (timed out)"},
    {MP_EINVAL, "MP_EINVAL", "ValueError"},
    {MP_EPIPE, "MP_EPIPE", "BrokenPipeError"},
    {MP_EBUSY, "MP_EBUSY", "ValueError"},
    {MP_EOVERFLOW, "MP_EOVERFLOW", "ValueError"},
    {MP_EMSGSIZE, "MP_EMSGSIZE", "BufferTooShort"},
    {MP_EOF, "MP_EOF", "EOFError"},
    {MP_EEMPTY, "MP_EEMPTY", "queue.Empty"},
    {MP_EFULL, "MP_EFULL", "queue.Full"},
    {MP_ECLOSED, "MP_ECLOSED", "ValueError"},
    {MP_EDIRECTION, "MP_EDIRECTION", "OSError"},
    {MP_ENOTOWNER, "MP_ENOTOWNER", "AssertionError"},
    {MP_ESTATE, "MP_ESTATE", "AssertionError"},
    {MP_EDAEMON, "MP_EDAEMON", "AssertionError"},
    {MP_EBROKEN, "MP_EBROKEN", "threading.BrokenBarrierError"},
    {MP_EENCODE, "MP_EENCODE", "pickle.PicklingError"},
    {MP_EDECODE, "MP_EDECODE", "pickle.UnpicklingError"},
    {MP_ECHILD, "MP_ECHILD", "ChildProcessError"},
    {MP_EOWNERDEAD, "MP_EOWNERDEAD", ""},
};

START_TEST(errors_names_messages_exceptions)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        ck_assert_int_lt(table[i].code, 0);
        ck_assert_str_eq(mp_err_name(table[i].code), table[i].name);
        ck_assert_str_eq(mp_exception_name(table[i].code), table[i].python);
        ck_assert_str_ne(mp_strerror(table[i].code), "unknown error");
    }
    ck_assert_int_eq(MP_ETIMEDOUT, -ETIMEDOUT); /* errno's codes are -errno */
    ck_assert_int_eq(MP_EEOF, MP_EOF);
    ck_assert_int_lt(MP_EOF, -4000); /* the others sit below -4000, clear of errno */
    ck_assert_str_eq(mp_err_name(0), "MP_OK");
    ck_assert_str_eq(mp_strerror(0), "success");
    ck_assert_str_eq(mp_err_name(-123456), "MP_UNKNOWN");
    ck_assert_str_eq(mp_strerror(-123456), "unknown error");
    ck_assert_str_eq(mp_exception_name(-123456), "");
}
END_TEST

START_TEST(errors_codes_distinct)
{
    int codes[] = {
#define X(name, value, msg, py) MP_##name,
        MP_ERRNO_MAP(X)
#undef X
    };
    size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(codes[i] != codes[j], "%s and %s share a value", mp_err_name(codes[i]),
                          mp_err_name(codes[j]));
}
END_TEST

START_TEST(errors_errmsg_is_per_thread_detail)
{
    mp_process_t *p;
    ck_assert_mp(mp_process_new(&p, NULL, NULL, NULL), 0);
    ck_assert_mp(mp_process_join(p, 0), MP_ESTATE);
    ck_assert_str_eq(mp_errmsg(), "can only join a started process");
    ck_assert_mp(mp_process_join(p, NAN), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "timeout must be a number, not NaN");
    mp_process_free(p);
}
END_TEST

Suite *mp_suite_errors(void)
{
    Suite *s = suite_create("Errors");
    TCase *tc = mp_tcase("table", 5);
    tcase_add_test(tc, errors_names_messages_exceptions);
    tcase_add_test(tc, errors_codes_distinct);
    tcase_add_test(tc, errors_errmsg_is_per_thread_detail);
    suite_add_tcase(s, tc);
    return s;
}
