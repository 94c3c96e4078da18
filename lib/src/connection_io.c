/* The byte layer under Connection: whole writes and exact reads on a blocking or non-blocking
 * descriptor, with EINTR retried and SIGPIPE kept away from the process.
 *
 * SIGPIPE: a socket write says MSG_NOSIGNAL; a pipe write says RWF_NOSIGNAL to pwritev2 (Linux
 * 6.18 and later), its equivalent. Where the kernel refuses that flag (an older kernel, or a
 * descriptor whose driver takes no per-call flags), the calling thread blocks SIGPIPE around a
 * plain write, and if the write failed with EPIPE, takes the signal the kernel queued for the
 * thread before unblocking (otherwise it would be delivered, and kill, at unblock time). The mask
 * costs two system calls a write, which for a stream of small messages is more than the write
 * itself; hence the flag first. A SIGPIPE that the program itself had blocked is left alone: that
 * policy is the program's (with the flag, the kernel queues none).
 *
 * Reads never go past the bytes asked for (no read-ahead), so the descriptor can change hands
 * between processes at any message boundary. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "connection_impl.h"

/* A descriptor the user made non-blocking: wait for it instead of spinning. */
static int wait_for(int fd, short events)
{
    int rc = mp__poll_until(fd, events, (double)INFINITY);
    return rc < 0 ? rc : 0;
}

#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x00000100 /* linux/fs.h of 6.18; older headers lack it */
#endif

/* Set for good once pwritev2 refused RWF_NOSIGNAL: the kernel does not change under a running
 * process, and a retry on every write would cost the system call the flag saves. A refusal by
 * one odd descriptor also sets it; that costs only the masks, never correctness. */
static atomic_int nosignal_refused;

static ssize_t write_masked(int fd, const struct iovec *iov, int cnt)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = cnt == 1 ? write(fd, iov->iov_base, iov->iov_len) : writev(fd, iov, cnt);
    int err = errno;
    if (n < 0 && err == EPIPE && !sigismember(&old, SIGPIPE)) {
        static const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

static ssize_t write_pipe(int fd, const struct iovec *iov, int cnt)
{
    if (!atomic_load_explicit(&nosignal_refused, memory_order_relaxed)) {
        /* Offset -1: the descriptor's own position, as write(2) uses (none, for a pipe). */
        ssize_t n = pwritev2(fd, iov, cnt, -1, RWF_NOSIGNAL);
        /* glibc says ENOTSUP (EOPNOTSUPP) for a kernel without pwritev2; ENOSYS is its stub. */
        if (n >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS))
            return n;
        atomic_store_explicit(&nosignal_refused, 1, memory_order_relaxed);
    }
    return write_masked(fd, iov, cnt);
}

static ssize_t write_socket(int fd, const struct iovec *iov, int cnt)
{
    if (cnt == 1)
        return send(fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL);
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

int mp__write_all(int fd, int is_socket, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t n = is_socket ? write_socket(fd, iov, cnt) : write_pipe(fd, iov, cnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                int rc = wait_for(fd, POLLOUT);
                if (rc < 0)
                    return rc;
                continue;
            }
            if (errno == EPIPE || errno == ECONNRESET)
                return mp__fail(MP_EPIPE, "broken pipe: the peer's end is closed");
            return mp__fail(-errno, "write: %s", strerror(errno));
        }
        /* A partial write: skip what went out and go on with the rest. */
        size_t done = (size_t)n;
        while (cnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

/* The rest of an exact read whose first read(2) returned r, short of n bytes or an error. Kept
 * out of line: inlined, its registers would be saved and restored on every whole read too. */
static __attribute__((noinline)) int read_rest(int fd, char *buf, size_t n, ssize_t r, size_t *got)
{
    size_t have = 0;
    for (;;) {
        if (r > 0) {
            have += (size_t)r;
        } else if (r == 0) {
            break;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = wait_for(fd, POLLIN);
            if (rc < 0)
                return rc;
        } else if (errno == ECONNRESET) {
            break; /* the peer went away: the same as end of file here */
        } else if (errno != EINTR) {
            if (got)
                *got = have;
            return mp__fail(-errno, "read: %s", strerror(errno));
        }
        if (have == n)
            break;
        r = read(fd, buf + have, n - have);
    }
    if (got)
        *got = have;
    return have == n ? 0 : MP_EOF;
}

int mp__read_exact(int fd, void *buf, size_t n, size_t *got)
{
    /* A frame's header and a small body nearly always come whole from one read: that case
     * returns without the loop, which is a fair part of the user time of a small message. */
    ssize_t r = n ? read(fd, buf, n) : 0;
    if (r == (ssize_t)n) {
        if (got)
            *got = n;
        return 0;
    }
    return read_rest(fd, buf, n, r, got);
}
