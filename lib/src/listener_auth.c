/* CPython's authkey handshake: deliver_challenge and answer_challenge, both generations.
 *
 * We challenge as CPython 3.12+ does ("{sha256}" and 40 random bytes) because every CPython
 * from 3.8 answers that: up to 3.11 with a raw HMAC-MD5 over the whole body, which we accept,
 * from 3.12 with a prefixed HMAC-SHA256. We answer exactly as 3.12+'s _create_response, so a
 * 3.8-3.11 listener (20-byte body) gets MD5 and a 3.12+ one gets the digest it names. The MACs
 * and their constant-time comparison are libcrypto's.
 *
 * Every message is read into a 256-byte buffer on the stack, as CPython's recv_bytes(256)
 * bounds it: a longer (or negative) length is refused from its header alone, before a byte of
 * it is read, so a hostile peer costs no memory. Each read and write waits at most until the
 * deadline of the exchange, so a silent peer costs no more than the timeout. */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "connection_impl.h"
#include "listener_impl.h"

#define CHALLENGE "#CHALLENGE#"
#define WELCOME "#WELCOME#"
#define FAILURE "#FAILURE#"
enum { TAG = sizeof CHALLENGE - 1, NONCE = 40, MIN_CHALLENGE = 20, MAX_NAME = 10 };

static const struct {
    const char *name;
    const EVP_MD *(*md)(void);
} digests[] = {{"md5", EVP_md5},
               {"sha256", EVP_sha256},
               {"sha384", EVP_sha384},
               {"sha3_256", EVP_sha3_256},
               {"sha3_384", EVP_sha3_384}};
enum { MD5 = 0, SHA256 = 1, NDIGESTS = sizeof digests / sizeof *digests };

/* The digest a message names and where its MAC starts (CPython's
 * _get_digest_name_and_payload): 16 and 20 bytes are always the legacy raw MD5, whatever they
 * hold; otherwise a "{name}" of an allowed digest, its "}" within the first 10 bytes. */
static int digest_of(const unsigned char *m, size_t n, size_t *skip)
{
    *skip = 0;
    if (n == 16 || n == 20)
        return MD5;
    const unsigned char *end =
        n > 1 && m[0] == '{' ? memchr(m + 1, '}', (n < MAX_NAME ? n : MAX_NAME) - 1) : NULL;
    for (int i = 0; end && i < NDIGESTS; i++) {
        size_t len = strlen(digests[i].name);
        if ((size_t)(end - m) == len + 1 && memcmp(m + 1, digests[i].name, len) == 0) {
            *skip = len + 2;
            return i;
        }
    }
    return -1;
}

/* HMAC of `msg` under `key` with digest i into `out`; its length, or 0 if libcrypto refused
 * (a digest its configuration disables, such as MD5 under FIPS). */
static unsigned mac(int i, const void *key, size_t keylen, const unsigned char *msg, size_t n,
                    unsigned char *out)
{
    static const unsigned char none[1];
    unsigned len = 0;
    if (keylen > INT_MAX ||
        !HMAC(digests[i].md(), keylen ? key : none, (int)keylen, msg, n, out, &len))
        return 0;
    return len;
}

int mp__auth_response(const void *key, size_t keylen, const unsigned char *msg, size_t n,
                      unsigned char *out, size_t *outlen)
{
    if (n < MIN_CHALLENGE)
        return mp__fail(MP_EPROTO, "challenge too short: %zu bytes", n);
    size_t skip;
    int d = digest_of(msg, n, &skip);
    if (d < 0)
        return mp__fail(MP_EPROTO, "unsupported message length, missing digest prefix, or "
                                   "unsupported digest in the challenge");
    unsigned len;
    if (d == MD5 && skip == 0 && (len = mac(MD5, key, keylen, msg, n, out)) > 0) {
        *outlen = len;
        return 0;
    }
    if (d == MD5 && skip == 0)
        d = SHA256; /* no MD5 here: CPython answers with the default digest instead */
    size_t pre = strlen(digests[d].name) + 2;
    out[0] = '{';
    memcpy(out + 1, digests[d].name, pre - 2);
    out[pre - 1] = '}';
    if (!(len = mac(d, key, keylen, msg, n, out + pre)))
        return mp__fail(MP_EPROTO, "HMAC-%s is not available", digests[d].name);
    *outlen = pre + len;
    return 0;
}

int mp__auth_verify(const void *key, size_t keylen, const unsigned char *msg, size_t n,
                    const unsigned char *resp, size_t rlen)
{
    size_t skip;
    int d = digest_of(resp, rlen, &skip);
    if (d < 0)
        return mp__fail(MP_EAUTH, "unsupported message length, missing digest prefix, or "
                                  "unsupported digest in the answer");
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned len = mac(d, key, keylen, msg, n, want);
    if (!len || len != rlen - skip || CRYPTO_memcmp(want, resp + skip, len) != 0)
        return mp__fail(MP_EAUTH, "digest received was wrong");
    return 0;
}

/* ===== Messages with a deadline ============================================================= */

/* Reads exactly n bytes before the deadline; *have counts what arrived. */
static int read_by(mp_conn_t *c, unsigned char *buf, size_t n, size_t *have, double deadline)
{
    while (*have < n) {
        size_t got = 0, want = n - *have;
        if (c->readahead && mp__conn_buffered(c)) { /* already in memory: no wait */
            size_t ahead = mp__conn_buffered(c);
            int rc = mp__conn_read(c, buf + *have, want < ahead ? want : ahead, &got);
            *have += got;
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = mp__poll_until(c->fd, POLLIN, deadline);
        if (rc < 0)
            return mp__fail(rc, "poll: %s", strerror(-rc));
        if (rc == 0)
            return mp__fail(MP_ETIMEDOUT, "the handshake did not finish in time");
        ssize_t r = read(c->fd, buf + *have, want);
        if (r > 0)
            *have += (size_t)r;
        else if (r == 0 || errno == ECONNRESET)
            return mp__fail(MP_EPROTO, "the peer closed the connection during the handshake");
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return mp__fail(mp__errno(), "read: %s", strerror(errno));
    }
    return 0;
}

/* One message of at most MP__HS_MAX bytes into buf. A longer one is refused by its header. */
static int recv_msg(mp_conn_t *c, unsigned char *buf, size_t *n, double deadline)
{
    if (c->out_of_step)
        return mp__fail(MP_EPROTO, "connection is out of step after a bad frame header");
    unsigned char h[4];
    size_t have = 0;
    int rc = read_by(c, h, sizeof h, &have, deadline);
    if (rc == 0) {
        uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        /* FF FF FF FF announces 2 GiB or more: no handshake message is that long. */
        if (len > MP__HS_MAX)
            rc = mp__fail(MP_EPROTO, "bad message length: a handshake message of %s bytes",
                          len > INT32_MAX ? "2 GiB or more" : "more than 256");
        size_t got = 0;
        if (rc == 0 && (rc = read_by(c, buf, len, &got, deadline)) == 0)
            *n = len;
    }
    /* Only a wait that timed out before the first byte leaves the stream at a boundary. */
    if (rc < 0 && (have || rc != MP_ETIMEDOUT))
        c->out_of_step = 1;
    return rc;
}

static int send_msg(mp_conn_t *c, const void *buf, size_t n, double deadline)
{
    unsigned char frame[4 + MP__HS_MAX];
    size_t hl = mp__conn_put_header(frame, n);
    memcpy(frame + hl, buf, n);
    /* A writable socket has room for far more than one handshake message: no write blocks. */
    int rc = mp__poll_until(c->fd, POLLOUT, deadline);
    if (rc <= 0)
        return rc < 0 ? mp__fail(rc, "poll: %s", strerror(-rc))
                      : mp__fail(MP_ETIMEDOUT, "the handshake did not finish in time");
    struct iovec iov = {frame, hl + n};
    rc = mp__write_all(c->fd, c->is_socket, &iov, 1);
    return rc == MP_EPIPE ? mp__fail(MP_EPROTO, "the peer closed the connection during the "
                                                "handshake")
                          : rc;
}

/* The checks both halves make; the deadline of the exchange. */
static int start(mp_conn_t *c, const void *key, size_t keylen, double timeout, double *deadline)
{
    MP__NEED(c);
    int rc = mp__conn_check(c, 1, 1);
    if (rc < 0)
        return rc;
    if (!key && keylen)
        return mp__fail(MP_EINVAL, "authkey is NULL");
    if (keylen > INT_MAX)
        return mp__fail(MP_EINVAL, "authkey of %zu bytes is too long", keylen);
    return mp__deadline(timeout, deadline);
}

int mp_deliver_challenge(mp_conn_t *c, const void *authkey, size_t authkey_len, double timeout)
{
    double deadline;
    int rc = start(c, authkey, authkey_len, timeout, &deadline);
    if (rc < 0)
        return rc;
    unsigned char msg[TAG + 8 + NONCE], resp[MP__HS_MAX];
    memcpy(msg, CHALLENGE "{sha256}", TAG + 8);
    if (getrandom(msg + TAG + 8, NONCE, 0) != NONCE)
        return mp__fail(mp__errno(), "getrandom: %s", strerror(errno));
    size_t n = 0;
    if ((rc = send_msg(c, msg, sizeof msg, deadline)) < 0 ||
        (rc = recv_msg(c, resp, &n, deadline)) < 0)
        return rc;
    rc = mp__auth_verify(authkey, authkey_len, msg + TAG, sizeof msg - TAG, resp, n);
    if (rc == 0)
        return send_msg(c, WELCOME, sizeof WELCOME - 1, deadline);
    char why[256];
    snprintf(why, sizeof why, "%s", mp_errmsg());
    (void)send_msg(c, FAILURE, sizeof FAILURE - 1, deadline); /* the verdict stands either way */
    return mp__fail(MP_EAUTH, "%s", why);
}

int mp_answer_challenge(mp_conn_t *c, const void *authkey, size_t authkey_len, double timeout)
{
    double deadline;
    int rc = start(c, authkey, authkey_len, timeout, &deadline);
    if (rc < 0)
        return rc;
    unsigned char msg[MP__HS_MAX], resp[MP__HS_MAX];
    size_t n = 0, rn = 0;
    if ((rc = recv_msg(c, msg, &n, deadline)) < 0)
        return rc;
    if (n < TAG || memcmp(msg, CHALLENGE, TAG) != 0)
        return mp__fail(MP_EPROTO, "expected a #CHALLENGE# message, got %zu other bytes", n);
    if ((rc = mp__auth_response(authkey, authkey_len, msg + TAG, n - TAG, resp, &rn)) < 0 ||
        (rc = send_msg(c, resp, rn, deadline)) < 0 || (rc = recv_msg(c, msg, &n, deadline)) < 0)
        return rc;
    if (n == sizeof WELCOME - 1 && memcmp(msg, WELCOME, n) == 0)
        return 0;
    if (n == sizeof FAILURE - 1 && memcmp(msg, FAILURE, n) == 0)
        return mp__fail(MP_EAUTH, "digest sent was rejected");
    return mp__fail(MP_EPROTO, "expected #WELCOME# or #FAILURE#, got %zu other bytes", n);
}
