/**
 * @file listener.h
 * @brief Connections by address: `multiprocessing.connection.Listener` and `Client`, with
 *        CPython's authentication, so that unrelated C and Python processes can talk.
 *
 * A listener binds an address and accepts connections; a client connects to one. What they
 * give is an ordinary connection (mp_conn_t): the same framing, values pickled the same way,
 * as CPython's, so either side may be a Python program.
 *
 * **Addresses** are strings, and the family follows from their form unless it is given:
 * - `"127.0.0.1:8000"`, `"localhost:8000"`: IPv4 (#MP_AF_INET), Python's `("127.0.0.1", 8000)`;
 * - `"[::1]:8000"`: IPv6 (#MP_AF_INET6), which CPython's `Listener` does not offer;
 * - `"/tmp/sock"` or any other string: a Unix socket path (#MP_AF_UNIX), Python's `"/tmp/sock"`;
 * - `"@name"`: a Linux abstract socket (#MP_AF_UNIX), Python's `"\0name"` (the same socket:
 *   the name's length is passed without a trailing NUL, as CPython does).
 *
 * Port 0 asks the system for a free port; mp_listener_address() then gives the one bound. A
 * NULL address asks for an arbitrary one of the family (#MP_AF_INET: `127.0.0.1:0`;
 * #MP_AF_UNIX: a new path in the temporary directory), as CPython's `arbitrary_address()`.
 *
 * **Authentication.** With a key (any bytes, even none: `authkey_len` 0 with a non-NULL
 * `authkey`), both sides prove that they hold it before a connection is handed over: the
 * listener challenges the client, then the client challenges the listener, as CPython's
 * `deliver_challenge()` and `answer_challenge()` do. The listener challenges as CPython 3.12+
 * (HMAC-SHA256, `{sha256}` prefix) and accepts the raw HMAC-MD5 answers of CPython 3.8-3.11; a
 * client answers either generation. HMAC and its constant-time comparison are OpenSSL's
 * (libcrypto). A wrong key is #MP_EAUTH on both sides, CPython's `AuthenticationError`. A NULL
 * `authkey` means no authentication (CPython's `authkey=None`).
 *
 * **Beyond CPython.** mp_listener_accept() takes a timeout. A handshake that does not finish in
 * the handshake timeout (10 s unless mp_listener_set_handshake_timeout() says otherwise) fails
 * that one connection: a peer that connects and sends nothing, sends garbage, a huge length or
 * a truncated message, or closes half-way gets a clear error, holds no more memory than a
 * handshake message (256 bytes), and does not stop the listener from accepting others.
 *
 * The page @ref listener tells more: an example, the addresses beside Python's, the handshake
 * of each CPython version.
 *
 * @defgroup mp_listener Listener and Client
 * @{
 */
#ifndef MP_LISTENER_H
#define MP_LISTENER_H

#include <stddef.h>

#include "mp/common.h"
#include "mp/connection.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A listening socket: `multiprocessing.connection.Listener`. */
typedef struct mp_listener_s mp_listener_t;

/** Address families, CPython's family names. */
typedef enum {
    MP_AF_AUTO = 0, /**< from the address's form (see the file's description) */
    MP_AF_UNIX,     /**< a Unix socket: a path, or `@name` for an abstract one */
    MP_AF_INET,     /**< IPv4, `host:port` */
    MP_AF_INET6     /**< IPv6, `[host]:port` (libmp only) */
} mp_family_t;

/**
 * @brief Binds an address and listens on it.
 * @param[out] out     the listener.
 * @param address      the address (see the file's description); NULL for an arbitrary one.
 * @param family       #MP_AF_AUTO, or the family the address must be of.
 * @param backlog      the listen(2) backlog; 0 means CPython's default, 1.
 * @param authkey      the key clients must prove they hold; NULL for no authentication.
 * @param authkey_len  its length in bytes (0 is a key too, if authkey is not NULL).
 * @return 0; #MP_EINVAL for an address that does not parse, does not match the family, or
 *         names a host that does not resolve; a negative errno from the system
 *         (`-EADDRINUSE`...).
 * @pyequiv `multiprocessing.connection.Listener(address, family, backlog, authkey)`.
 */
MP_EXTERN int mp_listener_new(mp_listener_t **out, const char *address, mp_family_t family,
                              int backlog, const void *authkey, size_t authkey_len);

/**
 * @brief Accepts one connection, and authenticates it if the listener has a key.
 * @param l        the listener.
 * @param timeout  seconds to wait for a client; #MP_FOREVER to wait as CPython does.
 * @param[out] out the connection, duplex.
 * @return 0; #MP_ETIMEDOUT if no client came in time, or its handshake did not finish in the
 *         handshake timeout; #MP_EAUTH if the client's answer was wrong or it refused ours;
 *         #MP_EPROTO for a peer that does not speak the handshake (a message longer than 256
 *         bytes, one that is not the one expected, a close half-way); #MP_ECLOSED after
 *         mp_listener_close(). After a failed handshake that connection is closed and the
 *         listener is as it was: the next call accepts the next client.
 * @pyequiv `Listener.accept()`.
 */
MP_EXTERN int mp_listener_accept(mp_listener_t *l, double timeout, mp_conn_t **out);

/**
 * @brief Sets how long one handshake may take (10 s unless set).
 * @param l        the listener.
 * @param seconds  the limit, more than 0.
 * @return 0; #MP_EINVAL for a limit that is not more than 0.
 * @pyequiv none: CPython waits for ever.
 */
MP_EXTERN int mp_listener_set_handshake_timeout(mp_listener_t *l, double seconds);

/**
 * @brief The address bound, in the form of the file's description (the real port for port 0).
 * @param l  the listener.
 * @return the address, owned by the listener.
 * @pyequiv `Listener.address`.
 */
MP_EXTERN const char *mp_listener_address(const mp_listener_t *l);

/**
 * @brief The address of the last client accepted.
 * @param l  the listener.
 * @return the address, owned by the listener; NULL before the first; "" for a Unix socket's
 *         client, which has no name.
 * @pyequiv `Listener.last_accepted`.
 */
MP_EXTERN const char *mp_listener_last_accepted(const mp_listener_t *l);

/**
 * @brief The listening socket's descriptor: readable when a client waits to be accepted, so
 *        it can be given to mp_wait() with MP_WAIT_LISTENER().
 * @param l  the listener.
 * @return the descriptor, owned by the listener; -1 once closed. It is non-blocking (so
 *         that a client gone between poll and accept cannot block mp_listener_accept()).
 * @pyequiv `Listener._listener._socket.fileno()`.
 */
MP_EXTERN int mp_listener_fileno(const mp_listener_t *l);

/** An mp_waitable_t for a listener: ready when a client waits to be accepted. */
#define MP_WAIT_LISTENER(l) MP_WAIT_FD(mp_listener_fileno(l))

/**
 * @brief Stops listening: later accepts fail with #MP_ECLOSED; a Unix socket's path is
 *        unlinked. Closing twice is harmless.
 * @param l  the listener.
 * @return 0.
 * @pyequiv `Listener.close()`.
 */
MP_EXTERN int mp_listener_close(mp_listener_t *l);

/**
 * @brief Closes (if needed) and frees a listener.
 * @param l  the listener; NULL is ignored.
 * @pyequiv leaving `with Listener(...)`.
 */
MP_EXTERN void mp_listener_free(mp_listener_t *l);

/**
 * @brief Connects to a listener, and authenticates if a key is given.
 * @param[out] out     the connection, duplex.
 * @param address      the listener's address.
 * @param family       #MP_AF_AUTO, or the family the address must be of.
 * @param authkey      the key; NULL for no authentication.
 * @param authkey_len  its length in bytes.
 * @return 0; #MP_EINVAL for a bad address; #MP_EAUTH for a wrong key (either side's
 *         verdict); #MP_ETIMEDOUT if the handshake took longer than 10 s (a listener without
 *         a key never sends its challenge); #MP_EPROTO for a listener that does not speak the
 *         handshake; a negative errno from connect(2) (`-ECONNREFUSED`, `-ENOENT`...).
 * @pyequiv `multiprocessing.connection.Client(address, family, authkey)`.
 */
MP_EXTERN int mp_client(mp_conn_t **out, const char *address, mp_family_t family,
                        const void *authkey, size_t authkey_len);

/**
 * @brief Challenges the peer of `c` to prove it holds `authkey` (the first half of a
 *        handshake, the listener's side).
 * Sends `#CHALLENGE#{sha256}` and 40 random bytes, and accepts the answers CPython 3.12
 * accepts: a raw HMAC-MD5 (CPython 3.8-3.11) or a `{digest}`-prefixed HMAC.
 * @param c            a duplex connection.
 * @param authkey      the key (NULL only with authkey_len 0: the empty key).
 * @param authkey_len  its length in bytes.
 * @param timeout      seconds the exchange may take; #MP_FOREVER to wait as CPython does.
 * @return 0; #MP_EAUTH (the peer was told `#FAILURE#`); #MP_EPROTO (an answer longer than
 *         256 bytes, the peer closed); #MP_ETIMEDOUT; #MP_EINVAL.
 * @pyequiv `multiprocessing.connection.deliver_challenge(connection, authkey)`.
 */
MP_EXTERN int mp_deliver_challenge(mp_conn_t *c, const void *authkey, size_t authkey_len,
                                   double timeout);

/**
 * @brief Answers the peer's challenge with `authkey` (the client's first half).
 * Answers as CPython 3.12's `_create_response`: a raw HMAC-MD5 to a 20-byte challenge
 * (CPython 3.8-3.11), `{digest}` and its HMAC to a prefixed one.
 * @param c            a duplex connection.
 * @param authkey      the key (NULL only with authkey_len 0: the empty key).
 * @param authkey_len  its length in bytes.
 * @param timeout      seconds the exchange may take; #MP_FOREVER to wait as CPython does.
 * @return 0; #MP_EAUTH if the peer rejected the answer (`#FAILURE#`); #MP_EPROTO for a
 *         challenge CPython 3.12 would not answer (shorter than 20 bytes, an unknown digest),
 *         a message that is not the one expected or longer than 256 bytes, a peer that
 *         closed; #MP_ETIMEDOUT; #MP_EINVAL.
 * @pyequiv `multiprocessing.connection.answer_challenge(connection, authkey)`.
 */
MP_EXTERN int mp_answer_challenge(mp_conn_t *c, const void *authkey, size_t authkey_len,
                                  double timeout);

#ifdef __cplusplus
}
#endif

#endif /* MP_LISTENER_H */
/** @} */
