/* Internals of the MPI Pool (pool_mpi.h). Rank 0 runs one bridge thread (mpi_bridge.c) that owns
 * every MPI call after init: for each worker slot it moves the bytes of the pool's socket to its
 * rank and back. Every other rank (mpi_rank.c) runs the same bridge on its main thread and
 * mp_pool_serve() on a thread of its own, so the pool's frames are never parsed in between.
 *
 * Messages between rank 0 and rank r, all on one duplicate of MPI_COMM_WORLD (MPI keeps the
 * order of messages from one sender on one communicator, which the sessions below rely on):
 *   START (0->r)  a pool's worker begins: the spec for mp_pool_serve()
 *   DATA  (both)  bytes of the stream
 *   STOP  (0->r)  the pool's end of the stream closed: no more DATA for this session
 *   KILL  (0->r)  the pool stopped the worker (terminate): its server is killed, task and all
 *   ENDED (r->0)  mp_pool_serve() returned (an int exit code); no more DATA for this session
 *   QUIT  (0->r)  rank 0 is finishing: exit once the session (if any) ended
 * A session on rank r ends once it has sent ENDED and received STOP; rank 0 sends the next
 * START only after the previous session's ENDED, and always sends a session's STOP. A KILL
 * always comes after its session's START and before the next START: a rank that finds no live
 * server for it (the server ended on its own meanwhile) ignores it. */
#ifndef MP_MPI_IMPL_H
#define MP_MPI_IMPL_H

#include <mpi.h>
#include <stddef.h>

#include "mp/pool_mpi.h"
#include "mp_internal.h"

enum { MP__MPI_START = 1, MP__MPI_DATA, MP__MPI_STOP, MP__MPI_ENDED, MP__MPI_QUIT, MP__MPI_KILL };

/* An MPI_Isend in flight, with the buffer it owns. */
typedef struct mp__mpi_send {
    struct mp__mpi_send *next;
    MPI_Request req;
    void *buf;
} mp__mpi_send_t;

/* One side of a bridge: a socket to the local party, bytes waiting to be written to it. */
typedef struct mp__mpi_pipe {
    int fd;             /* the bridge's end; -1: none */
    unsigned char *out; /* received from the peer rank, not yet written to fd */
    size_t outlen, outcap;
    int eof;     /* fd gave end of file (or an error) */
    int wclosed; /* writing to fd failed: what arrives is dropped */
} mp__mpi_pipe_t;

extern MPI_Comm mp__mpi_comm;

/* mpi_pipe.c */
/* Sends `len` bytes (copied) to `peer`; nonzero when MPI failed. */
int mp__mpi_post(mp__mpi_send_t **sends, int peer, int tag, const void *buf, size_t len);
/* Frees the sends that completed; nonzero when MPI failed. */
int mp__mpi_reap_sends(mp__mpi_send_t **sends);
/* Reads what fd has and sends it to `peer` as DATA; returns 1 when bytes moved. */
int mp__mpi_pump(mp__mpi_pipe_t *p, mp__mpi_send_t **sends, int peer, int *mpi_failed);
/* Queues bytes for fd and writes what it takes now; returns 1 when bytes moved. */
int mp__mpi_deliver(mp__mpi_pipe_t *p, const void *buf, size_t len);
int mp__mpi_flush(mp__mpi_pipe_t *p);
void mp__mpi_pipe_reset(mp__mpi_pipe_t *p);
/* One message from `source` (or MPI_ANY_SOURCE) if any: 1 with it (free *buf), 0 for none,
 * -1 when MPI failed. */
int mp__mpi_take(int source, int *tag, int *from, void **buf, int *len);
/* Sleeps a little, longer the longer nothing happened, or until a descriptor is readable. */
void mp__mpi_idle(unsigned *idle, const int *fds, int n, unsigned cap_us);

/* mpi_bridge.c (rank 0) */
int mp__mpi_bridge_start(int size);
int mp__mpi_bridge_stop(void);
extern const mp_pool_transport_t mp__mpi_transport;

/* mpi_rank.c (other ranks): serves until QUIT; returns the exit status. */
int mp__mpi_rank_main(void);

#endif
