/* Suite "Interop": a C process and a CPython process share one connection. The Python end
 * (conformance/python/conn_peer.py) wraps the inherited socket with
 * multiprocessing.connection.Connection, so everything that crosses is CPython's own framing
 * and pickle. Run against every CPython from 3.8 up that conformance/python/find-pythons finds. */
#include <limits.h>
#include <stdio.h>
#include <math.h>
#include <sys/wait.h>

#include "conn_helpers.h"

#define PEER "conformance/python/conn_peer.py"

/* ---- the interpreters ------------------------------------------------------------------------ */

/* conformance/python/find-pythons prints one interpreter per CPython version found. */
static int find_pythons(char found[][PATH_MAX], int max)
{
    FILE *f = popen("conformance/python/find-pythons 2>/dev/null", "r");
    int n = 0;
    while (f && n < max && fgets(found[n], PATH_MAX, f)) {
        found[n][strcspn(found[n], "\n")] = '\0';
        if (found[n][0])
            n++;
    }
    if (f)
        pclose(f);
    return n;
}

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

/* ---- the values: the same list as conn_peer.py's VALUES --------------------------------------- */

enum { NVALUES = 47 };

static mp_obj_t *big_list(void)
{
    mp_obj_t *items[1000];
    for (int i = 0; i < 1000; i++)
        items[i] = mp_int(i);
    mp_obj_t *l = mp_list_new(1000, items);
    for (int i = 0; i < 1000; i++)
        mp_obj_decref(items[i]);
    return l;
}

static mp_obj_t *set_of(int frozen, int n, mp_obj_t **items)
{
    mp_obj_t *s = frozen ? mp_frozenset_new((size_t)n, items) : mp_set_new((size_t)n, items);
    for (int i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    return s;
}

static void make_values(mp_obj_t **v)
{
    int i = 0;
    v[i++] = mp_none(), v[i++] = mp_bool(1), v[i++] = mp_bool(0);
    const long long small[] = {0, 1, -1, 255, 256, 65535, 65536, 2147483647, -2147483648LL};
    for (size_t k = 0; k < sizeof small / sizeof *small; k++)
        v[i++] = mp_int(small[k]);
    v[i++] = mp_int_from_str("9223372036854775808");
    v[i++] = mp_int_from_str("-9223372036854775809");
    v[i++] = mp_int_from_str("1606938044258990275541962092341162602522202993782792835301376");
    v[i++] = mp_int_from_str("-1606938044258990275541962092341162602522202993782792835301376");
    const double floats[] = {0.0, -0.0, 1.5, -2.25, 1e300, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof floats / sizeof *floats; k++)
        v[i++] = mp_float(floats[k]);
    v[i++] = mp_str(""), v[i++] = mp_str("ascii"), v[i++] = mp_str("h\xc3\xa9llo");
    v[i++] = mp_str("\xe4\xb8\xad\xe6\x96\x87"), v[i++] = mp_str("\xf0\x9f\x98\x80");
    v[i++] = mp_str_n("a\0b", 3);
    v[i++] = mp_bytes("", 0), v[i++] = mp_bytes("\0\xff" "abc", 5);
    v[i++] = mp_bytearray("xy", 2), v[i++] = mp_bytearray("", 0);
    v[i++] = mp_build("()"), v[i++] = mp_build("(i)", 1);
    v[i++] = mp_build("(is(dN))", 1, "two", 3.0, mp_none());
    v[i++] = mp_build("[]"), v[i++] = mp_build("[i[i[i]]]", 1, 2, 3);
    v[i++] = mp_build("{}"), v[i++] = mp_build("{s:i,s:[ii]}", "a", 1, "b", 2, 3);
    v[i++] = mp_build("{i:s,(ii):y#}", 1, "x", 1, 2, "y", (size_t)1);
    v[i++] = set_of(0, 0, NULL);
    v[i++] = set_of(0, 3, (mp_obj_t *[]){mp_int(1), mp_int(2), mp_int(3)});
    v[i++] = set_of(1, 0, NULL);
    v[i++] = set_of(1, 1, (mp_obj_t *[]){mp_str("x")});
    mp_obj_t *shared = mp_build("[ii]", 1, 2);
    v[i++] = mp_build("[NN]", mp_obj_incref(shared), shared);
    v[i++] = mp_build("{s:N}", "big", big_list());
    ck_assert_int_eq(i, NVALUES);
    for (int k = 0; k < NVALUES; k++)
        ck_assert_ptr_nonnull(v[k]);
}

static void free_values(mp_obj_t **v)
{
    for (int k = 0; k < NVALUES; k++)
        mp_obj_decref(v[k]);
}

/* Equal as Python's ==, and for floats bit for bit (so -0.0 and 0.0 differ). */
static void assert_same(const mp_obj_t *got, const mp_obj_t *want, int k, const char *python)
{
    char *g = mp_repr(got), *w = mp_repr(want);
    int same = mp_obj_equal(got, want) && strcmp(mp_type_name(mp_obj_type(got)),
                                                 mp_type_name(mp_obj_type(want))) == 0;
    if (same && mp_obj_type(want) == MP_TYPE_FLOAT)
        same = signbit(mp_float_value(got)) == signbit(mp_float_value(want));
    ck_assert_msg(same, "%s: value %d: got %s, expected %s", python, k, g, w);
    free(g);
    free(w);
}

/* ---- the tests ------------------------------------------------------------------------------- */

static int pythons_or_skip(const char *test, char found[][PATH_MAX])
{
    int n = find_pythons(found, 12);
    if (n == 0 || access(PEER, R_OK) != 0) {
        mp_skip(test, n == 0 ? "no python3 on PATH" : "conformance/python/conn_peer.py not found");
        return 0;
    }
    for (int i = 0; i < n; i++)
        printf("%s: ran with %s\n", test, found[i]);
    return n;
}

START_TEST(INTEROP_01_values_c_to_python_and_back)
{
    char py[12][PATH_MAX];
    int n = pythons_or_skip("INTEROP_01", py);
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
    int n = pythons_or_skip("INTEROP_02", py);
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
    int n = pythons_or_skip("INTEROP_03", py);
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
