/* Pipe and Connection: the ends, their checks, and CPython's framing.
 *
 * A frame is a 4-byte big-endian signed length and the payload; from 2 GiB up the length is
 * FF FF FF FF and an 8-byte big-endian unsigned length. We write the header and the payload with
 * one system call (CPython concatenates up to 16 KiB and writes twice above; the peer cannot
 * tell).
 * We read exactly one frame, and refuse what CPython silently accepts: a negative length other
 * than -1, which would leave the stream out of step (docs/pages/deviations.md, Pipes and
 * connections).
 *
 * A hostile header may announce an enormous payload: the receive buffer grows with the bytes
 * that actually arrive, so a 4-byte lie never costs more than a small allocation. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "connection_impl.h"

enum { SMALL_MAX = 0x7fffffff, FIRST_CHUNK = 1 << 20, PIPE_SIZE = 1 << 20, SMALL_COPY = 4096 };

static int conn_make(mp_conn_t **out, int fd, int readable, int writable, int is_socket)
{
    mp_conn_t *c = malloc(sizeof *c);
    if (!c)
        return mp__fail(MP_ENOMEM, "out of memory");
    *c = (mp_conn_t){
        .fd = fd, .readable = !!readable, .writable = !!writable, .is_socket = is_socket};
    *out = c;
    return 0;
}

int mp_pipe(mp_conn_t **c1, mp_conn_t **c2, int duplex)
{
    MP__NEED(c1);
    MP__NEED(c2);
    int fds[2];
    /* Close-on-exec from birth, as every descriptor of libmp (connection.h, "Descriptors").
     * A simplex Pipe stays a pipe(2) rather than a socketpair used one way: an AF_UNIX send,
     * and a receive, each cost about three times a pipe's on the machines the benchmarks ran
     * on, and a pipe write no longer pays for a SIGPIPE mask where the kernel has RWF_NOSIGNAL
     * (connection_io.c). */
    int rc =
        duplex ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) : pipe2(fds, O_CLOEXEC);
    if (rc < 0)
        return mp__fail(-errno, "%s: %s", duplex ? "socketpair" : "pipe2", strerror(errno));
    /* A 4-byte header plus a 64 KiB payload overflows the default 64 KiB pipe and stalls every
     * large message; 1 MiB lets streams flow (docs/pages/performance.md). Best effort: a limit
     * may refuse it. */
    if (!duplex)
        (void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
    rc = conn_make(c1, fds[0], 1, duplex, duplex);
    if (rc == 0 && (rc = conn_make(c2, fds[1], duplex, 1, duplex)) < 0)
        free(*c1);
    if (rc < 0) {
        close(fds[0]);
        close(fds[1]);
    }
    return rc;
}

int mp_conn_from_fd(mp_conn_t **out, int fd, int readable, int writable)
{
    MP__NEED(out);
    if (fd < 0)
        return mp__fail(MP_EINVAL, "invalid handle");
    if (!readable && !writable)
        return mp__fail(MP_EINVAL, "at least one of `readable` and `writable` must be True");
    int type = 0;
    socklen_t len = sizeof type;
    int is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
    return conn_make(out, fd, readable, writable, is_socket);
}

int mp_conn_close(mp_conn_t *c)
{
    MP__NEED(c);
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return 0;
}

void mp_conn_free(mp_conn_t *c)
{
    if (!c)
        return;
    mp_conn_close(c);
    free(c->rbuf);
    free(c);
}

int mp_conn_fileno(const mp_conn_t *c)
{
    MP__NEED(c);
    int rc = mp__conn_check(c, 0, 0);
    return rc < 0 ? rc : c->fd;
}

int mp_conn_closed(const mp_conn_t *c)
{
    MP__NEED_OR(c, 1);
    return c->fd < 0;
}

int mp_conn_readable(const mp_conn_t *c)
{
    MP__NEED_OR(c, 0);
    return c->readable;
}

int mp_conn_writable(const mp_conn_t *c)
{
    MP__NEED_OR(c, 0);
    return c->writable;
}

/* ===== Sending ============================================================================== */

size_t mp__conn_put_header(unsigned char hdr[12], uint64_t n)
{
    if (n <= SMALL_MAX) {
        for (int i = 0; i < 4; i++)
            hdr[i] = (unsigned char)(n >> (24 - 8 * i));
        return 4;
    }
    memset(hdr, 0xff, 4);
    for (int i = 0; i < 8; i++)
        hdr[4 + i] = (unsigned char)(n >> (56 - 8 * i));
    return 12;
}

int mp__conn_parse_header(const unsigned char *b, size_t avail, size_t *hdrlen, uint64_t *n)
{
    if (avail < 4)
        return 0;
    int32_t small =
        (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
    if (small >= 0) {
        *hdrlen = 4;
        *n = (uint64_t)small;
        return 1;
    }
    if (small != -1)
        return mp__fail(MP_EPROTO, "bad message length %d in frame header", (int)small);
    if (avail < 12)
        return 0;
    *n = 0;
    for (int i = 4; i < 12; i++)
        *n = *n << 8 | b[i];
    *hdrlen = 12;
    return 1;
}

int mp_conn_send_bytes(mp_conn_t *c, const void *buf, size_t len)
{
    MP__NEED(c);
    int rc = mp__conn_check(c, 0, 1);
    if (rc < 0)
        return rc;
    if (!buf && len)
        return mp__fail(MP_EINVAL, "buffer is NULL");
    /* A small frame is copied behind its header and written with one plain write: cheaper
     * than a two-piece writev, and one piece for the peer either way. */
    unsigned char small[4 + SMALL_COPY];
    if (len <= SMALL_COPY) {
        mp__conn_put_header(small, len);
        if (len)
            memcpy(small + 4, buf, len);
        struct iovec one = {small, 4 + len};
        return mp__write_all(c->fd, c->is_socket, &one, 1);
    }
    unsigned char hdr[12];
    struct iovec iov[2] = {{hdr, mp__conn_put_header(hdr, len)}, {(void *)buf, len}};
    return mp__write_all(c->fd, c->is_socket, iov, 2);
}

int mp_conn_send_bytes_ex(mp_conn_t *c, const void *buf, size_t buflen, long long offset,
                          long long size)
{
    MP__NEED(c);
    if (offset < 0)
        return mp__fail(MP_EINVAL, "offset is negative");
    if ((unsigned long long)offset > buflen)
        return mp__fail(MP_EINVAL, "buffer length < offset");
    if (size == MP_SIZE_NONE)
        size = (long long)(buflen - (size_t)offset);
    else if (size < 0)
        return mp__fail(MP_EINVAL, "size is negative");
    else if ((unsigned long long)offset + (unsigned long long)size > buflen)
        return mp__fail(MP_EINVAL, "buffer length < offset + size");
    return mp_conn_send_bytes(c, (const char *)buf + offset, (size_t)size);
}

/* ===== Receiving ============================================================================ */

/* Reads a frame header. 0 with *size; MP_EOF at a clean boundary; MP_EPROTO otherwise. */
static int read_header(mp_conn_t *c, uint64_t *size)
{
    if (c->out_of_step)
        return mp__fail(MP_EPROTO, "connection is out of step after a bad frame header");
    unsigned char h[8] = {0};
    size_t got;
    int rc = mp__conn_read(c, h, 4, &got);
    if (rc == MP_EOF && got == 0)
        return mp__fail(MP_EOF, "end of file: the peer closed and every message was read");
    if (rc == MP_EOF)
        return mp__fail(MP_EPROTO, "got end of file during message");
    if (rc < 0)
        return rc;
    int32_t n = (int32_t)((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]);
    if (n >= 0) {
        *size = (uint64_t)n;
        return 0;
    }
    if (n != -1) {
        c->out_of_step = 1;
        return mp__fail(MP_EPROTO, "bad message length %d in frame header", (int)n);
    }
    rc = mp__conn_read(c, h, 8, &got);
    if (rc == MP_EOF)
        return mp__fail(MP_EPROTO, "got end of file during message");
    if (rc < 0)
        return rc;
    *size = 0;
    for (int i = 0; i < 8; i++)
        *size = *size << 8 | h[i];
    return 0;
}

/* Reads a payload of `size` bytes into a buffer that grows with what arrives. */
static int read_payload(mp_conn_t *c, uint64_t size, void **out)
{
    if (size > SIZE_MAX - 1)
        return mp__fail(MP_EMSGSIZE, "message of %llu bytes is too large for this machine",
                        (unsigned long long)size);
    size_t cap = size < FIRST_CHUNK ? (size_t)size : FIRST_CHUNK, have = 0;
    char *buf = malloc(cap ? cap : 1);
    while (buf) {
        size_t got;
        int rc = mp__conn_read(c, buf + have, cap - have, &got);
        have += got;
        if (rc < 0) {
            free(buf);
            return rc == MP_EOF ? mp__fail(MP_EPROTO, "got end of file during message") : rc;
        }
        if (have == size) {
            *out = buf;
            return 0;
        }
        cap = size - cap > cap ? cap * 2 : (size_t)size;
        char *bigger = realloc(buf, cap);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    return mp__fail(MP_ENOMEM, "out of memory for a message of %llu bytes",
                    (unsigned long long)size);
}

int mp__conn_read_payload(mp_conn_t *c, uint64_t size, void **out)
{
    return read_payload(c, size, out);
}

int mp_conn_recv_bytes(mp_conn_t *c, void **out, size_t *len, long long maxlength)
{
    MP__NEED(c);
    MP__NEED(out);
    MP__NEED(len);
    int rc = mp__conn_check(c, 1, 0);
    if (rc < 0)
        return rc;
    if (maxlength != MP_SIZE_NONE && maxlength < 0)
        return mp__fail(MP_EINVAL, "negative maxlength");
    uint64_t size = 0;
    if ((rc = read_header(c, &size)) < 0)
        return rc;
    if (maxlength != MP_SIZE_NONE && size > (uint64_t)maxlength) {
        /* CPython leaves the payload unread, so the end cannot receive any more. */
        c->readable = 0;
        if (!c->writable)
            mp_conn_close(c);
        return mp__fail(MP_EMSGSIZE, "bad message length");
    }
    if ((rc = read_payload(c, size, out)) < 0)
        return rc;
    *len = (size_t)size;
    return 0;
}

int mp_conn_recv_bytes_into(mp_conn_t *c, void *buf, size_t buflen, long long offset, size_t *nread,
                            void **whole)
{
    MP__NEED(c);
    int rc = mp__conn_check(c, 1, 0);
    if (rc < 0)
        return rc;
    if (offset < 0)
        return mp__fail(MP_EINVAL, "negative offset");
    if ((unsigned long long)offset > buflen)
        return mp__fail(MP_EINVAL, "offset too large");
    uint64_t size = 0;
    if ((rc = read_header(c, &size)) < 0)
        return rc;
    if (nread)
        *nread = (size_t)size;
    if (size <= buflen - (size_t)offset) {
        size_t got;
        rc = mp__conn_read(c, (char *)buf + offset, (size_t)size, &got);
        return rc == MP_EOF ? mp__fail(MP_EPROTO, "got end of file during message") : rc;
    }
    /* Too long: consume it whole, and hand it over as BufferTooShort does. */
    void *msg = NULL;
    if ((rc = read_payload(c, size, &msg)) < 0)
        return rc;
    if (whole)
        *whole = msg;
    else
        free(msg);
    return mp__fail(MP_EMSGSIZE, "message of %llu bytes does not fit in %zu bytes",
                    (unsigned long long)size, buflen - (size_t)offset);
}
