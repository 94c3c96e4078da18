/* Suite "Listener": multiprocessing.connection.Listener and Client between C processes. Every
 * family and address form, the address a listener reports, authentication with the right and
 * the wrong key (both sides), accept's timeout, close, and mp_wait on a listener. libmp's
 * cases LIBMP_LST_* (conformance/catalogue.md, 17.14); the hostile peers are in
 * test_listener_hostile.c. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

#include "listener_helpers.h"

/* Arguments: address, key (bytes, or None for no key), the mp_client result expected. */
static int lst_client(mp_obj_t *a)
{
    const char *address = NULL, *key = NULL;
    size_t keylen = 0;
    mp_obj_t *k = arg_at(a, 1);
    if (mp_parse(arg_at(a, 0), "s", &address) < 0 ||
        (mp_obj_type(k) != MP_TYPE_NONE && mp_parse(k, "y#", &key, &keylen) < 0))
        return CLIENT_WRONG_RC;
    mp_conn_t *c = NULL;
    int rc = mp_client(&c, address, MP_AF_AUTO, key, keylen);
    if (rc != (int)arg_long(a, 2))
        return CLIENT_WRONG_RC;
    if (rc < 0)
        return CLIENT_OK;
    mp_obj_t *hello = mp_build("(si)", "hello", (int)getpid()), *back = NULL;
    int ok =
        mp_conn_send(c, hello) == 0 && mp_conn_recv(c, &back) == 0 && mp_obj_equal(hello, back);
    mp_obj_decref(hello);
    mp_obj_decref(back);
    mp_conn_free(c);
    return ok ? CLIENT_OK : CLIENT_NO_ECHO;
}
JOB(lst_client);

mp_process_t *listener_client(const char *address, const char *key, int want)
{
    mp_obj_t *k = key ? mp_build("y#", key, strlen(key)) : mp_build("z", NULL);
    return GO(lst_client, mp_build("(sNi)", address, k, want));
}

/* A listener on `address` that serves one client with `key` (NULL: none); its address. */
static void serve_one(const char *address, const char *key, char *bound, size_t size)
{
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, address, MP_AF_AUTO, 0, key, key ? strlen(key) : 0), 0);
    snprintf(bound, size, "%s", mp_listener_address(l));
    accepts_good_client(l, key);
    mp_listener_free(l);
}

START_TEST(LIBMP_LST_01_unix_path)
{
    char dir[] = "/tmp/mp-lst-XXXXXX", path[64], bound[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sock", dir);
    serve_one(path, KEY, bound, sizeof bound);
    ck_assert_str_eq(bound, path);
    struct stat st;
    ck_assert_msg(stat(path, &st) < 0 && errno == ENOENT, "close left %s behind", path);
    /* last_accepted: a Unix client has no name. */
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, path, MP_AF_UNIX, 0, NULL, 0), 0);
    ck_assert_ptr_null(mp_listener_last_accepted(l));
    accepts_good_client(l, NULL);
    ck_assert_str_eq(mp_listener_last_accepted(l), "");
    mp_listener_free(l);
    rmdir(dir);
}
END_TEST

START_TEST(LIBMP_LST_02_abstract_name_as_cpython)
{
    char name[64], bound[128];
    snprintf(name, sizeof name, "@mp-lst-%d", (int)getpid());
    serve_one(name, KEY, bound, sizeof bound);
    ck_assert_str_eq(bound, name);
    /* CPython's "\0name" is offsetof(sun_path) + 1 + len bytes: with a NUL more it is
     * another socket, which nobody listens on. */
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, name, MP_AF_AUTO, 0, NULL, 0), 0);
    struct sockaddr_storage ss;
    socklen_t len = raw_sockaddr(name, &ss);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len + 1), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
    close(fd);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_03_ipv4_port_0)
{
    const char *forms[] = {"127.0.0.1:0", "localhost:0"};
    for (int i = 0; i < 2; i++) {
        mp_listener_t *l = NULL;
        ck_assert_mp(mp_listener_new(&l, forms[i], MP_AF_AUTO, 0, KEY, KEYLEN), 0);
        const char *a = mp_listener_address(l);
        ck_assert_msg(strncmp(a, "127.0.0.1:", 10) == 0 && atoi(a + 10) > 0, "%s bound as %s",
                      forms[i], a);
        accepts_good_client(l, KEY);
        ck_assert_msg(strncmp(mp_listener_last_accepted(l), "127.0.0.1:", 10) == 0,
                      "last_accepted %s", mp_listener_last_accepted(l));
        mp_listener_free(l);
    }
}
END_TEST

START_TEST(LIBMP_LST_04_ipv6)
{
    mp_listener_t *l = NULL;
    int rc = mp_listener_new(&l, "[::1]:0", MP_AF_AUTO, 0, KEY, KEYLEN);
    if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT || rc == MP_EINVAL) {
        mp_skip(__func__, "::1 is not available on this machine");
        return;
    }
    ck_assert_mp(rc, 0);
    ck_assert_msg(strncmp(mp_listener_address(l), "[::1]:", 6) == 0, "bound as %s",
                  mp_listener_address(l));
    accepts_good_client(l, KEY);
    ck_assert_msg(strncmp(mp_listener_last_accepted(l), "[::1]:", 6) == 0, "last_accepted %s",
                  mp_listener_last_accepted(l));
    mp_listener_free(l);
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_INET6, 0, NULL, 0), 0);
    ck_assert_msg(strncmp(mp_listener_address(l), "[::1]:", 6) == 0, "bound as %s",
                  mp_listener_address(l));
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_05_arbitrary_addresses)
{
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_AUTO, 0, KEY, KEYLEN), 0);
    char path[128];
    snprintf(path, sizeof path, "%s", mp_listener_address(l));
    ck_assert_msg(path[0] == '/', "AF_UNIX is the default family: %s", path);
    accepts_good_client(l, KEY);
    mp_listener_free(l);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_INET, 0, NULL, 0), 0);
    ck_assert_msg(strncmp(mp_listener_address(l), "127.0.0.1:", 10) == 0, "%s",
                  mp_listener_address(l));
    accepts_good_client(l, NULL);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_06_refusals)
{
    mp_listener_t *l = NULL;
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_UNIX + 10, 0, NULL, 0), MP_EINVAL);
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_INET6, 0, NULL, 0), MP_EINVAL);
    ck_assert_mp(mp_listener_new(&l, "/tmp/x", MP_AF_INET, 0, NULL, 0), MP_EINVAL);
    ck_assert_mp(mp_listener_new(&l, "", MP_AF_AUTO, 0, NULL, 0), MP_EINVAL);
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    ck_assert_mp(mp_listener_new(&l, longpath, MP_AF_AUTO, 0, NULL, 0), MP_EINVAL);
    ck_assert_mp(mp_listener_new(&l, "no-such-host.invalid:80", MP_AF_AUTO, 0, NULL, 0), MP_EINVAL);
    static const char *const not_tcp[] = {"127.0.0.1:99999", "[::1:80", "[::1]:", "x:y"};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(mp_listener_new(&l, not_tcp[i], MP_AF_INET, 0, NULL, 0) == MP_EINVAL &&
                          mp_listener_new(&l, not_tcp[i], MP_AF_INET6, 0, NULL, 0) == MP_EINVAL,
                      "%s accepted", not_tcp[i]);
    ck_assert_mp(mp_client(&c, "/nonexistent/mp-lst", MP_AF_AUTO, NULL, 0), -ENOENT);
    ck_assert_null_refused(mp_listener_new(NULL, NULL, MP_AF_AUTO, 0, NULL, 0),
                           "mp_listener_new: out is NULL");
    ck_assert_null_refused(mp_listener_accept(NULL, 0, &c), "mp_listener_accept: l is NULL");
    ck_assert_null_refused(mp_client(&c, NULL, MP_AF_AUTO, NULL, 0), "mp_client: address is NULL");
    ck_assert_ptr_null(mp_listener_address(NULL));
    ck_assert_int_eq(mp_listener_fileno(NULL), -1);
    mp_listener_free(NULL);
    /* The port is taken: the system's error. */
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_INET, 0, NULL, 0), 0);
    mp_listener_t *again = NULL;
    ck_assert_mp(mp_listener_new(&again, mp_listener_address(l), MP_AF_AUTO, 0, NULL, 0),
                 -EADDRINUSE);
    ck_assert_mp(mp_listener_set_handshake_timeout(l, 0), MP_EINVAL);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_07_right_key_and_empty_key)
{
    char bound[128];
    serve_one("127.0.0.1:0", KEY, bound, sizeof bound);
    serve_one(NULL, "", bound, sizeof bound); /* b'': authenticates, as CPython 3.13+ */
}
END_TEST

START_TEST(LIBMP_LST_08_wrong_key_both_sides)
{
    const char *addrs[] = {"127.0.0.1:0", NULL};
    for (int i = 0; i < 2; i++) {
        mp_listener_t *l = NULL;
        mp_conn_t *c = NULL;
        ck_assert_mp(mp_listener_new(&l, addrs[i], MP_AF_AUTO, 0, KEY, KEYLEN), 0);
        mp_process_t *p = listener_client(mp_listener_address(l), "wrong", MP_EAUTH);
        ck_assert_mp(mp_listener_accept(l, 30, &c), MP_EAUTH);
        ck_assert_ptr_null(c);
        ck_assert_int_eq(child_exit_code(p, 30), CLIENT_OK);
        accepts_good_client(l, KEY);
        mp_listener_free(l);
    }
}
END_TEST

/* A client without a key, a listener with one: the client's first receive is the challenge. */
static int lst_keyless_recv(mp_obj_t *a)
{
    const char *address = NULL;
    mp_conn_t *c = NULL;
    mp_obj_t *v = NULL;
    if (mp_parse(arg_at(a, 0), "s", &address) < 0 || mp_client(&c, address, MP_AF_AUTO, NULL, 0))
        return 1;
    int rc = mp_conn_recv(c, &v);
    mp_conn_free(c);
    return rc == MP_EDECODE && strstr(mp_errmsg(), "#CHALLENGE#") ? 0 : 2;
}
JOB(lst_keyless_recv);

START_TEST(LIBMP_LST_08_keyless_client)
{
    mp_listener_t *l = NULL;
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_AUTO, 0, KEY, KEYLEN), 0);
    ck_assert_mp(mp_listener_set_handshake_timeout(l, 0.5), 0);
    mp_process_t *p = GO(lst_keyless_recv, mp_build("(s)", mp_listener_address(l)));
    ck_assert_mp(mp_listener_accept(l, 30, &c), MP_EPROTO);
    ck_assert_int_eq(child_exit_code(p, 30), 0);
    accepts_good_client(l, KEY);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_09_accept_timeout)
{
    mp_listener_t *l = NULL;
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_AUTO, 0, KEY, KEYLEN), 0);
    double t0 = now_s();
    ck_assert_mp(mp_listener_accept(l, 0.3, &c), MP_ETIMEDOUT);
    ck_assert_elapsed(now_s() - t0, 0.3);
    t0 = now_s();
    ck_assert_mp(mp_listener_accept(l, -1, &c), MP_ETIMEDOUT);
    ck_assert_immediate(now_s() - t0);
    ck_assert_mp(mp_listener_accept(l, NAN, &c), MP_EINVAL);
    accepts_good_client(l, KEY);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_10_close_then_accept)
{
    mp_listener_t *l = NULL;
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_new(&l, NULL, MP_AF_AUTO, 0, NULL, 0), 0);
    char path[128];
    snprintf(path, sizeof path, "%s", mp_listener_address(l));
    ck_assert_mp(mp_listener_close(l), 0);
    ck_assert_mp(mp_listener_close(l), 0);
    ck_assert_int_eq(mp_listener_fileno(l), -1);
    ck_assert_mp(mp_listener_accept(l, 1, &c), MP_ECLOSED);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_mp(mp_client(&c, path, MP_AF_AUTO, NULL, 0), -ENOENT);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_11_wait_on_listener)
{
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_AUTO, 0, NULL, 0), 0);
    mp_waitable_t w[] = {MP_WAIT_LISTENER(l)};
    unsigned char ready[1] = {1};
    double t0 = now_s();
    ck_assert_int_eq(mp_wait(w, 1, 0.2, ready), 0);
    ck_assert_elapsed(now_s() - t0, 0.2);
    ck_assert_int_eq(ready[0], 0);
    int fd = raw_connect(l);
    ck_assert_int_eq(mp_wait(w, 1, 5, ready), 1);
    ck_assert_int_eq(ready[0], 1);
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_accept(l, 0, &c), 0);
    ck_assert_mp(mp_conn_send_bytes(c, "x", 1), 0);
    mp_conn_free(c);
    close(fd);
    mp_listener_free(l);
}
END_TEST

static int cloexec(int fd)
{
    int f = fcntl(fd, F_GETFD);
    return f >= 0 && (f & FD_CLOEXEC);
}

START_TEST(LIBMP_LST_12_descriptors_close_on_exec)
{
    mp_listener_t *l = NULL;
    mp_conn_t *s = NULL, *c = NULL;
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_AUTO, 0, NULL, 0), 0);
    ck_assert(cloexec(mp_listener_fileno(l)));
    ck_assert_mp(mp_client(&c, mp_listener_address(l), MP_AF_AUTO, NULL, 0), 0);
    ck_assert_mp(mp_listener_accept(l, 5, &s), 0);
    ck_assert(cloexec(mp_conn_fileno(c)));
    ck_assert(cloexec(mp_conn_fileno(s)));
    /* Both ends are ordinary duplex connections. */
    ck_assert(mp_conn_readable(s) && mp_conn_writable(s));
    ck_assert_mp(mp_conn_send_bytes(c, "ping", 4), 0);
    expect_bytes(s, "ping", 4);
    mp_conn_free(c);
    mp_conn_free(s);
    mp_listener_free(l);
}
END_TEST

Suite *mp_suite_listener(void)
{
    Suite *s = suite_create("Listener");
    TCase *tc = mp_tcase("basics", 60);
    tcase_add_test(tc, LIBMP_LST_01_unix_path);
    tcase_add_test(tc, LIBMP_LST_02_abstract_name_as_cpython);
    tcase_add_test(tc, LIBMP_LST_03_ipv4_port_0);
    tcase_add_test(tc, LIBMP_LST_04_ipv6);
    tcase_add_test(tc, LIBMP_LST_05_arbitrary_addresses);
    tcase_add_test(tc, LIBMP_LST_06_refusals);
    tcase_add_test(tc, LIBMP_LST_07_right_key_and_empty_key);
    tcase_add_test(tc, LIBMP_LST_08_wrong_key_both_sides);
    tcase_add_test(tc, LIBMP_LST_08_keyless_client);
    tcase_add_test(tc, LIBMP_LST_09_accept_timeout);
    tcase_add_test(tc, LIBMP_LST_10_close_then_accept);
    tcase_add_test(tc, LIBMP_LST_11_wait_on_listener);
    tcase_add_test(tc, LIBMP_LST_12_descriptors_close_on_exec);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_listener_hostile());
    return s;
}
