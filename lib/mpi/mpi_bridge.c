/* Rank 0's side: the transport the pool calls (start, stop, reap) and the bridge thread that
 * alone calls MPI. The pool's thread and the bridge share the ranks' state under one mutex; the
 * bridge releases it around nothing but its idle sleep, since every call it makes there is
 * non-blocking. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpi_impl.h"

/* One worker rank. `slot` fields belong to the pool's current worker on it (start..reap);
 * the others outlive it. */
typedef struct {
    int in_pool;      /* a pool's worker is here, between start and reap */
    int started;      /* its START was sent */
    int stop_sent;    /* its STOP was sent */
    int fired, ended; /* its sentinel was written; it ended (ENDED, or stopped) */
    int exitcode;
    void *spec; /* to send as START once the rank is free */
    size_t speclen;
    mp__mpi_pipe_t pipe;
    int sentinel[2];
    int remote_busy; /* a session of this rank has not sent ENDED yet */
    int stop_owed;   /* a reaped session whose STOP is still to send */
    int kill_owed;   /* stop() ended a session whose server may still run: KILL it */
    mp__mpi_send_t *sends;
} rank_t;

static struct {
    pthread_mutex_t mu;
    pthread_t thread;
    int running, quit, broken;
    int size;
    rank_t *ranks; /* index = rank; ranks[0] unused */
    int wake[2];
} B = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void wake(void)
{
    char c = 1;
    if (write(B.wake[1], &c, 1) < 0) {
        /* full: a wake-up is pending anyway */
    }
}

static void fire(rank_t *r, int code)
{
    if (r->fired)
        return;
    r->ended = r->fired = 1;
    r->exitcode = code;
    char c = 1;
    if (write(r->sentinel[1], &c, 1) < 0) {
        /* a pipe of our own with room for one byte: cannot fail */
    }
}

/* ---- the transport (the pool's thread) --------------------------------------------------- */

static int capacity(void *ctx)
{
    (void)ctx;
    return B.size - 1;
}

/* The rank's stream and sentinel; 0 or an error, nothing kept on failure. */
static int make_link(rank_t *r, int sv[2], int rank)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return mp__fail(mp__errno(), "cannot make the stream of MPI rank %d", rank);
    if (pipe2(r->sentinel, O_CLOEXEC) != 0) {
        int rc = mp__fail(mp__errno(), "cannot make the sentinel of MPI rank %d", rank);
        close(sv[0]);
        close(sv[1]);
        return rc;
    }
    return 0;
}

static int start(void *ctx, int slot, const void *spec, size_t len, mp_pool_link_t *out)
{
    (void)ctx;
    int sv[2], rc = 0;
    pthread_mutex_lock(&B.mu);
    rank_t *r = &B.ranks[slot + 1];
    if (B.broken)
        rc = mp__fail(MP_EPIPE, "MPI failed: the ranks cannot be reached");
    else if (r->in_pool)
        rc = mp__fail(MP_EBUSY, "MPI rank %d serves another pool", slot + 1);
    else if (!(r->spec = malloc(len ? len : 1)))
        rc = mp__fail(MP_ENOMEM, "out of memory");
    else if ((rc = make_link(r, sv, slot + 1)) != 0) {
        free(r->spec);
        r->spec = NULL;
    }
    if (rc == 0) {
        memcpy(r->spec, spec, len);
        r->speclen = len;
        r->in_pool = 1;
        r->started = r->stop_sent = r->fired = r->ended = 0;
        r->pipe.fd = sv[1];
        fcntl(sv[1], F_SETFL, O_NONBLOCK);
        *out = (mp_pool_link_t){sv[0], r->sentinel[0], slot + 1};
    }
    pthread_mutex_unlock(&B.mu);
    wake();
    return rc;
}

static void stop(void *ctx, int slot)
{
    (void)ctx;
    pthread_mutex_lock(&B.mu);
    rank_t *r = &B.ranks[slot + 1];
    /* The server runs in a child of its rank, which the rank kills as the process Pool's
     * terminate() ends a worker: the task does not run on after its pool (pool_mpi.h). */
    if (r->in_pool) {
        r->kill_owed |= r->started && !r->ended;
        fire(r, -SIGKILL);
    }
    pthread_mutex_unlock(&B.mu);
    wake();
}

static int reap(void *ctx, int slot)
{
    (void)ctx;
    pthread_mutex_lock(&B.mu);
    rank_t *r = &B.ranks[slot + 1];
    int code = r->exitcode;
    r->stop_owed |=
        r->started && !r->stop_sent; /* a STOP still owed to the last session stays owed */
    r->in_pool = 0;
    free(r->spec);
    r->spec = NULL;
    mp__mpi_pipe_reset(&r->pipe);
    close(r->sentinel[0]);
    close(r->sentinel[1]);
    pthread_mutex_unlock(&B.mu);
    wake();
    return code;
}

const mp_pool_transport_t mp__mpi_transport = {
    "mpi", "MPIPoolWorker", capacity, start, stop, reap, NULL,
};

/* ---- the bridge thread ------------------------------------------------------------------- */

/* Moves one rank's bytes and control; returns 1 when anything happened. */
static int step_rank(int i, rank_t *r)
{
    int moved = 0, failed = 0;
    if (r->kill_owed) {
        failed |= mp__mpi_post(&r->sends, i, MP__MPI_KILL, NULL, 0);
        r->kill_owed = 0;
        moved = 1;
    }
    if (r->stop_owed) {
        failed |= mp__mpi_post(&r->sends, i, MP__MPI_STOP, NULL, 0);
        r->stop_owed = 0;
    }
    if (r->in_pool && !r->started && !r->fired && !r->remote_busy && !r->stop_owed) {
        failed |= mp__mpi_post(&r->sends, i, MP__MPI_START, r->spec, r->speclen);
        r->started = r->remote_busy = moved = 1;
    }
    if (r->in_pool && r->started && !r->stop_sent) {
        moved |= mp__mpi_pump(&r->pipe, &r->sends, i, &failed);
        if (r->pipe.eof || r->fired) { /* the pool closed its end, or stopped the worker */
            failed |= mp__mpi_post(&r->sends, i, MP__MPI_STOP, NULL, 0);
            r->stop_sent = moved = 1;
        }
    }
    if (r->in_pool)
        moved |= mp__mpi_flush(&r->pipe);
    /* Its replies reach the pool's socket before its end does (pool_loop.c reads first). */
    if (r->in_pool && r->ended && !r->fired && r->pipe.outlen == 0)
        fire(r, r->exitcode);
    failed |= mp__mpi_reap_sends(&r->sends);
    B.broken |= failed;
    return moved;
}

static void receive(int from, int tag, const void *buf, int len)
{
    rank_t *r = &B.ranks[from];
    if (tag == MP__MPI_DATA && r->in_pool && r->started && !r->fired)
        mp__mpi_deliver(&r->pipe, buf, (size_t)len);
    else if (tag == MP__MPI_ENDED) {
        int code = 1;
        if (len == (int)sizeof code)
            memcpy(&code, buf, sizeof code);
        /* An ENDED always closes the session that START opened last (mpi_impl.h). */
        if (r->in_pool && r->started && !r->ended) {
            r->ended = 1;
            r->exitcode = code;
        }
        r->remote_busy = 0;
    }
}

/* A failed MPI call leaves no way to reach the ranks: every worker ends as lost. */
static void fail_all(void)
{
    for (int i = 1; i < B.size; i++)
        if (B.ranks[i].in_pool)
            fire(&B.ranks[i], 255);
}

static int step(void)
{
    int moved = 0, tag, from, len, got;
    void *buf;
    for (int i = 1; i < B.size; i++)
        moved |= step_rank(i, &B.ranks[i]);
    while ((got = mp__mpi_take(MPI_ANY_SOURCE, &tag, &from, &buf, &len)) > 0) {
        if (from > 0 && from < B.size)
            receive(from, tag, buf, len);
        free(buf);
        moved = 1;
    }
    B.broken |= got < 0;
    if (B.broken)
        fail_all();
    return moved;
}

/* Sleeps on the wake pipe and the pool's sockets: a task the pool writes wakes it at once, a
 * reply from a rank is seen at the next probe. */
static void idle(unsigned *n)
{
    int fds[64], k = 0;
    fds[k++] = B.wake[0];
    for (int i = 1; i < B.size && k < 64; i++)
        if (B.ranks[i].in_pool && !B.ranks[i].pipe.eof)
            fds[k++] = B.ranks[i].pipe.fd;
    pthread_mutex_unlock(&B.mu);
    mp__mpi_idle(n, fds, k, 1000);
    char drain[64];
    while (read(B.wake[0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock(&B.mu);
}

/* At the end: every session's STOP, then QUIT, and every send completed. */
static void finish(void)
{
    for (int i = 1; i < B.size; i++) {
        rank_t *r = &B.ranks[i];
        if (r->in_pool && r->started && !r->stop_sent)
            r->stop_owed = 1;
        step_rank(i, r);
        B.broken |= mp__mpi_post(&r->sends, i, MP__MPI_QUIT, NULL, 0);
    }
    for (int i = 1; i < B.size && !B.broken; i++)
        while (B.ranks[i].sends && !B.broken)
            B.broken |= mp__mpi_reap_sends(&B.ranks[i].sends);
}

static void *bridge(void *arg)
{
    (void)arg;
    unsigned n = 0;
    pthread_mutex_lock(&B.mu);
    while (!B.quit) {
        if (step())
            n = 0;
        else
            idle(&n);
    }
    finish();
    pthread_mutex_unlock(&B.mu);
    return NULL;
}

int mp__mpi_bridge_start(int size)
{
    B.size = size;
    B.ranks = calloc((size_t)size, sizeof *B.ranks);
    if (!B.ranks || pipe2(B.wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return mp__fail(MP_ENOMEM, "cannot start the MPI bridge");
    for (int i = 0; i < size; i++)
        B.ranks[i].pipe.fd = -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&B.thread, NULL, bridge, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0)
        return mp__fail(-e, "cannot start the MPI bridge thread");
    B.running = 1;
    return 0;
}

int mp__mpi_bridge_stop(void)
{
    if (!B.running)
        return 0;
    pthread_mutex_lock(&B.mu);
    B.quit = 1;
    pthread_mutex_unlock(&B.mu);
    wake();
    pthread_join(B.thread, NULL);
    B.running = 0;
    free(B.ranks);
    B.ranks = NULL;
    close(B.wake[0]);
    close(B.wake[1]);
    return B.broken ? mp__fail(MP_ERUNTIME, "MPI failed while the pool ran") : 0;
}
