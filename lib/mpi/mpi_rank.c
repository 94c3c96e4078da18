/* A worker rank: waits for a pool's START, serves the session with mp_pool_serve() in a child
 * process while its main thread bridges the stream to rank 0, and begins again, until QUIT.
 * Only the rank's own process calls MPI.
 *
 * The server is a child, not a thread, so that a task that crashes, is killed or calls _exit()
 * ends the child and not the rank: Open MPI would abort the whole job for a rank's death, and
 * rank 0 would get no answer. The child's end is an ENDED with its status, which rank 0's Pool
 * treats as any worker's death (MP_EWORKERLOST for its task, a new worker on the same rank). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpi_impl.h"

typedef struct {
    pid_t pid;
    int code;
} server_t;

/* The child: serves the stream and leaves without exit handlers, which belong to the rank's MPI
 * (a forked copy of an MPI process must not call MPI, nor finalize it). */
static void serve_in_child(int fd, int other, void *spec, size_t len)
{
    close(other);
    /* A rank that dies takes its server with it: no orphan keeps running the task. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int code = mp_pool_serve(fd, spec, len);
    close(fd);
    fflush(NULL);
    _exit(code == 0 ? 0 : 1);
}

/* The server's status as a Process's exitcode: the exit status, or -signal. */
static int reap(server_t *srv)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(srv->pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != srv->pid)
        return 1;
    return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

typedef struct {
    mp__mpi_pipe_t pipe;
    mp__mpi_send_t *sends;
    pid_t server;
    int stopped, ended, quit, failed;
} session_t;

static void receive(session_t *S, int tag, const void *buf, int len)
{
    if (tag == MP__MPI_DATA && !S->stopped)
        mp__mpi_deliver(&S->pipe, buf, (size_t)len);
    else if (tag == MP__MPI_STOP && !S->stopped) {
        S->stopped = 1; /* run_session() shuts the stream once what came was written */
    } else if (tag == MP__MPI_QUIT)
        S->quit = 1;
    else if (tag == MP__MPI_KILL && !S->ended) /* not reaped yet: the pid is still the server's */
        kill(S->server, SIGKILL);
}

/* Bridges one session until it sent ENDED and got STOP (mpi_impl.h). */
static void run_session(session_t *S, server_t *srv)
{
    unsigned idle = 0;
    int shut = 0;
    while (!(S->ended && S->stopped) && !S->failed) {
        int moved = mp__mpi_pump(&S->pipe, &S->sends, 0, &S->failed);
        moved |= mp__mpi_flush(&S->pipe);
        if (S->stopped && !shut && S->pipe.outlen == 0) {
            shutdown(S->pipe.fd, SHUT_WR); /* the server sees the end after what came */
            shut = 1;
        }
        if (S->pipe.eof && !S->ended) {
            srv->code = reap(srv);
            S->failed |= mp__mpi_post(&S->sends, 0, MP__MPI_ENDED, &srv->code, sizeof srv->code);
            S->ended = moved = 1;
        }
        int tag, from, len, got = 0;
        void *buf;
        /* Once the session is over the next message is the next session's START: it is left
         * for mp__mpi_rank_main(). */
        while (!(S->ended && S->stopped) && (got = mp__mpi_take(0, &tag, &from, &buf, &len)) > 0) {
            receive(S, tag, buf, len);
            free(buf);
            moved = 1;
        }
        S->failed |= got < 0 || mp__mpi_reap_sends(&S->sends);
        if (moved)
            idle = 0;
        else
            mp__mpi_idle(&idle, &S->pipe.fd, S->pipe.eof ? 0 : 1, 1000);
    }
    if (!S->ended) { /* MPI failed: the server's stream ends, so that it returns */
        shutdown(S->pipe.fd, SHUT_RDWR);
        reap(srv);
    }
}

/* One pool's worker; returns 0, 1 when rank 0 asked to quit, -1 when MPI failed. */
static int session(void *spec, int len)
{
    int sv[2];
    server_t srv = {.code = 1};
    session_t S = {.pipe = {.fd = -1}};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return 1;
    fflush(NULL); /* the child's stdio buffers start empty */
    srv.pid = fork();
    if (srv.pid == 0)
        serve_in_child(sv[1], sv[0], spec, (size_t)len);
    close(sv[1]);
    if (srv.pid < 0) {
        close(sv[0]);
        return 1;
    }
    S.pipe.fd = sv[0];
    S.server = srv.pid;
    run_session(&S, &srv);
    while (S.sends && !S.failed)
        S.failed |= mp__mpi_reap_sends(&S.sends);
    mp__mpi_pipe_reset(&S.pipe);
    return S.failed ? -1 : S.quit;
}

int mp__mpi_rank_main(void)
{
    unsigned idle = 0;
    for (;;) {
        int tag, from, len, got;
        void *buf;
        got = mp__mpi_take(0, &tag, &from, &buf, &len);
        if (got < 0)
            return 1;
        if (got == 0) {
            mp__mpi_idle(&idle, NULL, 0, 5000);
            continue;
        }
        idle = 0;
        int rc = tag == MP__MPI_QUIT ? 1 : tag == MP__MPI_START ? session(buf, len) : 0;
        free(buf);
        if (rc != 0)
            return rc < 0;
    }
}
