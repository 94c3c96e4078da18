/* Suite "Errors": the code table of errors.h (the docs' Errors page): every code has a distinct
 * value, a name, a message and its Python counterpart; unknown codes are named as such. And the
 * two Misc cases of the catalogue (the docs' Spec page) that concern errors and timeouts. */
#include <sys/socket.h>

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
    {MP_ERUNTIME, "MP_ERUNTIME", "RuntimeError"},
    {MP_ECHILD, "MP_ECHILD", "ChildProcessError"},
    {MP_EOWNERDEAD, "MP_EOWNERDEAD", ""},
    {MP_ETASK, "MP_ETASK", "Exception"},
    {MP_EWORKERLOST, "MP_EWORKERLOST", ""},
    {MP_ESTOP, "MP_ESTOP", "StopIteration"},
    {MP_EINDEX, "MP_EINDEX", "IndexError"},
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

/* MISC-03: CPython's multiprocessing.TimeoutError and BufferTooShort are ProcessError
 * subclasses, and that TimeoutError is not the builtin one (an OSError). libmp has no classes;
 * what mp_exception_name() reports must say the same: a message too long for the buffer is
 * BufferTooShort (multiprocessing's, unqualified as CPython exports it), and a timed wait is
 * never reported as the builtin TimeoutError, nor as any OSError: it is the False or None that
 * multiprocessing's calls return. The codes that stand for OSError are those of the system. */
START_TEST(MISC_03_exception_hierarchy_reported)
{
    ck_assert_str_eq(mp_exception_name(MP_EMSGSIZE), "BufferTooShort");
    ck_assert_str_eq(mp_exception_name(MP_ETIMEDOUT), "False / None (timed out)");
    static const int codes[] = {
#define X(name, value, msg, py) MP_##name,
        MP_ERRNO_MAP(X)
#undef X
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        const char *py = mp_exception_name(codes[i]);
        ck_assert_msg(strcmp(py, "TimeoutError") != 0, "%s reported as the builtin TimeoutError",
                      mp_err_name(codes[i]));
        if (strcmp(py, "OSError") == 0 || strcmp(py, "BrokenPipeError") == 0)
            ck_assert_msg(codes[i] > -4000 || codes[i] == MP_EDIRECTION,
                          "%s: an OSError that is neither errno's nor a wrong-direction end",
                          mp_err_name(codes[i]));
    }
}
END_TEST

/* MISC-04: a global socket timeout (Python's socket.setdefaulttimeout(0.1)) does not make a
 * Pipe's blocking recv give up: the value sent after a second still arrives. The C counterpart
 * of that default is a receive and a send timeout on the sockets themselves (SO_RCVTIMEO,
 * SO_SNDTIMEO), which make read(2) fail with EAGAIN after 0.1 s; the receive must go on
 * waiting. */
static int err_send_after_a_second(mp_obj_t *a)
{
    sleep_s(1.0);
    mp_obj_t *v = mp_int(42);
    int rc = mp_conn_send(arg_conn(a, 0), v);
    mp_obj_decref(v);
    return rc == 0 ? 0 : 1;
}
JOB(err_send_after_a_second);

START_TEST(MISC_04_socket_timeouts_do_not_affect_pipe_recv)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    struct timeval tv = {0, 100000};
    for (int i = 0; i < 2; i++) {
        int fd = mp_conn_fileno(i ? b : a);
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
    }
    mp_process_t *p = GO(err_send_after_a_second, mp_build("(N)", mp_conn_obj(b)));
    mp_obj_t *v = NULL;
    double t0 = now_s();
    ck_assert_mp(mp_conn_recv(a, &v), 0);
    ck_assert_msg(now_s() - t0 >= 0.9, "recv returned after %.3f s", now_s() - t0);
    int64_t n = 0;
    ck_assert_mp(mp_int_as_int64(v, &n), 0);
    ck_assert_int_eq(n, 42);
    mp_obj_decref(v);
    int code = -1;
    ck_assert_mp(mp_process_join(p, 30), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 0);
    mp_process_free(p);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

Suite *mp_suite_errors(void)
{
    Suite *s = suite_create("Errors");
    TCase *tc = mp_tcase("table", 5);
    tcase_add_test(tc, errors_names_messages_exceptions);
    tcase_add_test(tc, errors_codes_distinct);
    tcase_add_test(tc, errors_errmsg_is_per_thread_detail);
    tcase_add_test(tc, MISC_03_exception_hierarchy_reported);
    tcase_add_test(tc, MISC_04_socket_timeouts_do_not_affect_pipe_recv);
    suite_add_tcase(s, tc);
    return s;
}
