/* The fork server itself (CPython's forkserver.main): a fresh run of the program that, instead
 * of main(), waits for requests on its control socket and forks a child for each.
 *
 * Its children are copies of a process that has run no user code but the program's
 * constructors: no threads, no locks held, no half-written stdio buffers, which is what makes
 * forking from it safe where forking from a threaded program is not. For each child it keeps a
 * pidfd to learn when the child ends, and a status socket to tell the client: it reaps the
 * child and sends the wait status there. It exits when its control socket reads end of file,
 * that is when the process that started it is gone; its daemonic children follow it through
 * their death signal. */
#include <errno.h>
#include <fcntl.h>
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

/* Without pidfds, children are reaped by polling this often. */
#define REAP_POLL_MS 50

struct kid {
    pid_t pid;
    int pidfd;  /* -1 without pidfds */
    int status; /* the status socket the client reads */
};

static struct kid *kids;
static size_t nkids, capkids;
static int ctl = -1;

/* The request: 'R' or 'P' and, as SCM_RIGHTS, the payload memfd, the status socket, with 'P' a
 * pidfd of the parent, then the descriptors the payload refers to. Returns how many
 * descriptors came (*with_parent: whether the third is the parent's pidfd), 0 at end of
 * file. */
static int receive(int *fds, int *with_parent)
{
    char data = 0;
    struct iovec iov = {&data, 1};
    union {
        char buf[CMSG_SPACE((MP__FDLIST_MAX + 3) * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t r;
    while ((r = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (r <= 0)
        return 0;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds + n, CMSG_DATA(c), (size_t)k * sizeof(int));
        n += k;
    }
    *with_parent = data == 'P';
    if ((data != 'R' && data != 'P') || n < 2 + *with_parent || (msg.msg_flags & MSG_CTRUNC)) {
        for (int i = 0; i < n; i++)
            close(fds[i]);
        return -1; /* not a request of ours: ignored */
    }
    return n;
}

static void __attribute__((noreturn)) run_child(int *fds, int n, int with_parent, pid_t server)
{
    close(ctl);
    for (size_t i = 0; i < nkids; i++) {
        close(kids[i].status);
        if (kids[i].pidfd >= 0)
            close(kids[i].pidfd);
    }
    close(fds[1]);
    int sentinel = mp__popen_own_sentinel(); /* the server's, not this child's */
    if (sentinel >= 0)
        close(sentinel);
    mp__popen_adopt_sentinel(-1);
    signal(SIGINT, SIG_DFL);
    int scratch[MP__FDLIST_MAX];
    size_t nscratch = 0, len = 0;
    void *pickle = NULL;
    mp_process_t *p = NULL;
    int first = 2 + with_parent;
    mp__self_watch_parent(with_parent ? fds[2] : MP__PARENT_BY_PID);
    if (mp__spawn_read(fds[0], &pickle, &len, scratch, &nscratch) < 0 ||
        mp__payload_enter(pickle, len, fds + first, (size_t)(n - first), &p) < 0) {
        fprintf(stderr, "libmp: a forkserver child cannot start: %s\n", mp_errmsg());
        _exit(255);
    }
    free(pickle);
    /* The handles hold copies of their own (see process_start.c); the status socket is closed
     * already, and the parent's pidfd, if any, is kept by mp__self_watch_parent(). */
    for (int i = 0; i < n; i++)
        if (i != 1 && (i != 2 || !with_parent))
            close(fds[i]);
    mp__process_bootstrap(p, server);
}

/* The client learns the pid, and gets a pidfd to signal the child without any risk of a
 * reused pid; a failed fork is answered with pid 0. */
static void reply(int status, pid_t pid, int pidfd)
{
    int32_t v = pid > 0 ? pid : 0;
    struct iovec iov = {&v, sizeof v};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pidfd >= 0) {
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
    }
    while (sendmsg(status, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static void serve_request(int *fds, int n, int with_parent)
{
    if (nkids == capkids) {
        size_t cap = capkids ? capkids * 2 : 16;
        struct kid *k = realloc(kids, cap * sizeof *k);
        if (!k) {
            reply(fds[1], 0, -1);
            goto done;
        }
        kids = k;
        capkids = cap;
    }
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(fds, n, with_parent, server);
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    reply(fds[1], pid, pidfd);
    if (pid > 0) {
        kids[nkids++] = (struct kid){pid, pidfd, fds[1]};
        fds[1] = -1;
    }
done:
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Reaps every child that has ended and tells its client. */
static void reap(void)
{
    for (size_t i = 0; i < nkids;) {
        int status = 0;
        pid_t r;
        while ((r = waitpid(kids[i].pid, &status, WNOHANG)) < 0 && errno == EINTR)
            ;
        if (r == 0) {
            i++;
            continue;
        }
        int32_t v = status;
        while (send(kids[i].status, &v, sizeof v, MSG_NOSIGNAL) < 0 && errno == EINTR)
            ;
        close(kids[i].status);
        if (kids[i].pidfd >= 0)
            close(kids[i].pidfd);
        kids[i] = kids[--nkids];
    }
}

static void __attribute__((noreturn)) serve(void)
{
    for (;;) {
        struct pollfd pf[1 + 256];
        size_t n = 0;
        pf[n++] = (struct pollfd){ctl, POLLIN, 0};
        int all_pidfds = 1;
        for (size_t i = 0; i < nkids && n < 257; i++) {
            if (kids[i].pidfd >= 0)
                pf[n++] = (struct pollfd){kids[i].pidfd, POLLIN, 0};
            else
                all_pidfds = 0;
        }
        all_pidfds = all_pidfds && nkids < 256;
        int r = poll(pf, n, all_pidfds ? -1 : REAP_POLL_MS);
        if (r < 0 && errno != EINTR)
            _exit(1);
        reap();
        if (r > 0 && pf[0].revents) {
            int fds[MP__FDLIST_MAX + 3], with_parent = 0;
            int got = receive(fds, &with_parent);
            if (got == 0)
                _exit(0); /* the process that started us is gone */
            if (got > 0)
                serve_request(fds, got, with_parent);
        }
    }
}

void mp__forkserver_hook(void)
{
    const char *env = getenv(MP__FORKSERVER_ENV);
    int memfd = -1, sentinel = -1, fd = -1, at = 0;
    if (!env || sscanf(env, "%d :%d:%d:%n", &memfd, &sentinel, &fd, &at) != 3 || at == 0)
        return;
    /* Not before the image that holds the first target has registered its targets: a library's
     * constructors (libmp.so's among them) run before the program's. */
    if (env[at] && !mp_target_lookup(env + at))
        return;
    unsetenv(MP__FORKSERVER_ENV);
    close(memfd);
    mp__popen_adopt_sentinel(sentinel);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    ctl = fd;
    signal(SIGINT, SIG_IGN); /* a Ctrl-C goes to the program, which decides (as CPython's) */
    serve();
}
