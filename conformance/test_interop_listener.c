/* Suite "InteropListener": C and CPython processes that find each other by address and
 * authenticate with a key (listener.h). The CPython end is conformance/python/listener_peer.py,
 * which uses multiprocessing.connection's own Listener and Client, run with every CPython from
 * 3.8 up that conformance/python/find-pythons finds: 3.8-3.11 answer and challenge with raw
 * HMAC-MD5, 3.12 and later with {sha256}, and libmp must meet each on its terms. Every case runs
 * over a Unix socket path, an abstract Unix socket and 127.0.0.1. */
#include <sys/wait.h>

#include "interop_helpers.h"

#define LPEER "conformance/python/listener_peer.py"

/* A key is bytes, not a C string: a NUL and a byte above 127 inside make sure that neither
 * side stops at the first NUL or decodes it as text. */
static const char KEY[] = "libmp\0interop \xff key";
static const char WRONG[] = "libmp\0interop \xff kez";
#define KEY_LEN (sizeof KEY - 1)

typedef struct authkey {
    const char *bytes;
    size_t len;
} authkey_t;
static const authkey_t RIGHT = {KEY, KEY_LEN}, BAD = {WRONG, KEY_LEN}, EMPTY = {"", 0};

/* The peer's exit status after AuthenticationError, and after its connection broke
 * (listener_peer.py). */
enum { PEER_AUTH_FAILED = 10, PEER_CONNECTION_LOST = 4 };

enum { NFAMILIES = 3 };
static const struct {
    const char *name, *python; /* how the test names it, the family Python is given */
    mp_family_t family;
} families[NFAMILIES] = {
    {"Unix path", "AF_UNIX", MP_AF_UNIX},
    {"abstract", "AF_UNIX", MP_AF_UNIX},
    {"127.0.0.1", "AF_INET", MP_AF_INET},
};

/* A fresh address of family f in libmp's form; a port of 0 lets the system choose. */
static void address_for(int f, char *out, size_t size)
{
    static int serial;
    serial++;
    if (f == 0) {
        snprintf(out, size, "/tmp/mp-ilst-%d-%d", (int)getpid(), serial);
        unlink(out);
    } else if (f == 1) {
        snprintf(out, size, "@mp-ilst-%d-%d", (int)getpid(), serial);
    } else {
        snprintf(out, size, "127.0.0.1:0");
    }
}

typedef struct peer {
    pid_t pid;
    FILE *out; /* its stdout */
    const char *python;
    char version[16];
} peer_t;

/* Starts `python listener_peer.py mode key address family`, its stdout on a pipe to us. */
static void peer_start(peer_t *p, const char *python, const char *mode, const authkey_t *key,
                       const char *address, int f)
{
    char hex[2 * KEY_LEN + 1];
    hex[0] = '\0';
    for (size_t i = 0; i < key->len; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)key->bytes[i]);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    p->python = python;
    p->pid = fork_flushed();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], 1) < 0)
            _exit(126);
        execl(python, python, LPEER, mode, hex, address, families[f].python, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    p->out = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(p->out);
}

/* The peer's next line on stdout, without its newline; "" at the end. */
static const char *peer_line(peer_t *p, char *buf, size_t size)
{
    if (!fgets(buf, (int)size, p->out))
        buf[0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static int peer_end(peer_t *p)
{
    fclose(p->out);
    return status_code(pid_wait(p->pid));
}

/* The exchange once connected, the C side of listener_peer.py's role `peer`: its header (the
 * digests its handshake used), its values, then ours, each sent back. The digest is the point
 * of the suite: libmp challenges as 3.12+ does, so a 3.12+ peer must have run HMAC-SHA256 in
 * both directions, and an older one HMAC-MD5 (a mixed pair of CPythons does the same). */
static void session(mp_conn_t *c, const char *where, mp_obj_t **v, peer_t *p)
{
    const char *python = p->python;
    mp_obj_t *h = NULL;
    int64_t major = 0, minor = 0;
    ck_assert_mp(mp_conn_recv(c, &h), 0);
    ck_assert_int_eq(mp_obj_type(h), MP_TYPE_TUPLE);
    ck_assert_uint_eq(mp_tuple_size(h), 3);
    ck_assert_mp(mp_int_as_int64(mp_tuple_get(h, 0), &major), 0);
    ck_assert_mp(mp_int_as_int64(mp_tuple_get(h, 1), &minor), 0);
    snprintf(p->version, sizeof p->version, "%d.%d", (int)major, (int)minor);
    const char *want = major > 3 || minor >= 12 ? "sha256" : "md5";
    mp_obj_t *digests = mp_build("[s]", want);
    char *got = mp_repr(mp_tuple_get(h, 2));
    ck_assert_msg(mp_obj_equal(mp_tuple_get(h, 2), digests),
                  "%s (%s), %s: the handshake ran %s, expected ['%s']", python, p->version, where,
                  got, want);
    printf("%s, %s: HMAC-%s both ways\n", p->version, where,
           major > 3 || minor >= 12 ? "SHA256" : "MD5");
    free(got);
    mp_obj_decref(digests);
    mp_obj_decref(h);
    for (int k = 0; k < NVALUES; k++) {
        mp_obj_t *o = NULL;
        ck_assert_mp(mp_conn_recv(c, &o), 0);
        assert_same(o, v[k], k, python);
        mp_obj_decref(o);
    }
    for (int k = 0; k < NVALUES; k++) {
        mp_obj_t *o = NULL;
        ck_assert_mp(mp_conn_send(c, v[k]), 0);
        ck_assert_mp(mp_conn_recv(c, &o), 0);
        assert_same(o, v[k], k, python);
        mp_obj_decref(o);
    }
}

/* After the handshake: with the key (`answer` 0) the session, then our close ends the peer;
 * refused, no connection, and the peer printed `refusal` and exited as after
 * AuthenticationError. */
static void outcome(peer_t *p, mp_conn_t *c, int answer, const char *refusal, const char *where,
                    mp_obj_t **v)
{
    char line[256];
    if (answer == 0) {
        session(c, where, v, p);
        mp_conn_free(c); /* Python sees EOFError and exits 0 */
        ck_assert_int_eq(peer_end(p), 0);
        return;
    }
    ck_assert_ptr_null(c);
    ck_assert_str_eq(peer_line(p, line, sizeof line), refusal);
    ck_assert_int_eq(peer_end(p), PEER_AUTH_FAILED);
    printf("%s, %s: refused at both ends\n", p->python, where);
}

/* Runs one_pair(python, family, values) for every CPython found and every family. */
static void each_pair(const char *test, void (*one_pair)(const char *, int, mp_obj_t **))
{
    char py[12][PATH_MAX];
    int n = pythons_or_skip(test, LPEER, py);
    mp_obj_t *v[NVALUES];
    make_values(v);
    for (int i = 0; i < n; i++)
        for (int f = 0; f < NFAMILIES; f++)
            one_pair(py[i], f, v);
    free_values(v);
}

/* A CPython Client with `key` connects to l; accept() must say `answer`. With the key, the
 * session runs; without it, the Client must have raised AuthenticationError. */
static void cpython_client(mp_listener_t *l, const char *python, int f, const authkey_t *key,
                           int answer, const char *where, mp_obj_t **v)
{
    mp_conn_t *c = NULL;
    peer_t p;
    peer_start(&p, python, "connect", key, mp_listener_address(l), f);
    ck_assert_mp(mp_listener_accept(l, 30.0, &c), answer);
    outcome(&p, c, answer, "AuthenticationError: digest sent was rejected", where, v);
}

static mp_listener_t *c_listener(int f, const authkey_t *key)
{
    char address[128];
    mp_listener_t *l;
    address_for(f, address, sizeof address);
    ck_assert_mp(mp_listener_new(&l, address, families[f].family, 0, key->bytes, key->len), 0);
    return l;
}

/* Starts a CPython Listener with `key` on a fresh address of family f; `address` gets the
 * address it bound. */
static void cpython_listener(peer_t *p, const char *python, int f, const authkey_t *key,
                             char *address, size_t size)
{
    char fresh[128];
    address_for(f, fresh, sizeof fresh);
    peer_start(p, python, "serve", key, fresh, f);
    peer_line(p, address, size);
    ck_assert_msg(address[0] != '\0', "%s: the Listener did not start", python);
}

/* ---- the tests ------------------------------------------------------------------------------- */

static void client_to_c_listener(const char *python, int f, mp_obj_t **v)
{
    char where[160];
    snprintf(where, sizeof where, "CPython Client -> C Listener, %s", families[f].name);
    mp_listener_t *l = c_listener(f, &RIGHT);
    cpython_client(l, python, f, &RIGHT, 0, where, v);
    mp_listener_free(l);
}

START_TEST(LIBMP_ILST_01_cpython_client_to_c_listener)
{
    each_pair("LIBMP_ILST_01", client_to_c_listener);
}
END_TEST

/* A wrong key: accept() says MP_EAUTH, Python's Client raises AuthenticationError, and the
 * listener goes on to accept the next client, which holds the key. */
static void wrong_client_to_c_listener(const char *python, int f, mp_obj_t **v)
{
    char where[160];
    mp_listener_t *l = c_listener(f, &RIGHT);
    snprintf(where, sizeof where, "CPython Client, wrong key -> C Listener, %s", families[f].name);
    cpython_client(l, python, f, &BAD, MP_EAUTH, where, v);
    snprintf(where, sizeof where, "then a Client with the key -> the same Listener, %s",
             families[f].name);
    cpython_client(l, python, f, &RIGHT, 0, where, v);
    mp_listener_free(l);
}

START_TEST(LIBMP_ILST_02_cpython_client_wrong_key_refused)
{
    each_pair("LIBMP_ILST_02", wrong_client_to_c_listener);
}
END_TEST

/* The C Client with `key` connects to a CPython Listener; mp_client() must say `answer`. With
 * the key, the session runs; without it, the Listener must have raised AuthenticationError. */
static void c_client(const char *python, int f, const authkey_t *key, int answer, mp_obj_t **v)
{
    char address[256], where[160];
    mp_conn_t *c = NULL;
    peer_t p;
    cpython_listener(&p, python, f, &RIGHT, address, sizeof address);
    ck_assert_mp(mp_client(&c, address, families[f].family, key->bytes, key->len), answer);
    snprintf(where, sizeof where, "C Client%s -> CPython Listener, %s",
             answer == 0 ? "" : ", wrong key", families[f].name);
    outcome(&p, c, answer, "AuthenticationError: digest received was wrong", where, v);
}

static void c_client_to_listener(const char *python, int f, mp_obj_t **v)
{
    c_client(python, f, &RIGHT, 0, v);
}

START_TEST(LIBMP_ILST_03_c_client_to_cpython_listener)
{
    each_pair("LIBMP_ILST_03", c_client_to_listener);
}
END_TEST

static void wrong_c_client_to_listener(const char *python, int f, mp_obj_t **v)
{
    c_client(python, f, &BAD, MP_EAUTH, v);
}

START_TEST(LIBMP_ILST_04_c_client_wrong_key_refused)
{
    each_pair("LIBMP_ILST_04", wrong_c_client_to_listener);
}
END_TEST

/* The minor version of a python3. */
static int minor_of(const char *python)
{
    char command[PATH_MAX + 64];
    int minor = -1;
    snprintf(command, sizeof command, "%s -c 'import sys; print(sys.version_info[1])'", python);
    FILE *f = popen(command, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &minor), 1);
    pclose(f);
    return minor;
}

/* The empty key is a key: CPython's Client with b'' always runs the handshake, and so does a
 * libmp Listener with an empty key (as CPython 3.13's), so every version is accepted. The other
 * way round, CPython's Listener skips the handshake for b'' up to 3.12.1 and runs it from 3.13
 * on (gh-88118; a later 3.12 may already run it): mp_client() then meets the Listener's first
 * value where it expects #CHALLENGE# and says MP_EPROTO at once, where CPython's own Client
 * would wait for ever. */
static void empty_key(const char *python, int f, mp_obj_t **v)
{
    char where[160], address[256];
    mp_listener_t *l = c_listener(f, &EMPTY);
    snprintf(where, sizeof where, "CPython Client, empty key -> C Listener, %s", families[f].name);
    cpython_client(l, python, f, &EMPTY, 0, where, v);
    mp_listener_free(l);
    int minor = minor_of(python);
    mp_conn_t *c = NULL;
    peer_t p;
    cpython_listener(&p, python, f, &EMPTY, address, sizeof address);
    int rc = mp_client(&c, address, families[f].family, "", 0);
    snprintf(where, sizeof where, "C Client, empty key -> CPython Listener, %s", families[f].name);
    if (minor >= 13 || (minor == 12 && rc == 0)) {
        ck_assert_mp(rc, 0);
        outcome(&p, c, 0, NULL, where, v);
        return;
    }
    ck_assert_mp(rc, MP_EPROTO);
    ck_assert_ptr_null(c);
    int status = peer_end(&p); /* it lost its connection, or saw it end */
    ck_assert_msg(status == 0 || status == PEER_CONNECTION_LOST, "%s: status %d", python, status);
    printf("%s, %s: the Listener skipped the handshake, MP_EPROTO\n", python, where);
}

START_TEST(LIBMP_ILST_05_empty_key)
{
    each_pair("LIBMP_ILST_05", empty_key);
}
END_TEST

Suite *mp_suite_interop_listener(void)
{
    Suite *s = suite_create("InteropListener");
    TCase *tc = mp_tcase("cpython", 180);
    tcase_add_test(tc, LIBMP_ILST_01_cpython_client_to_c_listener);
    tcase_add_test(tc, LIBMP_ILST_02_cpython_client_wrong_key_refused);
    tcase_add_test(tc, LIBMP_ILST_03_c_client_to_cpython_listener);
    tcase_add_test(tc, LIBMP_ILST_04_c_client_wrong_key_refused);
    tcase_add_test(tc, LIBMP_ILST_05_empty_key);
    suite_add_tcase(s, tc);
    return s;
}
