/* A worker rank: waits for a pool's START, serves the session with mp_pool_serve() on a thread
 * while its main thread bridges the stream to rank 0, and begins again, until QUIT. Only the
 * main thread calls MPI. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpi_impl.h"

typedef struct {
    int fd; /* the server's end */
    void *spec;
    size_t len;
    int code;
} server_t;

static void *server(void *arg)
{
    server_t *s = arg;
    s->code = mp_pool_serve(s->fd, s->spec, s->len);
    /* Its end closes only now: the bridge reads every reply before the end of the stream. */
    close(s->fd);
    return NULL;
}

typedef struct {
    mp__mpi_pipe_t pipe;
    mp__mpi_send_t *sends;
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
}

/* Bridges one session until it sent ENDED and got STOP (mpi_impl.h). */
static void run_session(session_t *S, pthread_t th, server_t *srv)
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
            pthread_join(th, NULL);
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
        pthread_join(th, NULL);
    }
}

/* One pool's worker; returns 0, 1 when rank 0 asked to quit, -1 when MPI failed. */
static int session(void *spec, int len)
{
    int sv[2];
    server_t srv = {.spec = spec, .len = (size_t)len, .code = 1};
    session_t S = {.pipe = {.fd = -1}};
    pthread_t th;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return 1;
    srv.fd = sv[1];
    S.pipe.fd = sv[0];
    if (pthread_create(&th, NULL, server, &srv) != 0) {
        close(sv[0]);
        close(sv[1]);
        return 1;
    }
    run_session(&S, th, &srv);
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
