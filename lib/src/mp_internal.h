/* Internals shared by the files of lib/src: error messages, time, and the process registry.
 * Nothing here is part of the API; every name is mp__ (cross-file) or static. */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#include <poll.h>
#include <stdarg.h>
#include <sys/types.h>

#include "mp.h"

/* ---- errors ------------------------------------------------------------------------------ */

/* Sets the calling thread's message for mp_errmsg(). */
void mp__set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the message and returns `code`, so a failure is one line: `return mp__fail(...)`. */
int mp__fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- time -------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC, in seconds. */
double mp__now(void);

/* Turns a user timeout into an absolute monotonic deadline, as SPEC 0.3 says: NaN is refused,
 * a negative timeout is 0, MP_FOREVER stays infinite. Returns 0 or MP_EINVAL. */
int mp__deadline(double timeout, double *deadline);

/* Waits until `fd` has one of `events` or the deadline passes, retrying EINTR with the time
 * left. Returns 1 ready, 0 timed out, or -errno. */
int mp__poll_until(int fd, short events, double deadline);

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
 * object's run() and leaves through mp__child_exit(). */
void mp__bootstrap(mp_process_t *p) __attribute__((noreturn));

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
