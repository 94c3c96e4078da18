/* The private layout of a Connection and the calls the files of lib/src/connection*.c share:
 * connection.c (the ends and the framing), connection_io.c (whole writes, exact reads),
 * connection_readahead.c (the opt-in read buffer), connection_obj.c (values and ends sent over a
 * connection) and connection_poll.c (poll and wait). */
#ifndef MP_CONNECTION_IMPL_H
#define MP_CONNECTION_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include "mp_internal.h"

struct mp_conn_s {
    int fd;
    int readable, writable;
    int is_socket;
    int out_of_step; /* a bad header was read: the stream can no longer be trusted */
    /* Read-ahead (opt-in, mp_conn_set_readahead()): bytes read from fd but not yet delivered,
     * rbuf[rpos..rlen), owned by the process `rowner`. */
    int readahead;
    unsigned char *rbuf;
    size_t rpos, rlen;
    pid_t rowner;
};

/* The checks every Connection method makes: a handle, open, and the direction it needs. Inline,
 * so that every file of a Connection can make them without calling back into connection.c. */
static inline int mp__conn_check(const mp_conn_t *c, int want_read, int want_write)
{
    if (!c)
        return mp__fail(MP_EINVAL, "connection is NULL");
    if (c->fd < 0)
        return mp__fail(MP_ECLOSED, "handle is closed");
    if (want_read && !c->readable)
        return mp__fail(MP_EDIRECTION, "connection is write-only");
    if (want_write && !c->writable)
        return mp__fail(MP_EDIRECTION, "connection is read-only");
    return 0;
}

struct iovec;

/* Writes every byte of the iovecs (advancing them), retrying EINTR and short writes; SIGPIPE
 * never fires. Returns 0, MP_EPIPE, or -errno. (connection_io.c) */
int mp__write_all(int fd, int is_socket, struct iovec *iov, int cnt);

/* Reads exactly n bytes unless end of file comes first. Returns 0, MP_EOF (short: *got says how
 * many arrived), or -errno. (connection_io.c) */
int mp__read_exact(int fd, void *buf, size_t n, size_t *got);

/* Reads a payload whose header was read already, into a buffer that grows as bytes arrive.
 * (connection.c) */
int mp__conn_read_payload(mp_conn_t *c, uint64_t size, void **out);

/* mp__conn_read() on an end with read-ahead on. (connection_readahead.c) */
int mp__conn_read_ahead(mp_conn_t *c, void *buf, size_t n, size_t *got);

/* Reads exactly n bytes of the stream (through the read-ahead buffer when it is on). Returns 0,
 * MP_EOF (short: *got says how many arrived), MP_ESTATE (another process's buffer), or -errno.
 * Inline, so that the default, unbuffered read of a small message costs no extra call. */
static inline int mp__conn_read(mp_conn_t *c, void *buf, size_t n, size_t *got)
{
    return c->readahead ? mp__conn_read_ahead(c, buf, n, got) : mp__read_exact(c->fd, buf, n, got);
}

/* Bytes buffered by read-ahead and not yet delivered. (connection_readahead.c) */
size_t mp__conn_buffered(const mp_conn_t *c);

/* CPython's frame header for a payload of n bytes (4 bytes, or -1 and 8 more); its length. */
size_t mp__conn_put_header(unsigned char hdr[12], uint64_t n);

/* The frame header at the start of `avail` bytes: 1 with *hdrlen and *n set, 0 when more bytes
 * are needed, MP_EPROTO for a negative length other than -1. For readers that parse frames
 * out of a buffer of their own (the Pool's thread). */
int mp__conn_parse_header(const unsigned char *b, size_t avail, size_t *hdrlen, uint64_t *n);

#endif /* MP_CONNECTION_IMPL_H */
