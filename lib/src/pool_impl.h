/* Internals of the Pool (pool.h), shared by pool.c (the API and submission), pool_result.c
 * (AsyncResult and imap), pool_loop.c (the pool's thread) and pool_worker.c (the child side).
 *
 * The parent keeps, per worker, a socketpair end and the list of units (one apply, or one chunk
 * of a map) sent to it and not yet answered. A worker runs its units in order and answers each,
 * so when a worker dies the first unanswered unit that was wholly written is the one it was
 * running: that unit fails with MP_EWORKERLOST and the units behind it go back to the queue,
 * never having started. One mutex (the pool's) guards everything here; the thread releases it
 * around system calls that may take long and around user callbacks. */
#ifndef MP_POOL_IMPL_H
#define MP_POOL_IMPL_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include "connection_impl.h"

/* The message tags a worker sends that are not a unit's: the initializer failed. */
#define MP__POOL_TAG_INIT_FAILED (-1)
/* What the parent sends to tell a worker to exit (CPython's None sentinel). */
#define MP__POOL_TAG_STOP (-2)

enum { MP__JOB_APPLY, MP__JOB_MAP, MP__JOB_STARMAP };
enum { MP__IT_NONE, MP__IT_ORDERED, MP__IT_UNORDERED };
enum { MP__POOL_RUN, MP__POOL_CLOSE, MP__POOL_TERMINATE };

/* How one unit (or the initializer) failed. */
typedef struct mp__task_err {
    int code;
    char *exc_type, *message;
    pid_t worker_pid;
    int worker_exitcode;
} mp__task_err_t;

/* One chunk's outcome: a value (a list for maps) or an error. */
typedef struct mp__slot {
    mp_obj_t *value;
    mp__task_err_t *err;
    int done;
} mp__slot_t;

struct mp_async_result_s {
    mp_pool_t *pool;
    int refs; /* the caller's, plus one while units are queued or running */
    int kind; /* MP__JOB_* */
    int iter; /* MP__IT_*: an imap's result keeps every chunk apart */
    size_t length, chunksize, nchunks, chunks_done;
    mp__slot_t *slots;
    size_t *order;     /* imap_unordered: chunk indexes in the order they finished */
    size_t cursor, at; /* imap: the next chunk to give (or index into order), item within it */
    int ready;
    int err;              /* 0 or the error mp_async_result_get() returns */
    mp__task_err_t *fail; /* the error of a failed result (borrowed from a slot) */
    mp_obj_t *value;      /* a ready result's value: apply's object, map's whole list */
    mp_pool_callbacks_t cb;
    struct mp_async_result_s *due_next; /* on the pool's list of callbacks to run */
};

struct mp_imap_s {
    mp_async_result_t *r;
};

/* One unit of work: an apply, or one chunk of a map; the pickled message for the worker. */
typedef struct mp__unit {
    struct mp__unit *next;
    mp_async_result_t *job;
    size_t chunk;
    long long tag;
    unsigned char hdr[12]; /* the frame's length prefix (CPython's connection framing) */
    size_t hdrlen;
    void *msg;
    size_t len;
    size_t written; /* of hdrlen + len, to this unit's worker */
} mp__unit_t;

typedef struct mp__worker {
    mp_process_t *proc;   /* NULL for a process pool: the slot is empty */
    int remote;           /* a transport's worker is running in this slot (proc stays NULL) */
    int slot;             /* a transport's worker: its slot, as the transport numbers them */
    int reaped, exitcode; /* a transport's worker: ended and reaped, with this code */
    mp_conn_t *conn;      /* the parent's end */
    mp_conn_t *child;     /* the worker's end, closed here once the worker started */
    int fd;               /* conn's descriptor, non-blocking */
    int sentinel;         /* readable once the worker ended */
    pid_t pid;
    mp__unit_t *head, *tail; /* given to it and unanswered, in order; some maybe not written yet */
    mp__unit_t *unwritten;   /* the first unit not wholly written, or NULL */
    int nout;
    long long given;     /* units given to it, against maxtasksperchild */
    int stopped;         /* its writing side was shut down: it exits when it reads the end */
    int eof;             /* its end reported EOF or an error: wait for the sentinel only */
    int epipe;           /* a write failed: it reads no more, but its replies are still to read */
    unsigned char *rbuf; /* bytes read, not yet a whole frame */
    size_t rlen, rcap;
} mp__worker_t;

struct mp_pool_s {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when a result is ready or the thread ends */
    int refs;          /* the owner's, plus one a live result */
    int state;         /* MP__POOL_* */
    int processes, maxtasks;
    const mp_context_t *context;
    const mp_pool_transport_t *transport; /* NULL: workers are child processes */
    const char *init_name;                /* NULL: no initializer */
    mp_obj_t *initargs;
    char *broken;              /* the initializer's failure, once a worker reported one */
    mp__worker_t *workers;     /* `processes` of them; proc NULL when the slot is empty */
    mp__unit_t *qhead, *qtail; /* queued, not yet given to a worker */
    size_t nqueued;
    long long next_tag;
    int wake[2];        /* a pipe: anything written wakes the thread */
    struct pollfd *pfd; /* the thread's: the wake pipe, then each worker's socket and sentinel */
    pthread_t thread;
    int thread_started, thread_done, thread_joined;
    sigset_t creator_mask;                  /* the signal mask workers start with */
    pid_t creator;                          /* a forked child's copy of a pool is inert */
    mp_async_result_t *due_head, *due_tail; /* ready results whose callback is to run */
    mp_pool_t *next_live;                   /* the list the exit handler walks */
};

/* pool.c */
void mp__pool_wake(mp_pool_t *p);

/* pool_result.c (all under p->mu unless said) */
mp_async_result_t *mp__result_new(mp_pool_t *p, int kind, size_t length, size_t chunksize,
                                  const mp_pool_callbacks_t *cb);
void mp__result_chunk_done(mp_async_result_t *r, size_t chunk, mp_obj_t *value,
                           mp__task_err_t *err);
mp__task_err_t *mp__task_err_new(int code, const char *exc_type, const char *message, pid_t pid,
                                 int exitcode);
void mp__task_err_free(mp__task_err_t *e);
/* Marks a result ready (its value or failure set); queues its callback for the thread. */
void mp__result_ready(mp_async_result_t *r, mp__task_err_t *fail);
/* Drops a reference; returns 1 when the result was freed (and its pool reference must go). */
int mp__result_decref(mp_async_result_t *r);
/* Runs a ready result's callback, once; without the lock. */
void mp__result_run_callback(mp_async_result_t *r);
/* Takes a unit off its result: drops the result's reference, and the pool's with the result's
 * last (counted in *pool_refs, to drop once the lock is released). */
void mp__unit_free(mp__unit_t *u, int *pool_refs);

/* pool_loop.c */
void *mp__pool_thread(void *arg);
/* pool_workers.c: starting, stopping and losing workers */
/* Starts the worker of slot `slot` into *w (which may be a copy, placed in the slot after). */
int mp__pool_start_worker(mp_pool_t *p, mp__worker_t *w, int slot);
void mp__pool_worker_release(mp_pool_t *p, mp__worker_t *w, int *pool_refs);
/* A worker of either kind: whether the slot holds one, stopping it, waiting for its end (its
 * exit code, -signal; MP_ETIMEDOUT) and its name for messages. */
int mp__pool_worker_alive(const mp__worker_t *w);
void mp__pool_worker_kill(mp_pool_t *p, mp__worker_t *w);
void mp__pool_worker_terminate(mp_pool_t *p, mp__worker_t *w);
int mp__pool_worker_wait(mp_pool_t *p, mp__worker_t *w, double timeout, int *exitcode);
void mp__pool_worker_name(const mp_pool_t *p, const mp__worker_t *w, char *buf, size_t size);
void mp__pool_fail_unit(mp__unit_t *u, int code, const char *exc_type, const char *message,
                        pid_t pid, int exitcode, int *pool_refs);
void mp__pool_fail_all(mp_pool_t *p, int code, const char *message, int *pool_refs);

/* pool_worker.c: the worker's target and its payload. */
mp_obj_t *mp__pool_worker_args(mp_conn_t *child_end, const char *init_name, mp_obj_t *initargs,
                               int maxtasks);
/* The pickled (init_name, initargs, maxtasks) a transport's worker is started with. */
int mp__pool_worker_spec(const char *init_name, mp_obj_t *initargs, int maxtasks, void **buf,
                         size_t *len);
void mp__pool_worker_main(mp_obj_t *args, mp_obj_t *kwargs, void *ctx);

#endif
