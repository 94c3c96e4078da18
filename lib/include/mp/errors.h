/**
 * @file errors.h
 * @brief Error codes of libmp and the Python exceptions they stand for.
 *
 * Every fallible libmp call returns an `int`: 0 on success, or one of the negative codes below.
 * Codes that errno has are `-errno` (`MP_ETIMEDOUT == -ETIMEDOUT`); the others sit in a reserved
 * range below -4000. One X-macro table, #MP_ERRNO_MAP, gives the code, its name, its message and
 * the Python exception it stands for, so the four can never drift apart.
 *
 * @defgroup mp_errors Errors
 * @{
 */
#ifndef MP_ERRORS_H
#define MP_ERRORS_H

#include <errno.h>

#include "mp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Base of the codes errno has no name for (libuv reserves the same region). */
#define MP__EBASE (-4000)

/**
 * @brief The table of codes: XX(name, value, message, python exception).
 *
 * The python column names what CPython raises (or returns) in the same situation; "" where the
 * code has no Python counterpart.
 */
#define MP_ERRNO_MAP(XX)                                                                          \
    XX(EAGAIN, -EAGAIN, "resource temporarily unavailable (non-blocking call would block)",      \
       "False (non-blocking)")                                                                   \
    XX(ETIMEDOUT, -ETIMEDOUT, "timed out", "False / None (timed out)")                           \
    XX(EINVAL, -EINVAL, "invalid argument", "ValueError")                                        \
    XX(ENOMEM, -ENOMEM, "out of memory", "MemoryError")                                          \
    XX(EPIPE, -EPIPE, "broken pipe (the peer is closed)", "BrokenPipeError")                     \
    XX(EBUSY, -EBUSY, "the process is still running", "ValueError")                             \
    XX(EOVERFLOW, -EOVERFLOW, "released too many times", "ValueError")                           \
    XX(EMSGSIZE, -EMSGSIZE, "message too long", "BufferTooShort")                                \
    XX(EPROTO, -EPROTO, "protocol error (bad or truncated frame)", "OSError")                    \
    XX(EINTR, -EINTR, "interrupted by a signal", "KeyboardInterrupt")                            \
    XX(ENOSYS, -ENOSYS, "not implemented", "NotImplementedError")                                \
    XX(EOWNERDEAD, -EOWNERDEAD, "the previous holder died holding the lock", "")                 \
    XX(ENOTRECOVERABLE, -ENOTRECOVERABLE, "the lock is not recoverable", "")                     \
    XX(EMFILE, -EMFILE, "too many open files", "OSError")                                        \
    XX(ECHILD, -ECHILD, "the child was reaped elsewhere (SIGCHLD ignored, or a waitpid(-1))",     \
       "ChildProcessError")                                                                      \
    XX(EOF, MP__EBASE - 95, "end of file", "EOFError")                                           \
    XX(EEMPTY, MP__EBASE - 1, "queue is empty", "queue.Empty")                                   \
    XX(EFULL, MP__EBASE - 2, "queue is full", "queue.Full")                                      \
    XX(ECLOSED, MP__EBASE - 3, "object is closed", "ValueError")                                 \
    XX(EDIRECTION, MP__EBASE - 4, "connection end is read-only or write-only", "OSError")        \
    XX(ENOTOWNER, MP__EBASE - 5, "caller does not own the lock", "AssertionError")               \
    XX(ESTATE, MP__EBASE - 6, "call not allowed in the object's current state", "AssertionError") \
    XX(EDAEMON, MP__EBASE - 7, "daemonic processes are not allowed to have children",            \
       "AssertionError")                                                                         \
    XX(EBROKEN, MP__EBASE - 8, "barrier is broken", "threading.BrokenBarrierError")              \
    XX(EENCODE, MP__EBASE - 9, "value cannot be pickled", "pickle.PicklingError")                \
    XX(EDECODE, MP__EBASE - 10, "data cannot be unpickled", "pickle.UnpicklingError")

/** The codes, as an enum: `MP_EAGAIN`, `MP_ETIMEDOUT`, ... */
typedef enum {
#define MP__XX(name, value, msg, py) MP_##name = (value),
    MP_ERRNO_MAP(MP__XX)
#undef MP__XX
} mp_errno_t;

/** Success. */
#define MP_OK 0
/** The spelling SPEC.md uses for #MP_EOF (Python's EOFError). */
#define MP_EEOF MP_EOF

/**
 * @brief The message for an error code ("timed out"), or "unknown error" for any other value.
 * @param err a code returned by a libmp call (0 gives "success").
 * @return a static string; never NULL.
 * @pyequiv `str(exc)` of the exception the code stands for.
 */
MP_EXTERN const char *mp_strerror(int err);

/**
 * @brief The name of an error code ("MP_ETIMEDOUT"), or "MP_UNKNOWN".
 * @param err a code returned by a libmp call (0 gives "MP_OK").
 * @return a static string; never NULL.
 * @pyequiv `type(exc).__name__`, in libmp's own names.
 */
MP_EXTERN const char *mp_err_name(int err);

/**
 * @brief The Python exception (or result) the code stands for: "queue.Empty", "EOFError"...
 * @param err a code returned by a libmp call.
 * @return a static string; "" when the code has no Python counterpart (libmp's own extensions,
 *         such as #MP_EOWNERDEAD, where CPython would hang).
 * @pyequiv the exception class CPython raises in the same situation.
 */
MP_EXTERN const char *mp_exception_name(int err);

/**
 * @brief Detail about the last error of the calling thread ("join: process not started").
 *
 * Calls that fail with a code set this message; it stays until the thread's next failure.
 * @return a thread-local string; "" when no call of this thread has failed yet.
 * @pyequiv the argument of the exception CPython raises (`exc.args[0]`).
 */
MP_EXTERN const char *mp_errmsg(void);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_ERRORS_H */
