/* Internals shared by the files of lib/src: error messages, the NULL policy and time.
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

/* Sets the calling thread's message for mp_errmsg(). Exported from libmp.so: libmp_mpi.a, built
 * apart, calls it, and may be linked with the shared library as well as the static one. */
MP_EXTERN void mp__set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* ---- functions known by name (process_targets.c) ----------------------------------------- */

/* The kinds of mp_target_entry_t: a Process target, a Pool task. */
enum { MP__FN_TARGET = 0, MP__FN_TASK = 1 };

/* Adds an entry of `kind` to the table (mp_target_register() for targets). */
int mp__fn_register(mp_target_entry_t *e, int kind);

/* The function of `kind` registered as `name`, or NULL with mp_errmsg() set. */
mp_target_t mp__fn_lookup(int kind, const char *name);

/* The name under which `fn` is registered as `kind`, or NULL with mp_errmsg() set. */
const char *mp__fn_name(int kind, mp_target_t fn);

/* ---- time -------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC, in seconds. */
double mp__now(void);

/* Turns a user timeout into an absolute monotonic deadline (docs/pages/spec.md, timeouts):
 * NaN is refused, a negative timeout is 0, MP_FOREVER stays infinite. Returns 0 or MP_EINVAL. */
int mp__deadline(double timeout, double *deadline);

/* Waits until `fd` has one of `events` or the deadline passes, retrying EINTR with the time
 * left. Returns 1 ready, 0 timed out, or -errno. */
int mp__poll_until(int fd, short events, double deadline);

/* Waits until one of `n` descriptors has an event or the deadline passes, retrying EINTR with
 * the time left. Returns the number ready, 0 timed out, or -errno. */
int mp__poll_many(struct pollfd *pfd, size_t n, double deadline);

#endif /* MP_INTERNAL_H */
