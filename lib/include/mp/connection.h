/**
 * @file connection.h
 * @brief Pipes and connections: `multiprocessing.Pipe`, `Connection` and `connection.wait`.
 *
 * A connection carries *messages*: each one is framed exactly as CPython frames it (a 4-byte
 * big-endian length, or `FF FF FF FF` and an 8-byte length from 2 GiB up, then the payload), so
 * a C process and a Python process can share one. Values travel pickled (mp_conn_send(),
 * mp_conn_recv()); raw bytes travel as they are (mp_conn_send_bytes(), mp_conn_recv_bytes()).
 *
 * `mp_pipe(&a, &b, 1)` is duplex (a socketpair: both ends send and receive);
 * `mp_pipe(&r, &w, 0)` is simplex, and like CPython (and unlike the tutorial) the **first** end
 * only receives and the **second** only sends.
 *
 * End of file follows CPython: a receiver sees #MP_EOF only when every copy of the peer's end
 * is closed (after fork(), the parent must close the child's end) and every queued message has
 * been read. Sending to a closed peer is #MP_EPIPE: SIGPIPE never kills the process because of
 * libmp. A connection reads exactly one message at a time and, unless asked to
 * (mp_conn_set_readahead()), never reads ahead: an end can be handed to a child at any point
 * without losing or duplicating a message.
 *
 * As in CPython, a connection is not locked: two processes or threads must not use the same
 * end at the same time.
 *
 * **Descriptors.** Every descriptor libmp creates is close-on-exec: both ends of each kind of
 * Pipe (`pipe2(O_CLOEXEC)`, `SOCK_CLOEXEC`), an end received with mp_conn_recv_conn()
 * (`MSG_CMSG_CLOEXEC`), a queue's descriptors and the memfds of shared memory, a process's
 * sentinel. This is CPython's rule since PEP 446 (descriptors are non-inheritable): a program
 * that execs does not leak libmp's descriptors into the new image, while fork() keeps them all,
 * which is how a child gets its ends. A descriptor that must survive exec is the caller's to
 * mark (`fcntl(fd, F_SETFD, 0)` on mp_conn_fileno()); mp_conn_from_fd() leaves the flag of the
 * descriptor it is given as it is.
 *
 * @defgroup mp_connection Pipe and Connection
 * @{
 */
#ifndef MP_CONNECTION_H
#define MP_CONNECTION_H

#include <stddef.h>

#include "mp/common.h"
#include "mp/object.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One end of a pipe: `multiprocessing.connection.Connection`. */
typedef struct mp_conn_s mp_conn_t;

/** Python's `None` for the `size` of mp_conn_send_bytes_ex() and the `maxlength` of
 *  mp_conn_recv_bytes(): "no limit" / "the rest of the buffer". */
#define MP_SIZE_NONE (-1LL - 0x7fffffffffffffffLL)

/**
 * @brief Makes a pair of connected ends.
 * @param[out] c1  duplex: one end; simplex: the end that only receives.
 * @param[out] c2  duplex: the other end; simplex: the end that only sends.
 * @param duplex   non-zero for a two-way pipe (a socketpair), 0 for a one-way pipe(2).
 * @return 0; a negative errno (#MP_EMFILE...) if the system refuses.
 * @pyequiv `multiprocessing.Pipe(duplex=True)`.
 */
MP_EXTERN int mp_pipe(mp_conn_t **c1, mp_conn_t **c2, int duplex);

/**
 * @brief Wraps a file descriptor the caller owns (an inherited socket or pipe end) as a
 *        connection; mp_conn_close() will close it.
 * @param[out] out  the new connection.
 * @param fd        the descriptor.
 * @param readable  non-zero if the end may receive.
 * @param writable  non-zero if the end may send.
 * @return 0; #MP_EINVAL for a negative fd ("invalid handle") or an end that is neither
 *         readable nor writable; #MP_ENOMEM.
 * @pyequiv `multiprocessing.connection.Connection(handle, readable=True, writable=True)`.
 */
MP_EXTERN int mp_conn_from_fd(mp_conn_t **out, int fd, int readable, int writable);

/**
 * @brief Pickles a value and sends it as one message. Blocks while the pipe is full.
 *
 * The value is pickled before anything is written, so a value that cannot be pickled leaves
 * nothing on the wire.
 * @param c    the connection.
 * @param obj  the value.
 * @return 0; #MP_ECLOSED; #MP_EDIRECTION (read-only end); #MP_EPIPE (peer closed);
 *         #MP_EENCODE.
 * @pyequiv `Connection.send(obj)`.
 */
MP_EXTERN int mp_conn_send(mp_conn_t *c, const mp_obj_t *obj);

/**
 * @brief Receives one message and unpickles it. Blocks until a whole message or EOF.
 * @param c         the connection.
 * @param[out] out  the value (a new reference).
 * @return 0; #MP_EOF (peer closed, nothing left: every later call says so again);
 *         #MP_EPROTO (truncated or malformed frame); #MP_EDECODE (not a safe pickle; the
 *         message is consumed); #MP_ECLOSED; #MP_EDIRECTION.
 * @pyequiv `Connection.recv()`.
 */
MP_EXTERN int mp_conn_recv(mp_conn_t *c, mp_obj_t **out);

/**
 * @brief Sends `len` bytes as one message.
 * @param c    the connection.
 * @param buf  the bytes (may be NULL when len is 0).
 * @param len  how many.
 * @return as mp_conn_send(), without #MP_EENCODE.
 * @pyequiv `Connection.send_bytes(buf)`.
 */
MP_EXTERN int mp_conn_send_bytes(mp_conn_t *c, const void *buf, size_t len);

/**
 * @brief Sends `buf[offset:offset+size]` as one message, with CPython's checks.
 * @param c       the connection.
 * @param buf     the buffer.
 * @param buflen  its length.
 * @param offset  where to start; negative or past the end is #MP_EINVAL.
 * @param size    how many bytes, or #MP_SIZE_NONE for the rest; negative, or past the end, is
 *                #MP_EINVAL. Nothing is sent when an argument is refused.
 * @return as mp_conn_send_bytes().
 * @pyequiv `Connection.send_bytes(buf, offset=0, size=None)`.
 */
MP_EXTERN int mp_conn_send_bytes_ex(mp_conn_t *c, const void *buf, size_t buflen, long long offset,
                                    long long size);

/**
 * @brief Receives one message as raw bytes.
 * @param c          the connection.
 * @param[out] out   the payload, malloc'd (free it with free()); never NULL on success, even
 *                   for an empty message.
 * @param[out] len   its length.
 * @param maxlength  #MP_SIZE_NONE, or the longest message accepted: a longer one is
 *                   #MP_EMSGSIZE and, as in CPython, is not consumed, and the end stops
 *                   receiving (a duplex end becomes write-only, a read-only end is closed).
 * @return 0; #MP_EINVAL for a negative maxlength; #MP_EMSGSIZE; and as mp_conn_recv().
 * @pyequiv `Connection.recv_bytes(maxlength=None)`.
 */
MP_EXTERN int mp_conn_recv_bytes(mp_conn_t *c, void **out, size_t *len, long long maxlength);

/**
 * @brief Receives one message into `buf` at `offset`.
 * @param c           the connection.
 * @param buf         where to write.
 * @param buflen      the size of buf.
 * @param offset      where in buf; negative or past the end is #MP_EINVAL.
 * @param[out] nread  the message's length (also when it did not fit).
 * @param[out] whole  NULL, or where to hand over the whole message (malloc'd) when it does not
 *                    fit: CPython's `BufferTooShort.args[0]`. The message is consumed either way.
 * @return 0; #MP_EMSGSIZE when the message is longer than `buflen - offset`; and as
 *         mp_conn_recv().
 * @pyequiv `Connection.recv_bytes_into(buf, offset=0)`.
 */
MP_EXTERN int mp_conn_recv_bytes_into(mp_conn_t *c, void *buf, size_t buflen, long long offset,
                                      size_t *nread, void **whole);

/**
 * @brief Whether a message (or EOF) can be received without blocking, waiting at most
 *        `timeout` seconds for one.
 * @param c        the connection.
 * @param timeout  0 polls (CPython's default), #MP_FOREVER waits, negative counts as 0.
 * @return 1 ready (a message, or EOF); 0 not ready; #MP_ECLOSED; #MP_EDIRECTION (write-only
 *         end); #MP_EINVAL for a NaN.
 * @pyequiv `Connection.poll(timeout=0.0)`.
 */
MP_EXTERN int mp_conn_poll(mp_conn_t *c, double timeout);

/**
 * @brief Lets this end read ahead: one read(2) takes in every message that has arrived, and
 *        later receives come out of memory. Off by default.
 *
 * It makes a stream of small messages much faster, but the bytes read ahead belong to this
 * process: while any are buffered, the end cannot be used by another process (a forked child
 * gets #MP_ESTATE from its copy) nor passed with mp_conn_send_conn() (#MP_EBUSY). Turn it on
 * only for an end that stays in this process.
 * @param c   a readable connection.
 * @param on  1 to read ahead, 0 to stop (refused with #MP_EBUSY while bytes are buffered).
 * @return 0; #MP_EBUSY; #MP_ENOMEM; #MP_ECLOSED; #MP_EDIRECTION.
 * @pyequiv none: CPython always reads exactly one message.
 */
MP_EXTERN int mp_conn_set_readahead(mp_conn_t *c, int on);

/**
 * @brief Closes this process's copy of the end. Idempotent; the object stays valid until
 *        mp_conn_free().
 * @param c the connection.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `Connection.close()`.
 */
MP_EXTERN int mp_conn_close(mp_conn_t *c);

/**
 * @brief Closes the end (if open) and frees the object.
 * @param c the connection, or NULL.
 * @pyequiv dropping the last reference to a Connection (`__del__` closes it).
 */
MP_EXTERN void mp_conn_free(mp_conn_t *c);

/**
 * @brief The file descriptor.
 * @param c the connection.
 * @return the fd; #MP_ECLOSED.
 * @pyequiv `Connection.fileno()`.
 */
MP_EXTERN int mp_conn_fileno(const mp_conn_t *c);

/**
 * @brief Whether this end is closed.
 * @param c the connection.
 * @return 1 or 0; 1 for a NULL connection (mp_errmsg() says so).
 * @pyequiv `Connection.closed`.
 */
MP_EXTERN int mp_conn_closed(const mp_conn_t *c);

/**
 * @brief Whether this end may receive.
 * @param c the connection.
 * @return 1 or 0; 0 for a NULL connection (mp_errmsg() says so).
 * @pyequiv `Connection.readable`.
 */
MP_EXTERN int mp_conn_readable(const mp_conn_t *c);

/**
 * @brief Whether this end may send.
 * @param c the connection.
 * @return 1 or 0; 0 for a NULL connection (mp_errmsg() says so).
 * @pyequiv `Connection.writable`.
 */
MP_EXTERN int mp_conn_writable(const mp_conn_t *c);

/**
 * @brief Sends a connection's end to the process at the other end of `c`, which receives a
 *        working end of its own (the same direction) with mp_conn_recv_conn().
 *
 * The descriptor travels as SCM_RIGHTS ancillary data, so `c` must be a duplex (socketpair)
 * connection. `end` stays open here; close it if this process no longer needs it.
 * @param c    a duplex connection.
 * @param end  the connection to send.
 * @return 0; #MP_EINVAL if `c` is not a socket; #MP_ECLOSED; #MP_EPIPE.
 * @pyequiv `Connection.send(conn)` (a Connection pickled by fd passing).
 */
MP_EXTERN int mp_conn_send_conn(mp_conn_t *c, const mp_conn_t *end);

/**
 * @brief Receives a connection sent with mp_conn_send_conn().
 * @param c         a duplex connection.
 * @param[out] out  the received end; free it with mp_conn_free().
 * @return 0; #MP_EPROTO if the next message is not a connection; and as mp_conn_recv().
 * @pyequiv `Connection.recv()` of a Connection.
 */
MP_EXTERN int mp_conn_recv_conn(mp_conn_t *c, mp_conn_t **out);

/** What mp_wait() can wait on: a connection, or a bare file descriptor such as a process
 *  sentinel (mp_process_sentinel()). Make one with MP_WAIT_CONN() or MP_WAIT_FD(). */
typedef struct mp_waitable_s {
    mp_conn_t *conn; /**< the connection, or NULL for a bare fd */
    int fd;          /**< the fd when conn is NULL */
} mp_waitable_t;

/** A waitable for a connection. */
#define MP_WAIT_CONN(c) ((mp_waitable_t){(c), -1})
/** A waitable for a file descriptor (a sentinel, a socket). */
#define MP_WAIT_FD(f) ((mp_waitable_t){NULL, (f)})

/**
 * @brief Waits until at least one object is ready: a connection with a message or EOF, a
 *        sentinel whose process has ended. Any number of objects (no FD_SETSIZE limit).
 * @param objs     the objects (may be NULL, as `ready` may, when n is 0).
 * @param n        how many.
 * @param timeout  seconds; #MP_FOREVER waits; negative counts as 0.
 * @param[out] ready  n flags, set to 1 for each ready object and 0 for the others.
 * @return how many are ready (0 when the timeout passed); #MP_ECLOSED if a connection is
 *         closed; #MP_EINVAL (NaN, NULL).
 * @pyequiv `multiprocessing.connection.wait(object_list, timeout=None)`, which returns the
 *          list of ready objects.
 */
MP_EXTERN int mp_wait(const mp_waitable_t *objs, size_t n, double timeout, unsigned char *ready);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_CONNECTION_H */
