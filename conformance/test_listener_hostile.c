/* Suite "Listener", tcase "hostile": the handshake against CPython's own verdicts
 * (conformance/vectors/handshake-vectors.tsv, made by CPython 3.12.1's _create_response and
 * _verify_challenge), and peers that misbehave: silent, huge lengths, truncated, oversized,
 * garbage, gone half-way. Each must fail its own connection with a clear code within the
 * handshake timeout, and the listener must then accept a good client.
 *
 * The bad peers are raw sockets driven from the test process: a connection the listener has
 * not accepted yet already takes bytes (the backlog holds it), so what a peer says before
 * reading can be written up front. mp__auth_response (lib/src/listener_impl.h, an internal
 * header) lets a raw peer answer correctly when a case needs it to get further. */
#include <malloc.h>
#include <math.h>

#include "../lib/src/listener_impl.h"
#include "listener_helpers.h"
#include "pickle_vectors.h"

#define HS 0.3 /* the handshake timeout of these cases */

static size_t unhex(const char *h, unsigned char *out, size_t size)
{
    size_t n = 0;
    for (unsigned v; n < size && sscanf(h + 2 * n, "%2x", &v) == 1; n++)
        out[n] = (unsigned char)v;
    return n;
}

/* Columns: id, challenge (with #CHALLENGE#), response, 3.11's answer, 3.12's answer (hex or
 * "raises:..."), 3.11's and 3.12's verdicts on the response, a note. */
enum { V_ID, V_CHALLENGE, V_RESPONSE, V_ANSWER311, V_ANSWER, V_VERDICT311, V_VERDICT };

static void load_vectors(pv_file_t *f)
{
    pv_load(f, "handshake-vectors.tsv");
    ck_assert_msg(f->n == 15, "%s", f->n ? "expected 15 handshake vectors" : f->why);
}

START_TEST(LIBMP_LST_20_vectors_response_and_verdict)
{
    pv_file_t f;
    load_vectors(&f);
    for (size_t i = 0; i < f.n; i++) {
        char **r = f.row[i].f;
        unsigned char ch[MP__HS_MAX], resp[MP__HS_MAX], want[MP__HS_MAX], out[MP__HS_MAX];
        size_t chn = unhex(r[V_CHALLENGE], ch, sizeof ch),
               rn = unhex(r[V_RESPONSE], resp, sizeof resp);
        size_t outn = 0;
        int rc = mp__auth_response(KEY, KEYLEN, ch + 11, chn - 11, out, &outn);
        if (strncmp(r[V_ANSWER], "raises:", 7) == 0) {
            ck_assert_msg(rc == MP_EPROTO, "%s: answered a challenge CPython refuses", r[V_ID]);
        } else {
            size_t wn = unhex(r[V_ANSWER], want, sizeof want);
            ck_assert_msg(rc == 0 && outn == wn && memcmp(out, want, wn) == 0,
                          "%s: answer differs from CPython 3.12's (%s)", r[V_ID], mp_errmsg());
        }
        rc = mp__auth_verify(KEY, KEYLEN, ch + 11, chn - 11, resp, rn);
        int accept = strcmp(r[V_VERDICT], "accept") == 0;
        ck_assert_msg(rc == (accept ? 0 : MP_EAUTH), "%s: verdict %s, CPython 3.12: %s", r[V_ID],
                      mp_err_name(rc), r[V_VERDICT]);
    }
    free(f.row);
    free(f.text);
}
END_TEST

/* A connection for the answering side and the raw socket of the peer that plays the listener. */
static mp_conn_t *answer_pair(int *raw)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_conn_from_fd(&c, sv[0], 1, 1), 0);
    *raw = sv[1];
    return c;
}

START_TEST(LIBMP_LST_21_vectors_over_the_wire)
{
    pv_file_t f;
    load_vectors(&f);
    for (size_t i = 0; i < f.n; i++) {
        char **r = f.row[i].f;
        unsigned char ch[MP__HS_MAX], want[MP__HS_MAX], got[MP__HS_MAX];
        size_t chn = unhex(r[V_CHALLENGE], ch, sizeof ch);
        int raw, refuses = strncmp(r[V_ANSWER], "raises:", 7) == 0;
        mp_conn_t *c = answer_pair(&raw);
        /* Every other row with read-ahead on: receiving "before" then reads the next frames
         * too, the handshake takes them from memory, and "after" must stay for later. */
        if (i % 2)
            ck_assert_mp(mp_conn_set_readahead(c, 1), 0);
        raw_frame(raw, "before", 6);
        raw_frame(raw, ch, chn);
        raw_frame(raw, "#WELCOME#", 9);
        raw_frame(raw, "after", 5);
        expect_bytes(c, "before", 6);
        ck_assert_msg(mp_answer_challenge(c, KEY, KEYLEN, 5) == (refuses ? MP_EPROTO : 0), "%s: %s",
                      r[V_ID], mp_errmsg());
        if (!refuses) {
            size_t wn = unhex(r[V_ANSWER], want, sizeof want);
            ck_assert_uint_eq(raw_recv_frame(raw, got, sizeof got), wn);
            ck_assert_msg(memcmp(got, want, wn) == 0, "%s: wrong bytes on the wire", r[V_ID]);
            expect_bytes(c, "after", 5);
        }
        close(raw);
        mp_conn_free(c);
    }
    free(f.row);
    free(f.text);
}
END_TEST

static mp_listener_t *hostile_listener(void)
{
    mp_listener_t *l = NULL;
    ck_assert_mp(mp_listener_new(&l, "127.0.0.1:0", MP_AF_AUTO, 0, KEY, KEYLEN), 0);
    ck_assert_mp(mp_listener_set_handshake_timeout(l, HS), 0);
    return l;
}

/* Accepts the raw peer `fd` (which has said its piece), expecting `code` with `msg` in
 * mp_errmsg(); closes the peer; checks the listener still serves a good client. */
static void expect_refused(mp_listener_t *l, int fd, int code, const char *msg, double within)
{
    mp_conn_t *c = NULL;
    double t0 = now_s();
    ck_assert_mp(mp_listener_accept(l, 5, &c), code);
    ck_assert_msg(now_s() - t0 <= within + TOL_LATE, "took %.3f s", now_s() - t0);
    ck_assert_msg(strstr(mp_errmsg(), msg), "message \"%s\" lacks \"%s\"", mp_errmsg(), msg);
    ck_assert_ptr_null(c);
    close(fd);
    accepts_good_client(l, KEY);
}

START_TEST(LIBMP_LST_22_silent_client)
{
    mp_listener_t *l = hostile_listener();
    double t0 = now_s();
    expect_refused(l, raw_connect(l), MP_ETIMEDOUT, "did not finish in time", HS);
    ck_assert_msg(now_s() - t0 >= HS - TOL_EARLY, "gave up after %.3f s", now_s() - t0);
    mp_listener_free(l);
}
END_TEST

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

START_TEST(LIBMP_LST_23_huge_lengths_refused_at_once)
{
    static const unsigned char heads[][12] = {
        {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0}, /* -1 and 4 GiB */
        {0x7f, 0xff, 0xff, 0xff},                         /* 2 GiB - 1 */
        {0x00, 0x00, 0x01, 0x01}};                        /* 257: one past the limit */
    static const size_t lens[] = {12, 4, 4};
    mp_listener_t *l = hostile_listener();
    for (int i = 0; i < 3; i++) {
        int fd = raw_connect(l);
        raw_send(fd, heads[i], lens[i]);
        size_t before = heap_in_use();
        expect_refused(l, fd, MP_EPROTO, "bad message length", IMMEDIATE);
        ck_assert_msg(heap_in_use() < before + (1 << 20), "the heap grew by %zu bytes",
                      heap_in_use() - before);
    }
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_24_truncated_answer)
{
    mp_listener_t *l = hostile_listener();
    unsigned char part[10] = {0};
    int fd = raw_connect(l); /* 44 bytes announced, 10 sent, then gone */
    raw_send(fd, "\0\0\0\x2c", 4);
    raw_send(fd, part, sizeof part);
    shutdown(fd, SHUT_WR);
    expect_refused(l, fd, MP_EPROTO, "closed the connection", IMMEDIATE);
    fd = raw_connect(l); /* the same, but the peer stays and says no more */
    raw_send(fd, "\0\0\0\x2c", 4);
    raw_send(fd, part, sizeof part);
    expect_refused(l, fd, MP_ETIMEDOUT, "did not finish in time", HS);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_25_oversized_answer)
{
    mp_listener_t *l = hostile_listener();
    unsigned char big[300];
    memset(big, 'A', sizeof big);
    int fd = raw_connect(l);
    raw_frame(fd, big, sizeof big);
    expect_refused(l, fd, MP_EPROTO, "bad message length", IMMEDIATE);
    mp_listener_free(l);
}
END_TEST

START_TEST(LIBMP_LST_26_garbage)
{
    mp_listener_t *l = hostile_listener();
    int fd = raw_connect(l); /* someone else's protocol: "GET " is a length of 1.2 GB */
    raw_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    expect_refused(l, fd, MP_EPROTO, "bad message length", IMMEDIATE);
    /* Well-framed answers that prove nothing: refused, and the peer is told #FAILURE#. */
    static const char *const wrong[] = {
        "0123456789abcdef",                         /* a raw MD5 of the wrong bytes */
        "{sha256}0123456789abcdef0123456789abcdef", /* a SHA-256 of the wrong bytes */
        "{sha512}0123456789abcdef0123456789abcdef", /* a digest CPython does not allow */
        ""};
    for (int i = 0; i < 4; i++) {
        unsigned char got[MP__HS_MAX];
        fd = raw_connect(l);
        raw_frame(fd, wrong[i], strlen(wrong[i]));
        mp_conn_t *c = NULL;
        ck_assert_mp(mp_listener_accept(l, 5, &c), MP_EAUTH);
        ck_assert_uint_eq(raw_recv_frame(fd, got, sizeof got), 59); /* the challenge */
        ck_assert_uint_eq(raw_recv_frame(fd, got, sizeof got), 9);
        ck_assert_int_eq(memcmp(got, "#FAILURE#", 9), 0);
        close(fd);
    }
    accepts_good_client(l, KEY);
    mp_listener_free(l);
}
END_TEST

/* A raw peer that reads the listener's challenge and answers it right. */
static void raw_answer(int fd)
{
    unsigned char ch[MP__HS_MAX], resp[MP__HS_MAX];
    size_t n = raw_recv_frame(fd, ch, sizeof ch), rn = 0;
    ck_assert_uint_eq(n, 59);
    ck_assert_mp(mp__auth_response(KEY, KEYLEN, ch + 11, n - 11, resp, &rn), 0);
    raw_frame(fd, resp, rn);
    ck_assert_uint_eq(raw_recv_frame(fd, ch, sizeof ch), 9);
    ck_assert_int_eq(memcmp(ch, "#WELCOME#", 9), 0);
}

START_TEST(LIBMP_LST_27_peer_gone_mid_handshake)
{
    mp_listener_t *l = hostile_listener();
    int fd = raw_connect(l); /* gone before a word */
    close(fd);
    expect_refused(l, -1, MP_EPROTO, "closed the connection", IMMEDIATE);
    /* Gone after the first message, and gone after the first round: the listener's own
     * challenge is then never answered. The raw peer needs the listener to go first, so the
     * listener runs in a child (fork: it shares this listener). */
    for (int stage = 0; stage < 2; stage++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            mp_conn_t *c = NULL;
            int rc = mp_listener_accept(l, 5, &c);
            _exit(rc == MP_EPROTO && strstr(mp_errmsg(), "closed the connection") ? 0 : 1);
        }
        fd = raw_connect(l);
        if (stage == 1)
            raw_answer(fd);
        else
            ck_assert_uint_eq(raw_recv_frame(fd, (unsigned char[MP__HS_MAX]){0}, MP__HS_MAX), 59);
        close(fd);
        ck_assert_int_eq(status_code(pid_wait(pid)), 0);
    }
    accepts_good_client(l, KEY);
    mp_listener_free(l);
}
END_TEST

/* The answering side (a client's first half) against a listener that misbehaves. */
START_TEST(LIBMP_LST_28_client_side_hostile_listener)
{
    static const struct {
        const char *frames; /* raw bytes the listener side writes first */
        size_t len;
        int shut, code;
        const char *msg;
    } cases[] = {
        {"", 0, 0, MP_ETIMEDOUT, "did not finish in time"},
        {"\xff\xff\xff\xff\0\0\0\x01\0\0\0\0", 12, 0, MP_EPROTO, "bad message length"},
        {"\x7f\xff\xff\xff", 4, 0, MP_EPROTO, "bad message length"},
        {"\0\0\0\x09#WELCOME#", 13, 0, MP_EPROTO, "expected a #CHALLENGE#"},
        {"\0\0\0\x1b#CHALLENGE#0123456789abcdef", 31, 0, MP_EPROTO, "challenge too short"},
        {"\0\0\0\x3b#CHALLENGE#{sha256}0123", 27, 1, MP_EPROTO, "closed the connection"},
        {"\0\0\0\x1f#CHALLENGE#0123456789abcdefghij\0\0\0\x09#FAILURE#", 48, 0, MP_EAUTH,
         "digest sent was rejected"},
        {"\0\0\0\x1f#CHALLENGE#0123456789abcdefghij\0\0\0\x05hello", 44, 0, MP_EPROTO,
         "expected #WELCOME# or #FAILURE#"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int raw;
        mp_conn_t *c = answer_pair(&raw);
        if (cases[i].len)
            raw_send(raw, cases[i].frames, cases[i].len);
        if (cases[i].shut)
            shutdown(raw, SHUT_WR);
        double t0 = now_s();
        int rc = mp_answer_challenge(c, KEY, KEYLEN, HS);
        ck_assert_msg(rc == cases[i].code && strstr(mp_errmsg(), cases[i].msg), "case %zu: %s (%s)",
                      i, mp_err_name(rc), mp_errmsg());
        ck_assert_msg(now_s() - t0 <= (rc == MP_ETIMEDOUT ? HS : IMMEDIATE) + TOL_LATE,
                      "case %zu took %.3f s", i, now_s() - t0);
        /* After a refused length the stream is out of step: later calls say so at once. */
        if (rc == MP_EPROTO && strstr(cases[i].msg, "length"))
            ck_assert_mp(mp_answer_challenge(c, KEY, KEYLEN, HS), MP_EPROTO);
        close(raw);
        mp_conn_free(c);
    }
    int raw;
    mp_conn_t *c = answer_pair(&raw);
    ck_assert_mp(mp_answer_challenge(c, NULL, 3, HS), MP_EINVAL);
    ck_assert_mp(mp_deliver_challenge(c, KEY, KEYLEN, NAN), MP_EINVAL);
    ck_assert_mp(mp_deliver_challenge(NULL, KEY, KEYLEN, HS), MP_EINVAL);
    mp_conn_close(c);
    ck_assert_mp(mp_deliver_challenge(c, KEY, KEYLEN, HS), MP_ECLOSED);
    close(raw);
    mp_conn_free(c);
}
END_TEST

TCase *mp_tcase_listener_hostile(void)
{
    TCase *tc = mp_tcase("hostile", 60);
    tcase_add_test(tc, LIBMP_LST_20_vectors_response_and_verdict);
    tcase_add_test(tc, LIBMP_LST_21_vectors_over_the_wire);
    tcase_add_test(tc, LIBMP_LST_22_silent_client);
    tcase_add_test(tc, LIBMP_LST_23_huge_lengths_refused_at_once);
    tcase_add_test(tc, LIBMP_LST_24_truncated_answer);
    tcase_add_test(tc, LIBMP_LST_25_oversized_answer);
    tcase_add_test(tc, LIBMP_LST_26_garbage);
    tcase_add_test(tc, LIBMP_LST_27_peer_gone_mid_handshake);
    tcase_add_test(tc, LIBMP_LST_28_client_side_hostile_listener);
    return tc;
}
