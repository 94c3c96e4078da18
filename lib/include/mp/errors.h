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

/* The table stays a table, one code a row. */
/* clang-format off */
/**
 * @brief The one table of the error codes: `XX(name, value, message, python)` for the code
 *        `MP_<name>`, preceded by the doc comment of that code.
 *
 * The enum #mp_errno_t, mp_strerror(), mp_err_name() and mp_exception_name() are each one
 * expansion of it, so a code cannot drift from its message. The value is `-errno` where errno
 * has the name, else below #MP__EBASE. The python column names what CPython raises (or
 * returns) in the same situation; "" where the code has no Python counterpart (libmp's own
 * extensions, where CPython would hang). Doxygen expands the table (EXPAND_AS_DEFINED in
 * docs/Doxyfile), so each row's comment documents its enumerator; the @ref errors page shows
 * every row.
 */
#define MP_ERRNO_MAP(XX) \
    /** A non-blocking call would have blocked (Python returns False). */ \
    XX(EAGAIN, -EAGAIN, "resource temporarily unavailable (non-blocking call would block)", "False (non-blocking)") \
    /** A timed wait ran out (Python returns False or None). */ \
    XX(ETIMEDOUT, -ETIMEDOUT, "timed out", "False / None (timed out)") \
    /** An argument is invalid (Python's ValueError or TypeError). */ \
    XX(EINVAL, -EINVAL, "invalid argument", "ValueError") \
    /** Out of memory. */ \
    XX(ENOMEM, -ENOMEM, "out of memory", "MemoryError") \
    /** The peer end is closed (Python's BrokenPipeError). */ \
    XX(EPIPE, -EPIPE, "broken pipe (the peer is closed)", "BrokenPipeError") \
    /** The object is busy: a process still running cannot be closed. */ \
    XX(EBUSY, -EBUSY, "the process is still running", "ValueError") \
    /** A value does not fit, or a lock or semaphore was released too many times. */ \
    XX(EOVERFLOW, -EOVERFLOW, "value out of range, or released too many times", "ValueError") \
    /** A message is longer than the buffer or the limit (Python's BufferTooShort). */ \
    XX(EMSGSIZE, -EMSGSIZE, "message too long", "BufferTooShort") \
    /** A frame on a connection is malformed or truncated. */ \
    XX(EPROTO, -EPROTO, "protocol error (bad or truncated frame)", "OSError") \
    /** A name is taken: a shared memory block made with create exists already. */ \
    XX(EEXIST, -EEXIST, "file exists", "FileExistsError") \
    /** A name is not there: no shared memory block by that name. */ \
    XX(ENOENT, -ENOENT, "no such file or directory", "FileNotFoundError") \
    /** The caller may not open the object (Python's PermissionError). */ \
    XX(EACCES, -EACCES, "permission denied", "PermissionError") \
    /** A blocking call was interrupted (only where a call asks for it). */ \
    XX(EINTR, -EINTR, "interrupted by a signal", "KeyboardInterrupt") \
    /** Not available on this system (Python's NotImplementedError). */ \
    XX(ENOSYS, -ENOSYS, "not implemented", "NotImplementedError") \
    /** The previous holder of a lock died holding it (CPython would hang). */ \
    XX(EOWNERDEAD, -EOWNERDEAD, "the previous holder died holding the lock", "") \
    /** A lock was left inconsistent by a dead holder and cannot be used. */ \
    XX(ENOTRECOVERABLE, -ENOTRECOVERABLE, "the lock is not recoverable", "") \
    /** The process has no file descriptor left. */ \
    XX(EMFILE, -EMFILE, "too many open files", "OSError") \
    /** A child's exit status was taken by someone else. */ \
    XX(ECHILD, -ECHILD, "the child was reaped elsewhere (SIGCHLD ignored, or a waitpid(-1))", "ChildProcessError") \
    /** End of file: the peer closed and every message was read (Python's EOFError). */ \
    XX(EOF, MP__EBASE - 95, "end of file", "EOFError") \
    /** A queue is empty (Python's queue.Empty). */ \
    XX(EEMPTY, MP__EBASE - 1, "queue is empty", "queue.Empty") \
    /** A queue is full (Python's queue.Full). */ \
    XX(EFULL, MP__EBASE - 2, "queue is full", "queue.Full") \
    /** The object was closed (Python's 'process object is closed', 'handle is closed'). */ \
    XX(ECLOSED, MP__EBASE - 3, "object is closed", "ValueError") \
    /** The wrong end of a one-way pipe was used. */ \
    XX(EDIRECTION, MP__EBASE - 4, "connection end is read-only or write-only", "OSError") \
    /** The caller does not own the lock it releases or waits with. */ \
    XX(ENOTOWNER, MP__EBASE - 5, "caller does not own the lock", "AssertionError") \
    /** The call is not allowed now: start twice, join before start, not the creator... */ \
    XX(ESTATE, MP__EBASE - 6, "call not allowed in the object's current state", "AssertionError") \
    /** A daemonic process tried to start a child. */ \
    XX(EDAEMON, MP__EBASE - 7, "daemonic processes are not allowed to have children", "AssertionError") \
    /** A barrier is broken (Python's BrokenBarrierError). */ \
    XX(EBROKEN, MP__EBASE - 8, "barrier is broken", "threading.BrokenBarrierError") \
    /** A value cannot be pickled. */ \
    XX(EENCODE, MP__EBASE - 9, "value cannot be pickled", "pickle.PicklingError") \
    /** Data cannot be unpickled, or is refused as unsafe. */ \
    XX(EDECODE, MP__EBASE - 10, "data cannot be unpickled", "pickle.UnpicklingError") \
    /** The call is refused in the program's current state (Python's RuntimeError). */ \
    XX(ERUNTIME, MP__EBASE - 11, "not allowed in the program's current state", "RuntimeError") \
    /** A Pool's task raised: mp_async_result_error() gives its exception. */ \
    XX(ETASK, MP__EBASE - 12, "the task raised an exception", "Exception") \
    /** A Pool worker died while it ran the task (CPython's get() would wait for ever). */ \
    XX(EWORKERLOST, MP__EBASE - 13, "the worker running the task died", "") \
    /** An iterator has no more items (Python's StopIteration). */ \
    XX(ESTOP, MP__EBASE - 14, "no more items", "StopIteration") \
    /** A peer did not prove it holds the key, or refused our proof. */ \
    XX(EAUTH, MP__EBASE - 15, "authentication failed", "multiprocessing.AuthenticationError") \
    /** An index out of an Array's range (Python's IndexError "invalid index"). */ \
    XX(EINDEX, MP__EBASE - 16, "invalid index", "IndexError")

/** One row of #MP_ERRNO_MAP as an enumerator. */
#define MP__ERRNO_ENUMERATOR(name, value, msg, py) MP_##name = (value),

/** The error codes, one per row of #MP_ERRNO_MAP; mp_exception_name() names the Python outcome
 *  each stands for. */
typedef enum { MP_ERRNO_MAP(MP__ERRNO_ENUMERATOR) } mp_errno_t;

/* clang-format on */

/** Success. */
#define MP_OK 0
/** The spelling the catalogue of the docs' Spec page uses for #MP_EOF (Python's EOFError). */
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
