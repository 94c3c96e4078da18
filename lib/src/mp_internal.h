/* Internals shared by the files of lib/src: error messages, time, I/O and shared memory.
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

/* Turns a user timeout into an absolute monotonic deadline, as SPEC 0.3 says: NaN is refused,
 * a negative timeout is 0, MP_FOREVER stays infinite. Returns 0 or MP_EINVAL. */
int mp__deadline(double timeout, double *deadline);

/* Waits until `fd` has one of `events` or the deadline passes, retrying EINTR with the time
 * left. Returns 1 ready, 0 timed out, or -errno. */
int mp__poll_until(int fd, short events, double deadline);

/* Waits until one of `n` descriptors has an event or the deadline passes, retrying EINTR with
 * the time left. Returns the number ready, 0 timed out, or -errno. */
int mp__poll_many(struct pollfd *pfd, size_t n, double deadline);

/* ---- connections ------------------------------------------------------------------------- */

struct iovec;

/* Writes every byte of the iovecs (advancing them), retrying EINTR and short writes; SIGPIPE
 * never fires. Returns 0, MP_EPIPE, or -errno. */
int mp__write_all(int fd, int is_socket, struct iovec *iov, int cnt);

/* Reads exactly n bytes unless end of file comes first. Returns 0, MP_EOF (short: *got says how
 * many arrived), or -errno. */
int mp__read_exact(int fd, void *buf, size_t n, size_t *got);

/* The checks every Connection method makes: open, and the direction it needs. */
int mp__conn_check(const mp_conn_t *c, int want_read, int want_write);
int mp__conn_is_socket(const mp_conn_t *c);

/* Reads a payload whose header was read already, into a buffer that grows as bytes arrive. */
int mp__conn_read_payload(mp_conn_t *c, uint64_t size, void **out);

/* ---- shared memory (shm.c) ----------------------------------------------------------------- */

/* Memory shared with every process forked after it is allocated: the state of Lock, Semaphore,
 * Condition, Event and Barrier, and of queues. Any size (a 32-byte lock or a ring of many
 * megabytes); zeroed; 16-byte aligned. Up to 4 KiB comes from 64 KiB arena chunks (64-byte
 * slots, one cache line at least, so objects never share a line); above that each region is a
 * memfd of its own whose pages the kernel allocates only when touched (a large sparse ring
 * costs what it holds). Every region is MAP_SHARED over a close-on-exec memfd, kept open so that
 * an exec-based start method can pass it down and map it again (mp__shm_locate/attach).
 * Thread-safe and fork-safe. Returns 0, MP_EINVAL (size 0 or absurd), MP_ENOMEM or -errno. */
int mp__shm_alloc(size_t size, void **out);

/* Stops this process's use of a region. Bytes that a forked process may still map are never
 * handed out again by this process; a region of its own is unmapped here at once. NULL is a
 * no-op. */
void mp__shm_free(void *p);

/* Which memfd holds `p`, at which offset, and the size of the mapping it is in. */
int mp__shm_locate(const void *p, int *fd, size_t *offset, size_t *size);

/* Maps a region that another process made (an inherited memfd, as mp__shm_locate gave it) and
 * returns the address of `offset` in it. It stays mapped until the process ends. */
int mp__shm_attach(int fd, size_t offset, size_t size, void **out);

#endif /* MP_INTERNAL_H */
