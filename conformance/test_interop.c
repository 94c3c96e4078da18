/* Suite "Interop": a C process and a CPython process share one connection. The Python end
 * (conformance/python/conn_peer.py) wraps the inherited socket with
 * multiprocessing.connection.Connection, so everything that crosses is CPython's own framing
 * and pickle. Run against every CPython from 3.8 up that conformance/python/find-pythons finds. */
#include <sys/wait.h>

#include "interop_helpers.h"

#define PEER "conformance/python/conn_peer.py"

/* Starts `python PEER fd mode` on one end of a new duplex pipe; returns our end. */
static mp_conn_t *start_peer(const char *python, const char *mode, pid_t *pid)
{
    mp_conn_t *mine, *theirs;
    ck_assert_mp(mp_pipe(&mine, &theirs, 1), 0);
    *pid = fork_flushed();
    ck_assert_int_ge(*pid, 0);
    if (*pid == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", mp_conn_fileno(theirs));
        close(mp_conn_fileno(mine));
        /* libmp's descriptors are close-on-exec (connection.h, "Descriptors"), as CPython's:
         * the one end the peer inherits is marked so, as os.set_inheritable() would. */
        if (fcntl(mp_conn_fileno(theirs), F_SETFD, 0) < 0)
            _exit(126);
        execl(python, python, PEER, fd, mode, (char *)NULL);
        _exit(127);
    }
    mp_conn_free(theirs);
    return mine;
}

static int peer_status(pid_t pid)
{
    return status_code(pid_wait(pid));
}

/* ---- the tests ------------------------------------------------------------------------------- */

START_TEST(INTEROP_01_values_c_to_python_and_back)
{
    char py[12][PATH_MAX];
    int n = pythons_or_skip("INTEROP_01", PEER, py);
    mp_obj_t *v[NVALUES];
    make_values(v);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        mp_conn_t *c = start_peer(py[i], "echo", &pid);
        for (int k = 0; k < NVALUES; k++) {
            mp_obj_t *got = NULL;
            ck_assert_mp(mp_conn_send(c, v[k]), 0);
            ck_assert_mp(mp_conn_recv(c, &got), 0);
            assert_same(got, v[k], k, py[i]);
            mp_obj_decref(got);
        }
        mp_conn_free(c); /* Python sees EOFError and exits 0 */
        ck_assert_int_eq(peer_status(pid), 0);
    }
    free_values(v);
}
END_TEST

START_TEST(INTEROP_02_values_python_to_c)
{
    static const char *const frames[] = {"", "abc"};
    char py[12][PATH_MAX];
    int n = pythons_or_skip("INTEROP_02", PEER, py);
    mp_obj_t *v[NVALUES];
    make_values(v);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        mp_conn_t *c = start_peer(py[i], "values", &pid);
        for (int k = 0; k < NVALUES; k++) {
            mp_obj_t *got = NULL;
            ck_assert_mp(mp_conn_recv(c, &got), 0);
            assert_same(got, v[k], k, py[i]);
            if (k == NVALUES - 2) /* [shared, shared]: one list, twice */
                ck_assert_ptr_eq(mp_list_get(got, 0), mp_list_get(got, 1));
            mp_obj_decref(got);
        }
        for (int f = 0; f < 2; f++)
            expect_bytes(c, frames[f], strlen(frames[f]));
        unsigned char all[256], *zs = malloc(100000);
        for (int b = 0; b < 256; b++)
            all[b] = (unsigned char)b;
        memset(zs, 'z', 100000);
        expect_bytes(c, all, 256);
        expect_bytes(c, zs, 100000);
        free(zs);
        mp_obj_t *o;
        ck_assert_mp(mp_conn_recv(c, &o), MP_EOF); /* Python closed its end */
        ck_assert_int_eq(peer_status(pid), 0);
        mp_conn_free(c);
    }
    free_values(v);
}
END_TEST

START_TEST(INTEROP_03_frames_both_ways_and_eof)
{
    char py[12][PATH_MAX];
    int n = pythons_or_skip("INTEROP_03", PEER, py);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        mp_conn_t *c = start_peer(py[i], "bytes", &pid);
        const char *sizes[] = {"", "a", "hello world"};
        for (int k = 0; k < 3; k++) {
            char rev[32];
            size_t len = strlen(sizes[k]);
            for (size_t j = 0; j < len; j++)
                rev[j] = sizes[k][len - 1 - j];
            ck_assert_mp(mp_conn_send_bytes(c, sizes[k], len), 0);
            expect_bytes(c, rev, len);
        }
        size_t big = 3u << 20;
        char *buf = malloc(big), *want = malloc(big);
        for (size_t j = 0; j < big; j++)
            buf[j] = (char)(j % 251), want[big - 1 - j] = buf[j];
        ck_assert_mp(mp_conn_send_bytes(c, buf, big), 0);
        expect_bytes(c, want, big);
        free(buf);
        free(want);
        mp_conn_free(c);
        ck_assert_int_eq(peer_status(pid), 0);
        c = start_peer(py[i], "eof", &pid);
        mp_conn_free(c); /* closing our end: Python's recv raises EOFError */
        ck_assert_int_eq(peer_status(pid), 0);
    }
}
END_TEST

Suite *mp_suite_interop(void)
{
    Suite *s = suite_create("Interop");
    TCase *tc = mp_tcase("cpython", 60);
    tcase_add_test(tc, INTEROP_01_values_c_to_python_and_back);
    tcase_add_test(tc, INTEROP_02_values_python_to_c);
    tcase_add_test(tc, INTEROP_03_frames_both_ways_and_eof);
    suite_add_tcase(s, tc);
    return s;
}
