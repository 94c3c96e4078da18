/**
 * @file errors.h
 * @brief Error codes of libmp and the Python exceptions they stand for.
 *
 * Every fallible libmp call returns an `int`: 0 on success, or one of the negative codes below.
 * Codes that errno has are `-errno` (`MP_ETIMEDOUT == -ETIMEDOUT`); the others sit in a reserved
 * range below -4000. One X-macro table, #MP_ERRNO_MAP, gives the code, its name, its message and
 * the Python exception it stands for, so the four can never drift apart.
 *
 * **NULL handles.** One policy holds for every public call: a call that frees a handle
 * (`mp_*_free`, mp_obj_decref()) takes NULL as a no-op, as free(3) does; every other call given
 * a NULL handle or a NULL out-pointer returns #MP_EINVAL, touches nothing, and sets mp_errmsg()
 * to "<function>: <argument> is NULL". A call that returns no code (a pid, a flag, a name)
 * returns the "none" value its documentation names and sets the same message.
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

/* The two tables below stay tables, one code a line. */
/* clang-format off */
/** The error codes; mp_exception_name() names the Python outcome each stands for. */
typedef enum {
    MP_EAGAIN = -EAGAIN, /**< A non-blocking call would have blocked (Python returns False). */
    MP_ETIMEDOUT = -ETIMEDOUT, /**< A timed wait ran out (Python returns False or None). */
    MP_EINVAL = -EINVAL, /**< An argument is invalid (Python's ValueError or TypeError). */
    MP_ENOMEM = -ENOMEM, /**< Out of memory. */
    MP_EPIPE = -EPIPE, /**< The peer end is closed (Python's BrokenPipeError). */
    MP_EBUSY = -EBUSY, /**< The object is busy: a process still running cannot be closed. */
    MP_EOVERFLOW = -EOVERFLOW, /**< A value does not fit, or a lock or semaphore was released too many times. */
    MP_EMSGSIZE = -EMSGSIZE, /**< A message is longer than the buffer or the limit (Python's BufferTooShort). */
    MP_EPROTO = -EPROTO, /**< A frame on a connection is malformed or truncated. */
    MP_EINTR = -EINTR, /**< A blocking call was interrupted (only where a call asks for it). */
    MP_ENOSYS = -ENOSYS, /**< Not available on this system (Python's NotImplementedError). */
    MP_EOWNERDEAD = -EOWNERDEAD, /**< The previous holder of a lock died holding it (CPython would hang). */
    MP_ENOTRECOVERABLE = -ENOTRECOVERABLE, /**< A lock was left inconsistent by a dead holder and cannot be used. */
    MP_EMFILE = -EMFILE, /**< The process has no file descriptor left. */
    MP_ECHILD = -ECHILD, /**< A child's exit status was taken by someone else. */
    MP_EOF = (MP__EBASE - 95), /**< End of file: the peer closed and every message was read (Python's EOFError). */
    MP_EEMPTY = (MP__EBASE - 1), /**< A queue is empty (Python's queue.Empty). */
    MP_EFULL = (MP__EBASE - 2), /**< A queue is full (Python's queue.Full). */
    MP_ECLOSED = (MP__EBASE - 3), /**< The object was closed (Python's 'process object is closed', 'handle is closed'). */
    MP_EDIRECTION = (MP__EBASE - 4), /**< The wrong end of a one-way pipe was used. */
    MP_ENOTOWNER = (MP__EBASE - 5), /**< The caller does not own the lock it releases or waits with. */
    MP_ESTATE = (MP__EBASE - 6), /**< The call is not allowed now: start twice, join before start, not the creator... */
    MP_EDAEMON = (MP__EBASE - 7), /**< A daemonic process tried to start a child. */
    MP_EBROKEN = (MP__EBASE - 8), /**< A barrier is broken (Python's BrokenBarrierError). */
    MP_EENCODE = (MP__EBASE - 9), /**< A value cannot be pickled. */
    MP_EDECODE = (MP__EBASE - 10), /**< Data cannot be unpickled, or is refused as unsafe. */
} mp_errno_t;

/**
 * @brief The table behind mp_strerror(), mp_err_name() and mp_exception_name():
 *        `XX(name, message, python)` for the code `MP_<name>`.
 *
 * The python column names what CPython raises (or returns) in the same situation; "" where the
 * code has no Python counterpart (libmp's own extensions, where CPython would hang).
 */
#define MP_ERRNO_MAP(XX) \
    XX(EAGAIN, "resource temporarily unavailable (non-blocking call would block)", "False (non-blocking)") \
    XX(ETIMEDOUT, "timed out", "False / None (timed out)") \
    XX(EINVAL, "invalid argument", "ValueError") \
    XX(ENOMEM, "out of memory", "MemoryError") \
    XX(EPIPE, "broken pipe (the peer is closed)", "BrokenPipeError") \
    XX(EBUSY, "the process is still running", "ValueError") \
    XX(EOVERFLOW, "value out of range, or released too many times", "ValueError") \
    XX(EMSGSIZE, "message too long", "BufferTooShort") \
    XX(EPROTO, "protocol error (bad or truncated frame)", "OSError") \
    XX(EINTR, "interrupted by a signal", "KeyboardInterrupt") \
    XX(ENOSYS, "not implemented", "NotImplementedError") \
    XX(EOWNERDEAD, "the previous holder died holding the lock", "") \
    XX(ENOTRECOVERABLE, "the lock is not recoverable", "") \
    XX(EMFILE, "too many open files", "OSError") \
    XX(ECHILD, "the child was reaped elsewhere (SIGCHLD ignored, or a waitpid(-1))", "ChildProcessError") \
    XX(EOF, "end of file", "EOFError") \
    XX(EEMPTY, "queue is empty", "queue.Empty") \
    XX(EFULL, "queue is full", "queue.Full") \
    XX(ECLOSED, "object is closed", "ValueError") \
    XX(EDIRECTION, "connection end is read-only or write-only", "OSError") \
    XX(ENOTOWNER, "caller does not own the lock", "AssertionError") \
    XX(ESTATE, "call not allowed in the object's current state", "AssertionError") \
    XX(EDAEMON, "daemonic processes are not allowed to have children", "AssertionError") \
    XX(EBROKEN, "barrier is broken", "threading.BrokenBarrierError") \
    XX(EENCODE, "value cannot be pickled", "pickle.PicklingError") \
    XX(EDECODE, "data cannot be unpickled", "pickle.UnpicklingError")

/* clang-format on */

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
