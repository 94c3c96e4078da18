/* The forkserver start method, the client's side (CPython's forkserver.py and
 * popen_forkserver.py): starting the server, asking it for children, and learning how they end.
 *
 * The server is a fresh run of the program (spawned, so it holds none of this process's
 * threads, locks or memory) that forks each child on request. It talks to this process over a
 * socketpair inherited across its exec, not a named socket: no other process can reach it, so
 * it needs no authentication (CPython's control socket had none until 3.12), and when this
 * process is gone, its end closes and the server exits. A child of the server is not ours: the
 * server reaps it and reports its wait status on a socket made for that child, which is also
 * its sentinel (readable once the child has ended, or once the server is gone). Signals go
 * through a pidfd of the child that the server sends, so they never reach a reused pid. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_impl.h"

/* Time allowed for the server to answer a request with the child's pid. */
#define REPLY_TIMEOUT 30.0

static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reap_lock = PTHREAD_MUTEX_INITIALIZER;
static int ctl = -1;        /* our end of the control socketpair */
static mp_process_t server; /* only its pid and sentinel are used */

/* A forked child does not share its parent's server: the control socket it inherited is not
 * its own to use, and holding it would keep the server alive after the parent has gone. */
static void forget_server(void)
{
    if (ctl >= 0)
        close(ctl);
    if (server.pidfd >= 0)
        close(server.pidfd);
    ctl = server.pidfd = -1;
    server.pid = 0;
}

static void atfork_child(void)
{
    forget_server();
    pthread_mutex_init(&server_lock, NULL);
    pthread_mutex_init(&reap_lock, NULL);
}

/* Whether a pidfd says its process has ended. */
static int pidfd_ended(int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};
    return poll(&pf, 1, 0) > 0;
}

/* The child's state once its status socket has no status to give: the server is gone (killed
 * by someone), so no one can reap the child for us. While it runs, its pidfd becomes the
 * sentinel in place of the socket, which would read end-of-file for ever; once it has ended,
 * its status is unknown (MP_ECHILD). Returns 1 ended, 0 running. */
static int server_gone(mp_process_t *p)
{
    if (p->killfd < 0 || pidfd_ended(p->killfd))
        return 1;
    int fd = fcntl(p->killfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return 0; /* try again on the next poll */
    close(p->pidfd);
    p->pidfd = fd;
    return 0;
}

/* The child's wait status, once the server has sent it: 1 ended, 0 running. */
static int fs_poll(mp_process_t *p)
{
    pthread_mutex_lock(&reap_lock);
    int done = p->state == MP__PS_REAPED, got_status = 0;
    int32_t status = 0;
    if (!done) {
        ssize_t r;
        while ((r = recv(p->pidfd, &status, sizeof status, MSG_DONTWAIT)) < 0 && errno == EINTR)
            ;
        if (r == (ssize_t)sizeof status)
            done = got_status = 1;
        else if (r >= 0)
            done = server_gone(p);
        else if (errno == ENOTSOCK) /* the sentinel is the child's pidfd now */
            done = pidfd_ended(p->pidfd);
        else
            done = errno != EAGAIN && errno != EWOULDBLOCK;
    }
    if (done && p->state != MP__PS_REAPED) {
        p->exitcode = !got_status           ? MP_ECHILD
                      : WIFSIGNALED(status) ? -WTERMSIG(status)
                                            : WEXITSTATUS(status);
        p->state = MP__PS_REAPED;
    }
    pthread_mutex_unlock(&reap_lock);
    return done;
}

static int fs_send_signal(mp_process_t *p, int sig)
{
    pthread_mutex_lock(&reap_lock);
    int err = 0;
    if (p->state != MP__PS_REAPED) {
        long r = p->killfd >= 0 ? syscall(SYS_pidfd_send_signal, p->killfd, sig, NULL, 0)
                                : kill(p->pid, sig);
        if (r < 0 && errno != ESRCH)
            err = errno;
    }
    pthread_mutex_unlock(&reap_lock);
    return err ? mp__fail(-err, "kill: %s", strerror(err)) : 0;
}

static void register_once(void)
{
    static const mp__popen_ops_t ops = {fs_poll, fs_send_signal};
    mp__popen_set_forkserver_ops(&ops);
    pthread_atfork(NULL, NULL, atfork_child);
}

/* `target` is the first request's: the server starts serving only once its image has
 * registered it (see process_start.c on the order of constructors). */
static int start_server(const char *target)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return mp__fail(mp__errno(), "socketpair: %s", strerror(errno));
    mp__fdlist_t fds = {.fd = {sv[1]}, .n = 1};
    char *what = NULL;
    if (asprintf(&what, "%d:%s", sv[1], target) < 0) {
        close(sv[0]), close(sv[1]);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    server = (mp_process_t){.pidfd = -1, .killfd = -1, .state = MP__PS_NEW};
    int rc = mp__popen_exec(&server, MP__FORKSERVER_ENV, what, NULL, 0, &fds);
    free(what);
    close(sv[1]);
    if (rc < 0) {
        close(sv[0]);
        return rc;
    }
    ctl = sv[0];
    return 0;
}

/* The server is gone (killed by someone): reap it so it is no zombie, and start another. */
static void drop_dead_server(void)
{
    while (waitpid(server.pid, NULL, WNOHANG) < 0 && errno == EINTR)
        ;
    forget_server();
}

/* 'R': the payload memfd, the status socket, the payload's descriptors. 'P': the same with a
 * pidfd of this process third, by which the child tells whether its parent lives (its OS parent
 * being the server). */
static int send_request(int memfd, int status_wr, const mp__fdlist_t *fds)
{
    int all[MP__FDLIST_MAX + 3], self = -1;
    size_t n = 0;
    all[n++] = memfd;
    all[n++] = status_wr;
    if (mp__popen_have_pidfd() && (self = (int)syscall(SYS_pidfd_open, getpid(), 0)) >= 0)
        all[n++] = self;
    memcpy(all + n, fds->fd, fds->n * sizeof(int));
    n += fds->n;
    char data = self >= 0 ? 'P' : 'R';
    struct iovec iov = {&data, 1};
    union {
        char buf[CMSG_SPACE(sizeof all)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), all, n * sizeof(int));
    ssize_t r;
    while ((r = sendmsg(ctl, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (self >= 0)
        close(self);
    return r == 1 ? 0
                  : mp__fail(r < 0 ? mp__errno() : MP_EPIPE, "fork server: %s",
                             r < 0 ? strerror(errno) : "short send");
}

/* The server's answer: the child's pid, and a pidfd of it where the server could open one. */
static int read_reply(int fd, pid_t *pid, int *pidfd)
{
    double deadline = mp__now() + REPLY_TIMEOUT;
    int ready = mp__poll_until(fd, POLLIN, deadline);
    if (ready <= 0)
        return mp__fail(ready < 0 ? ready : MP_ETIMEDOUT, "fork server: no answer");
    int32_t got = 0;
    struct iovec iov = {&got, sizeof got};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t r;
    while ((r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    *pidfd = -1;
    struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(pidfd, CMSG_DATA(c), sizeof(int));
    if (r != (ssize_t)sizeof got || got <= 0) {
        if (*pidfd >= 0)
            close(*pidfd);
        return mp__fail(MP_EPIPE, "fork server: it could not start the child");
    }
    *pid = got;
    return 0;
}

static int request(mp_process_t *p, const void *pickle, size_t len, const mp__fdlist_t *fds)
{
    int st[2], memfd = mp__spawn_payload(pickle, len, fds);
    if (memfd < 0)
        return memfd;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, st) < 0) {
        close(memfd);
        return mp__fail(mp__errno(), "socketpair: %s", strerror(errno));
    }
    int rc = send_request(memfd, st[1], fds);
    close(memfd);
    close(st[1]);
    if (rc == 0)
        rc = read_reply(st[0], &p->pid, &p->killfd);
    if (rc < 0) {
        close(st[0]);
        return rc;
    }
    p->pidfd = st[0];
    return 0;
}

int mp__forkserver_start(mp_process_t *p, const char *target, const void *pickle, size_t len,
                         const mp__fdlist_t *fds)
{
    if (fds->n > MP__FDLIST_MAX - 3)
        return mp__fail(MP_EENCODE, "too many handles for one forkserver child (%zu)", fds->n);
    pthread_mutex_lock(&server_lock);
    int rc = ctl >= 0 ? 0 : start_server(target);
    if (rc == 0 && (rc = request(p, pickle, len, fds)) == MP_EPIPE) {
        drop_dead_server(); /* one retry, with a new server */
        if ((rc = start_server(target)) == 0)
            rc = request(p, pickle, len, fds);
    }
    pthread_mutex_unlock(&server_lock);
    return rc;
}
