/* Internals shared by the files of lib/src: error messages, time, and the process registry.
 * Nothing here is part of the API; every name is mp__ (cross-file) or static. */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "mp.h"

/* ---- errors ------------------------------------------------------------------------------ */

/* Sets the calling thread's message for mp_errmsg(). */
void mp__set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the message and returns `code`, so a failure is one line: `return mp__fail(...)`.
 * A macro, so that the compiler and the static analyser see the code returned (a function in
 * another file could, as far as they know, return 0); `code` is read before the message is
 * formatted, so `mp__fail(-errno, "...: %s", strerror(errno))` keeps the right errno. */
#define mp__fail(code, ...)                                                                        \
    __extension__({                                                                                \
        int mp__code_ = (code);                                                                    \
        mp__set_errmsg(__VA_ARGS__);                                                               \
        mp__code_;                                                                                 \
    })

/* The one NULL policy of the public API (errors.h, "NULL handles"): a call that frees or
 * releases a handle's memory (mp_*_free, mp_obj_decref) takes NULL as a no-op, like free(3);
 * every other call refuses a NULL handle or a NULL out-pointer with MP_EINVAL and the message
 * "<function>: <argument> is NULL", before touching anything. Calls that return no int code
 * (a pid, a flag, a name) return their documented "none" value and set the same message. */
#define MP__NEED(arg)                                                                              \
    do {                                                                                           \
        if (!(arg))                                                                                \
            return mp__fail(MP_EINVAL, "%s: %s is NULL", __func__, #arg);                          \
    } while (0)

/* The same check for calls whose failure value is not an int code (pass it as `none`). */
#define MP__NEED_OR(arg, none)                                                                     \
    do {                                                                                           \
        if (!(arg)) {                                                                              \
            mp__set_errmsg("%s: %s is NULL", __func__, #arg);                                      \
            return none;                                                                           \
        }                                                                                          \
    } while (0)

/* errno as a libmp code: -errno, never 0 (so a caller, and the analyser, can rely on < 0). */
static inline int mp__errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

/* ---- time -------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC, in seconds. */
double mp__now(void);

/* Turns a user timeout into an absolute monotonic deadline (docs/pages/spec.md, timeouts): NaN is refused,
 * a negative timeout is 0, MP_FOREVER stays infinite. Returns 0 or MP_EINVAL. */
int mp__deadline(double timeout, double *deadline);

/* Waits until `fd` has one of `events` or the deadline passes, retrying EINTR with the time
 * left. Returns 1 ready, 0 timed out, or -errno. */
int mp__poll_until(int fd, short events, double deadline);

/* Waits until one of `n` descriptors has an event or the deadline passes, retrying EINTR with
 * the time left. Returns the number ready, 0 timed out, or -errno. */
int mp__poll_many(struct pollfd *pfd, size_t n, double deadline);

/* ---- processes --------------------------------------------------------------------------- */

enum { MP__PS_NEW, MP__PS_STARTED, MP__PS_REAPED, MP__PS_CLOSED };

/* Leaves a libmp child: the child's own exit processing, stdio flushed, coverage counters
 * dumped in coverage builds, then _exit(code & 0xFF). The one way out of a child. */
void mp__child_exit(int code) __attribute__((noreturn));

/* CPython's util._exit_function for the calling process: SIGTERM to every live daemonic
 * child, then join every child. Runs at most once per process. */
void mp__exit_processing(void);

/* The registry of the calling process's started, unreaped children. */
void mp__registry_add(mp_process_t *p);
void mp__registry_remove(mp_process_t *p);

/* Non-blocking reap: if the child has ended, records its exit code and takes it out of the
 * registry. Returns 1 ended, 0 running, or a negative code. */
int mp__process_poll(mp_process_t *p);

/* Runs in the new child, right after fork: resets the per-process state, then runs the
 * object's run() and leaves through mp__child_exit(). sentinel_r/w: the pipe sentinel's ends
 * where pidfds are missing, else -1. */
void mp__bootstrap(mp_process_t *p, int sentinel_r, int sentinel_w) __attribute__((noreturn));

/* Whether this kernel (or this sandbox, or valgrind) has pidfd_open(2). Probed once. */
int mp__have_pidfd(void);

/* Whether the parent of this child is alive (not re-parented). */
int mp__parent_alive(void);

/* The next default name for a new object of class `cls`, consuming the counter; malloc'd. */
int mp__next_identity(const char *cls, char **name, char **identity);

/* Makes sure the authkey exists before a fork, so every child inherits the same key. */
void mp__authkey_init(void);

/* Registers the atexit handler once. */
void mp__atexit_init(void);

/* Whether `p` is this process's own object (MainProcess or the started object in a child), or
 * its parent's. */
int mp__is_current(const mp_process_t *p);
int mp__is_parent(const mp_process_t *p);

/* Whether p->name is malloc'd (MainProcess's first name is a literal); marks it owned. */
int mp__owns_name(const mp_process_t *p);
void mp__name_set_owned(const mp_process_t *p);

#endif /* MP_INTERNAL_H */
