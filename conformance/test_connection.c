/* Suite "Connection" (CPython's _TestConnection, _TestPoll, TestWait, TestIgnoreEINTR): the
 * catalogue of the docs' Spec page, Pipe and Connection. Each test's name starts with the catalogue
 * id. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conn_helpers.h"

/* A child that sends the bytes of argument 2, `times` (argument 3) times, `delay` (argument 1)
 * seconds after the go of the flag in argument 4, on the end in argument 0;
 * conn_send_later_args() builds them. */
static int conn_send_later(mp_obj_t *a)
{
    mp_conn_t *c = arg_conn(a, 0);
    size_t len = 0;
    const char *text = arg_bytes(a, 2, &len);
    long times = arg_long(a, 3);
    if (!c || !text)
        return 2;
    if (wait_go(a, 4) < 0)
        return 3;
    sleep_s(arg_double(a, 1));
    for (long i = 0; i < times; i++)
        if (mp_conn_send_bytes(c, text, len) < 0)
            return 1;
    return 0;
}
JOB(conn_send_later);

/* `text` (NUL-terminated) on `c`, `delay` seconds after `go` is raised, `times` times. */
static mp_obj_t *conn_send_later_args(mp_conn_t *c, double delay, const char *text, int times,
                                      mp_sem_t *go)
{
    return mp_build("(N d y# i N)", mp_conn_obj(c), delay, text, strlen(text), times,
                    mp_sem_obj(go));
}

START_TEST(PIPE_01_duplex_both_ways)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert(mp_conn_readable(a) && mp_conn_writable(a));
    ck_assert(mp_conn_readable(b) && mp_conn_writable(b));
    mp_obj_t *x = mp_build("(is[d])", 1, "two", 3.5), *y = mp_build("{s:N}", "k", mp_none());
    ck_assert_mp(mp_conn_send(a, x), 0);
    expect_obj(b, x);
    ck_assert_mp(mp_conn_send(b, y), 0);
    expect_obj(a, y);
    mp_obj_decref(x);
    mp_obj_decref(y);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_02_03_simplex)
{
    mp_conn_t *r, *w;
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    ck_assert(mp_conn_readable(r) && !mp_conn_writable(r));
    ck_assert(!mp_conn_readable(w) && mp_conn_writable(w));
    mp_obj_t *one = mp_int(1);
    ck_assert_mp(mp_conn_send(w, one), 0);
    expect_obj(r, one);
    mp_obj_decref(one);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

START_TEST(PIPE_05_wrong_direction)
{
    mp_conn_t *r, *w;
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    mp_obj_t *o;
    void *data;
    size_t len;
    ck_assert_mp(mp_conn_recv(w, &o), MP_EDIRECTION);
    ck_assert_str_eq(mp_errmsg(), "connection is write-only");
    ck_assert_mp(mp_conn_recv_bytes(w, &data, &len, MP_SIZE_NONE), MP_EDIRECTION);
    ck_assert_mp(mp_conn_poll(w, 0), MP_EDIRECTION); /* poll checks readability too */
    ck_assert_mp(mp_conn_send_bytes(r, "x", 1), MP_EDIRECTION);
    ck_assert_str_eq(mp_errmsg(), "connection is read-only");
    mp_obj_t *one = mp_int(1);
    ck_assert_mp(mp_conn_send(r, one), MP_EDIRECTION);
    mp_obj_decref(one);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

START_TEST(PIPE_06_recv_blocks)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_sem_t *go = flag_new();
    mp_process_t *p = START_CHILD(conn_send_later, conn_send_later_args(b, 0.5, "late", 1, go), b);
    double t0 = now_s();
    ck_assert_mp(flag_raise(go), 0);
    expect_bytes(a, "late", 4);
    ck_assert_elapsed(now_s() - t0, 0.5);
    finish_child(p);
    mp_sem_free(go);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_07_08_poll_timeouts)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    double t0 = now_s();
    ck_assert_int_eq(mp_conn_poll(a, 0), 0);
    ck_assert_int_eq(mp_conn_poll(a, -1), 0);
    ck_assert_immediate(now_s() - t0);
    t0 = now_s();
    ck_assert_int_eq(mp_conn_poll(a, 0.3), 0);
    ck_assert_elapsed(now_s() - t0, 0.3);
    ck_assert_mp(mp_conn_poll(a, NAN), MP_EINVAL);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_10_poll_forever)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_sem_t *go = flag_new();
    mp_process_t *p = START_CHILD(conn_send_later, conn_send_later_args(b, 0.5, "x", 1, go), b);
    double t0 = now_s();
    ck_assert_mp(flag_raise(go), 0);
    ck_assert_int_eq(mp_conn_poll(a, MP_FOREVER), 1);
    ck_assert_elapsed(now_s() - t0, 0.5);
    ck_assert_int_eq(mp_conn_poll(a, 0), 1); /* poll consumed nothing */
    expect_bytes(a, "x", 1);
    finish_child(p);
    mp_sem_free(go);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

/* Sends 1 and 2 on the end in argument 0, then closes it. */
static int conn_send_two_and_close(mp_obj_t *a)
{
    mp_conn_t *c = arg_conn(a, 0);
    mp_obj_t *one = mp_int(1), *two = mp_int(2);
    int rc = c && mp_conn_send(c, one) == 0 && mp_conn_send(c, two) == 0 ? 0 : 1;
    if (c)
        mp_conn_close(c);
    mp_obj_decref(one);
    mp_obj_decref(two);
    return rc;
}
JOB(conn_send_two_and_close);

START_TEST(PIPE_11_buffered_then_eof)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_process_t *p = START_CHILD(conn_send_two_and_close, mp_build("(N)", mp_conn_obj(b)), b);
    finish_child(p); /* the child is gone: only buffered messages are left */
    mp_obj_t *one = mp_int(1), *two = mp_int(2), *o;
    expect_obj(a, one);
    expect_obj(a, two);
    for (int i = 0; i < 3; i++)
        ck_assert_mp(mp_conn_recv(a, &o), MP_EOF);
    mp_obj_decref(one);
    mp_obj_decref(two);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_12_eof_is_readable)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_conn_close(b);
    void *data;
    size_t len;
    mp_obj_t *o;
    ck_assert_int_eq(mp_conn_poll(a, 0), 1);
    ck_assert_mp(mp_conn_recv(a, &o), MP_EOF);
    ck_assert_mp(mp_conn_recv_bytes(a, &data, &len, MP_SIZE_NONE), MP_EOF);
    ck_assert_int_eq(mp_conn_poll(a, 0), 1);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_13_simplex_close_then_eof)
{
    mp_conn_t *r, *w;
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    mp_obj_t *x = mp_str("x"), *o;
    ck_assert_mp(mp_conn_send(w, x), 0);
    mp_conn_close(w);
    expect_obj(r, x);
    ck_assert_mp(mp_conn_recv(r, &o), MP_EOF);
    mp_obj_decref(x);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

START_TEST(PIPE_15_own_closed_end)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_int_eq(mp_conn_closed(a), 0);
    ck_assert_mp(mp_conn_close(a), 0);
    ck_assert_int_eq(mp_conn_closed(a), 1);
    mp_obj_t *o, *one = mp_int(1);
    ck_assert_mp(mp_conn_send(a, one), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "handle is closed");
    ck_assert_mp(mp_conn_send_bytes(a, "x", 1), MP_ECLOSED);
    ck_assert_mp(mp_conn_recv(a, &o), MP_ECLOSED);
    ck_assert_mp(mp_conn_poll(a, 0), MP_ECLOSED);
    ck_assert_mp(mp_conn_fileno(a), MP_ECLOSED);
    ck_assert_mp(mp_conn_close(a), 0);
    mp_obj_decref(one);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_16_17_send_to_closed_peer)
{
    /* SIGPIPE keeps its default action here: a write that raised it would kill this test. */
    signal(SIGPIPE, SIG_DFL);
    mp_conn_t *a, *b, *r, *w;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_conn_close(b);
    mp_obj_t *one = mp_int(1);
    ck_assert_mp(mp_conn_send(a, one), MP_EPIPE);
    ck_assert_mp(mp_conn_send_bytes(a, "", 0), MP_EPIPE);
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    mp_conn_close(r);
    ck_assert_mp(mp_conn_send(w, one), MP_EPIPE);
    ck_assert_mp(mp_conn_send_bytes(w, "", 0), MP_EPIPE);
    sigset_t pending;
    sigpending(&pending);
    ck_assert_msg(!sigismember(&pending, SIGPIPE), "a SIGPIPE was left pending");
    mp_obj_decref(one);
    mp_conn_free(a);
    mp_conn_free(b);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

START_TEST(PIPE_18_boundaries)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_mp(mp_conn_send_bytes(b, "a", 1), 0);
    ck_assert_mp(mp_conn_send_bytes(b, "b", 1), 0);
    ck_assert_mp(mp_conn_send_bytes(b, "cd", 2), 0);
    expect_bytes(a, "a", 1);
    expect_bytes(a, "b", 1);
    expect_bytes(a, "cd", 2);
    ck_assert_int_eq(mp_conn_poll(a, 0), 0);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

static const char *const strings[] = {"hello", "", "a", "b", "cd", "", "", "", "e", "", "fg"};
enum { NSTRINGS = sizeof strings / sizeof *strings };

/* Sends `strings`, a pause before every third, then "end", on the end in argument 0. The
 * strings are the program's constants: a spawned child, the same program, has them too. */
static int conn_send_strings(mp_obj_t *a)
{
    mp_conn_t *c = arg_conn(a, 0);
    for (int i = 0; i < NSTRINGS; i++) {
        if (i % 3 == 0)
            sleep_s(0.05);
        if (mp_conn_send_bytes(c, strings[i], strlen(strings[i])) < 0)
            return 1;
    }
    return mp_conn_send_bytes(c, "end", 3) < 0 ? 1 : 0;
}
JOB(conn_send_strings);

START_TEST(PIPE_20_strings_with_delays)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_process_t *p = START_CHILD(conn_send_strings, mp_build("(N)", mp_conn_obj(b)), b);
    for (int i = 0; i <= NSTRINGS; i++) {
        while (mp_conn_poll(a, 0.01) == 0)
            ;
        expect_bytes(a, i < NSTRINGS ? strings[i] : "end", i < NSTRINGS ? strlen(strings[i]) : 3);
    }
    finish_child(p);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

static const char msg26[] = "abcdefghijklmnopqrstuvwxyz";

START_TEST(PIPE_21_send_bytes_ranges)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 5, MP_SIZE_NONE), 0);
    expect_bytes(a, msg26 + 5, 21);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 7, 8), 0);
    expect_bytes(a, msg26 + 7, 8);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 26, MP_SIZE_NONE), 0);
    expect_bytes(a, "", 0);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 26, 0), 0);
    expect_bytes(a, "", 0);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_22_send_bytes_bad_ranges)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 27, MP_SIZE_NONE), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "buffer length < offset");
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 22, 5), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "buffer length < offset + size");
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 26, 1), MP_EINVAL);
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, -1, MP_SIZE_NONE), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "offset is negative");
    ck_assert_mp(mp_conn_send_bytes_ex(b, msg26, 26, 4, -1), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "size is negative");
    ck_assert_int_eq(mp_conn_poll(a, 0), 0); /* nothing was sent */
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_23_maxlength)
{
    mp_conn_t *a, *b, *r, *w;
    void *data;
    size_t len;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_mp(mp_conn_send_bytes(b, "0123456789", 10), 0);
    ck_assert_mp(mp_conn_recv_bytes(a, &data, &len, -1), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "negative maxlength");
    ck_assert_mp(mp_conn_recv_bytes(a, &data, &len, 5), MP_EMSGSIZE);
    ck_assert_str_eq(mp_errmsg(), "bad message length");
    ck_assert_int_eq(mp_conn_readable(a), 0); /* a duplex end becomes write-only */
    ck_assert_mp(mp_conn_recv_bytes(a, &data, &len, MP_SIZE_NONE), MP_EDIRECTION);
    ck_assert_mp(mp_conn_send_bytes(a, "ok", 2), 0);
    ck_assert_mp(mp_pipe(&r, &w, 0), 0);
    ck_assert_mp(mp_conn_send_bytes(w, "0123456789", 10), 0);
    ck_assert_mp(mp_conn_recv_bytes(r, &data, &len, 5), MP_EMSGSIZE);
    ck_assert_int_eq(mp_conn_closed(r), 1); /* a read-only end is closed */
    mp_conn_free(a);
    mp_conn_free(b);
    mp_conn_free(r);
    mp_conn_free(w);
}
END_TEST

START_TEST(PIPE_25_recv_bytes_into)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    int arr[4] = {0, 1, 2, 3}, buf[10] = {0};
    size_t n = 0;
    ck_assert_mp(mp_conn_send_bytes(b, arr, sizeof arr), 0);
    ck_assert_mp(mp_conn_recv_bytes_into(a, buf, sizeof buf, 0, &n, NULL), 0);
    ck_assert_uint_eq(n, 16);
    ck_assert_int_eq(memcmp(buf, arr, sizeof arr), 0);
    ck_assert_mp(mp_conn_send_bytes(b, arr, sizeof arr), 0);
    memset(buf, 0, sizeof buf);
    ck_assert_mp(mp_conn_recv_bytes_into(a, buf, sizeof buf, 3 * sizeof(int), &n, NULL), 0);
    ck_assert_uint_eq(n, 16);
    ck_assert_int_eq(memcmp(buf + 3, arr, sizeof arr), 0);
    ck_assert_int_eq(buf[0] | buf[1] | buf[2] | buf[7], 0);
    ck_assert_mp(mp_conn_recv_bytes_into(a, buf, sizeof buf, -1, &n, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "negative offset");
    ck_assert_mp(mp_conn_recv_bytes_into(a, buf, sizeof buf, 41, &n, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "offset too large");
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

START_TEST(PIPE_26_buffer_too_short)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    char msg[110], small[40];
    for (int i = 0; i < 110; i++)
        msg[i] = (char)('a' + i % 26);
    ck_assert_mp(mp_conn_send_bytes(b, msg, sizeof msg), 0);
    size_t n = 0;
    void *whole = NULL;
    ck_assert_mp(mp_conn_recv_bytes_into(a, small, sizeof small, 0, &n, &whole), MP_EMSGSIZE);
    ck_assert_uint_eq(n, 110);
    ck_assert_ptr_nonnull(whole);
    ck_assert_int_eq(memcmp(whole, msg, sizeof msg), 0);
    free(whole);
    ck_assert_int_eq(mp_conn_poll(a, 0), 0); /* the message was used up */
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

/* errors.h's NULL policy over all of connection.h: mp_conn_free(NULL) is a no-op; every other
 * call refuses a NULL handle or out-pointer with MP_EINVAL and names itself in mp_errmsg(); the
 * three flags return the "none" their documentation names. */
START_TEST(LIBMP_72_connection_null_handles)
{
    mp_conn_t *a, *b;
    mp_obj_t *none = mp_none(), *got;
    void *data;
    size_t len;
    char buf[4];
    unsigned char ready;
    mp_conn_free(NULL);
    ck_assert_null_refused(mp_pipe(NULL, &b, 1), "mp_pipe: c1 is NULL");
    ck_assert_null_refused(mp_pipe(&a, NULL, 1), "mp_pipe: c2 is NULL");
    ck_assert_null_refused(mp_conn_from_fd(NULL, 0, 1, 0), "mp_conn_from_fd: out is NULL");
    ck_assert_null_refused(mp_conn_send(NULL, none), "mp_conn_send: c is NULL");
    ck_assert_null_refused(mp_conn_recv(NULL, &got), "mp_conn_recv: c is NULL");
    ck_assert_null_refused(mp_conn_send_bytes(NULL, "x", 1), "mp_conn_send_bytes: c is NULL");
    ck_assert_null_refused(mp_conn_send_bytes_ex(NULL, "x", 1, 0, MP_SIZE_NONE),
                           "mp_conn_send_bytes_ex: c is NULL");
    ck_assert_null_refused(mp_conn_recv_bytes(NULL, &data, &len, MP_SIZE_NONE),
                           "mp_conn_recv_bytes: c is NULL");
    ck_assert_null_refused(mp_conn_recv_bytes_into(NULL, buf, sizeof buf, 0, &len, NULL),
                           "mp_conn_recv_bytes_into: c is NULL");
    ck_assert_null_refused(mp_conn_poll(NULL, 0), "mp_conn_poll: c is NULL");
    ck_assert_null_refused(mp_conn_set_readahead(NULL, 1), "mp_conn_set_readahead: c is NULL");
    ck_assert_null_refused(mp_conn_close(NULL), "mp_conn_close: c is NULL");
    ck_assert_null_refused(mp_conn_fileno(NULL), "mp_conn_fileno: c is NULL");
    ck_assert_int_eq(mp_conn_closed(NULL), 1);
    ck_assert_str_eq(mp_errmsg(), "mp_conn_closed: c is NULL");
    ck_assert_int_eq(mp_conn_readable(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_conn_readable: c is NULL");
    ck_assert_int_eq(mp_conn_writable(NULL), 0);
    ck_assert_str_eq(mp_errmsg(), "mp_conn_writable: c is NULL");
    ck_assert_null_refused(mp_conn_send_conn(NULL, NULL), "mp_conn_send_conn: c is NULL");
    ck_assert_null_refused(mp_conn_recv_conn(NULL, &a), "mp_conn_recv_conn: c is NULL");
    ck_assert_null_refused(mp_wait(NULL, 1, 0, &ready), "mp_wait: objs is NULL");
    ck_assert_mp(mp_wait(NULL, 0, 0, NULL), 0); /* wait([], 0) */

    /* A handle, but a NULL value or out-pointer. */
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_null_refused(mp_conn_send(a, NULL), "mp_conn_send: obj is NULL");
    ck_assert_null_refused(mp_conn_recv(a, NULL), "mp_conn_recv: out is NULL");
    ck_assert_null_refused(mp_conn_recv_bytes(a, NULL, &len, MP_SIZE_NONE),
                           "mp_conn_recv_bytes: out is NULL");
    ck_assert_null_refused(mp_conn_recv_bytes(a, &data, NULL, MP_SIZE_NONE),
                           "mp_conn_recv_bytes: len is NULL");
    ck_assert_null_refused(mp_conn_send_conn(a, NULL), "mp_conn_send_conn: end is NULL");
    ck_assert_null_refused(mp_conn_recv_conn(a, NULL), "mp_conn_recv_conn: out is NULL");
    mp_waitable_t w = MP_WAIT_CONN(a);
    ck_assert_null_refused(mp_wait(&w, 1, 0, NULL), "mp_wait: ready is NULL");
    mp_conn_free(a);
    mp_conn_free(b);
    mp_obj_decref(none);
}
END_TEST

/* Every descriptor libmp makes is close-on-exec (connection.h, "Descriptors"), as CPython's are
 * non-inheritable (PEP 446): both ends of a duplex and of a simplex Pipe. */
START_TEST(LIBMP_74_pipe_ends_are_close_on_exec)
{
    for (int duplex = 0; duplex <= 1; duplex++) {
        mp_conn_t *a, *b;
        ck_assert_mp(mp_pipe(&a, &b, duplex), 0);
        int fa = fcntl(mp_conn_fileno(a), F_GETFD), fb = fcntl(mp_conn_fileno(b), F_GETFD);
        ck_assert_msg(fa >= 0 && (fa & FD_CLOEXEC), "duplex=%d: first end not close-on-exec",
                      duplex);
        ck_assert_msg(fb >= 0 && (fb & FD_CLOEXEC), "duplex=%d: second end not close-on-exec",
                      duplex);
        mp_conn_free(a);
        mp_conn_free(b);
    }
}
END_TEST

Suite *mp_suite_connection(void)
{
    Suite *s = suite_create("Connection");
    TCase *tc = mp_tcase("basics", 20);
    tcase_add_test(tc, PIPE_01_duplex_both_ways);
    tcase_add_test(tc, PIPE_02_03_simplex);
    tcase_add_test(tc, PIPE_05_wrong_direction);
    tcase_add_test(tc, PIPE_06_recv_blocks);
    tcase_add_test(tc, PIPE_07_08_poll_timeouts);
    tcase_add_test(tc, PIPE_10_poll_forever);
    tcase_add_test(tc, PIPE_11_buffered_then_eof);
    tcase_add_test(tc, PIPE_12_eof_is_readable);
    tcase_add_test(tc, PIPE_13_simplex_close_then_eof);
    tcase_add_test(tc, PIPE_15_own_closed_end);
    tcase_add_test(tc, PIPE_16_17_send_to_closed_peer);
    tcase_add_test(tc, PIPE_18_boundaries);
    tcase_add_test(tc, PIPE_20_strings_with_delays);
    tcase_add_test(tc, PIPE_21_send_bytes_ranges);
    tcase_add_test(tc, PIPE_22_send_bytes_bad_ranges);
    tcase_add_test(tc, PIPE_23_maxlength);
    tcase_add_test(tc, PIPE_25_recv_bytes_into);
    tcase_add_test(tc, PIPE_26_buffer_too_short);
    tcase_add_test(tc, LIBMP_72_connection_null_handles);
    tcase_add_test(tc, LIBMP_74_pipe_ends_are_close_on_exec);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_connection_wire());
    suite_add_tcase(s, mp_tcase_connection_wait());
    return s;
}
