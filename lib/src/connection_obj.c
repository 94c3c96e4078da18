/* What travels over a Connection above the bytes: values (pickled, as Connection.send and
 * Connection.recv do) and ends passed to another process (a descriptor over SCM_RIGHTS). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "connection_impl.h"

int mp_conn_send(mp_conn_t *c, const mp_obj_t *obj)
{
    MP__NEED(c);
    MP__NEED(obj);
    int rc = mp__conn_check(c, 0, 1);
    if (rc < 0)
        return rc;
    void *data;
    size_t len;
    /* Pickle first: a value that does not encode must leave nothing on the wire. */
    if ((rc = mp_pickle_dumps(obj, -1, &data, &len)) < 0)
        return rc;
    rc = mp_conn_send_bytes(c, data, len);
    free(data);
    return rc;
}

int mp_conn_recv(mp_conn_t *c, mp_obj_t **out)
{
    MP__NEED(c);
    MP__NEED(out);
    void *data;
    size_t len;
    int rc = mp_conn_recv_bytes(c, &data, &len, MP_SIZE_NONE);
    if (rc < 0)
        return rc;
    rc = mp_pickle_loads(data, len, out);
    /* A listener with an authkey opens with its challenge: say so, rather than only that the
     * bytes are no pickle, since the cure is a key on this side (listener.h). */
    if (rc == MP_EDECODE && len > 11 && memcmp(data, "#CHALLENGE#", 11) == 0)
        rc = mp__fail(MP_EDECODE, "the peer sent an authentication challenge (#CHALLENGE#), not "
                                  "a value: it expects an authkey (mp_client with the key)");
    free(data);
    return rc;
}

/* ===== Ends passed between processes ======================================================== */

/* The payload of a frame that carries an end: a tag no pickle starts with (pickles start with
 * PROTO 0x80 or an opcode), then the direction flags. */
static const char conn_tag[8] = {'\0', 'm', 'p', '.', 'c', 'o', 'n', 'n'};

int mp_conn_send_conn(mp_conn_t *c, const mp_conn_t *end)
{
    MP__NEED(c);
    MP__NEED(end);
    int rc = mp__conn_check(c, 0, 1);
    if (rc < 0 || (rc = mp_conn_fileno(end)) < 0)
        return rc;
    if (!c->is_socket)
        return mp__fail(MP_EINVAL, "an end can only be sent over a duplex (socket) connection");
    if (mp__conn_buffered(end))
        return mp__fail(MP_EBUSY, "the end holds read-ahead data, which would be lost");
    unsigned char frame[4 + sizeof conn_tag + 2] = {0, 0, 0, sizeof conn_tag + 2};
    memcpy(frame + 4, conn_tag, sizeof conn_tag);
    frame[4 + sizeof conn_tag] = (unsigned char)mp_conn_readable(end);
    frame[5 + sizeof conn_tag] = (unsigned char)mp_conn_writable(end);
    int fd = mp_conn_fileno(end);
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {frame, sizeof frame};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    ssize_t n;
    while ((n = sendmsg(mp_conn_fileno(c), &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return errno == EPIPE || errno == ECONNRESET
                   ? mp__fail(MP_EPIPE, "broken pipe: the peer's end is closed")
                   : mp__fail(-errno, "sendmsg: %s", strerror(errno));
    /* The descriptor rode on the first byte; the rest of a short write goes out plainly. */
    struct iovec rest = {frame + n, sizeof frame - (size_t)n};
    return (size_t)n == sizeof frame ? 0 : mp__write_all(mp_conn_fileno(c), 1, &rest, 1);
}

/* Receives the first bytes of a frame with recvmsg, so that a descriptor riding on them is
 * kept (read() would make the kernel close it). Returns the fd, or -1 if none came. */
static int recv_with_fd(int sock, unsigned char *buf, size_t n, size_t *got)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, n};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r;
    while ((r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    *got = r > 0 ? (size_t)r : 0;
    int fd = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); r > 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

int mp_conn_recv_conn(mp_conn_t *c, mp_conn_t **out)
{
    MP__NEED(c);
    MP__NEED(out);
    int rc = mp__conn_check(c, 1, 0);
    if (rc < 0)
        return rc;
    if (mp__conn_buffered(c))
        return mp__fail(MP_EBUSY, "read-ahead is on and holds data: receive the end without it");
    unsigned char hdr[4], body[sizeof conn_tag + 2] = {0};
    size_t got, more = 0;
    int sock = mp_conn_fileno(c);
    int fd = recv_with_fd(sock, hdr, sizeof hdr, &got);
    if (got == 0)
        return mp__fail(MP_EOF, "end of file: the peer closed and every message was read");
    rc = got < sizeof hdr ? mp__read_exact(sock, hdr + got, sizeof hdr - got, &more) : 0;
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (rc == 0 && n == sizeof body)
        rc = mp__read_exact(sock, body, sizeof body, &more);
    else if (rc == 0 && n < 0x80000000u) {
        void *skip; /* not an end: consume the message, so the stream stays in step */
        if ((rc = mp__conn_read_payload(c, n, &skip)) == 0)
            free(skip);
        rc = rc < 0 ? rc : MP_EPROTO;
    } else if (rc == 0)
        rc = MP_EPROTO;
    if (rc == 0 && (fd < 0 || memcmp(body, conn_tag, sizeof conn_tag) != 0))
        rc = MP_EPROTO;
    if (rc == 0)
        rc = mp_conn_from_fd(out, fd, body[sizeof conn_tag], body[sizeof conn_tag + 1]);
    if (rc < 0 && fd >= 0)
        close(fd);
    if (rc == MP_EOF)
        return mp__fail(MP_EPROTO, "got end of file during message");
    return rc == MP_EPROTO ? mp__fail(rc, "the message received is not a connection end") : rc;
}
