/* The pool's thread: it gives queued units to workers, writes them without blocking, reads the
 * replies, notices a worker's end through its sentinel, replaces workers, and runs callbacks.
 * One thread does what CPython's three (task, result and worker handlers) do, so there is no
 * order between them to get wrong; it sleeps in poll() on the wake pipe, the workers' sockets
 * and their sentinels, and holds the pool's mutex except around poll, reads, unpickling,
 * starting a process and callbacks. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pool_impl.h"

/* A reply read from a worker, parsed without the lock and applied under it. */
typedef struct {
    int worker;
    mp_obj_t *reply; /* NULL: the worker sent bytes that are not a reply */
} reply_t;

typedef struct {
    mp_pool_t *p;
    struct pollfd *pfd; /* the pool's */
    reply_t *replies;
    size_t nreplies, cap;
    int refs; /* pool references to drop, from results freed on the way */
} loop_t;

static int alive(const mp__worker_t *w)
{
    return mp__pool_worker_alive(w);
}

/* ---- giving and writing units ----------------------------------------------------------- */

/* Units a worker may hold unanswered. Two keep it busy while its last reply travels; when many
 * one-item calls wait, more let one write and one read carry several of them. A map's chunks
 * are big units already and stay at two, so that a slow chunk does not hold others back. */
static int depth(const mp_pool_t *p, const mp__unit_t *u)
{
    if (u->job->chunksize > 1)
        return 2;
    size_t extra = p->nqueued / (size_t)p->processes;
    return 2 + (extra > 30 ? 30 : (int)extra);
}

static mp__worker_t *least_busy(mp_pool_t *p, int limit)
{
    mp__worker_t *best = NULL;
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        if (!alive(w) || w->eof || w->epipe || w->stopped || w->nout >= limit)
            continue;
        if (p->maxtasks && w->given >= p->maxtasks)
            continue; /* it exits after its last task; a replacement takes over */
        if (!best || w->nout < best->nout)
            best = w;
    }
    return best;
}

static void dispatch(mp_pool_t *p)
{
    while (p->qhead && !p->broken) {
        mp__unit_t *u = p->qhead;
        mp__worker_t *w = least_busy(p, depth(p, u));
        if (!w)
            return;
        p->qhead = u->next;
        if (!p->qhead)
            p->qtail = NULL;
        p->nqueued--;
        u->next = NULL;
        u->written = 0;
        if (w->tail)
            w->tail->next = u;
        else
            w->head = u;
        w->tail = u;
        if (!w->unwritten)
            w->unwritten = u;
        w->nout++;
        w->given++;
    }
}

/* Writes what it can of the worker's unwritten units, several frames per call. */
static void write_worker(mp__worker_t *w)
{
    while (w->unwritten && !w->eof && !w->epipe) {
        struct iovec iov[64];
        int n = 0;
        for (mp__unit_t *u = w->unwritten; u && n < 63; u = u->next) {
            if (u->written < u->hdrlen)
                iov[n++] = (struct iovec){u->hdr + u->written, u->hdrlen - u->written};
            size_t off = u->written > u->hdrlen ? u->written - u->hdrlen : 0;
            iov[n++] = (struct iovec){(char *)u->msg + off, u->len - off};
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t k = sendmsg(w->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            if (errno != EAGAIN)
                w->epipe = 1; /* the worker is gone: its sentinel tells the rest */
            return;
        }
        for (mp__unit_t *u = w->unwritten; u && k > 0; u = u->next) {
            size_t left = u->hdrlen + u->len - u->written;
            size_t take = (size_t)k < left ? (size_t)k : left;
            u->written += take;
            k -= (ssize_t)take;
            if (u->written == u->hdrlen + u->len)
                w->unwritten = u->next;
        }
    }
}

/* ---- reading replies -------------------------------------------------------------------- */

static void add_reply(loop_t *L, int worker, mp_obj_t *reply)
{
    if (L->nreplies == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 64;
        reply_t *v = realloc(L->replies, cap * sizeof *v);
        if (!v) {
            mp_obj_decref(reply);
            return;
        }
        L->replies = v;
        L->cap = cap;
    }
    L->replies[L->nreplies++] = (reply_t){worker, reply};
}

/* Whole frames at the start of the buffer become replies; returns the bytes they took. A
 * frame that is not a pickle stops the parsing and reports the worker (a NULL reply). */
static size_t parse_frames(loop_t *L, int i, mp__worker_t *w)
{
    size_t at = 0;
    for (;;) {
        size_t hdr;
        uint64_t len;
        int whole = mp__conn_parse_header(w->rbuf + at, w->rlen - at, &hdr, &len);
        if (whole == 0)
            break;
        if (whole < 0 || len > SIZE_MAX / 2) { /* out of step: the worker is reported */
            add_reply(L, i, NULL);
            return w->rlen;
        }
        if (w->rlen - at - hdr < len) {
            if (hdr + len > w->rcap - at) { /* room for the whole frame, read in large pieces */
                unsigned char *nb = realloc(w->rbuf, at + hdr + len);
                if (nb) {
                    w->rbuf = nb;
                    w->rcap = at + hdr + len;
                }
            }
            break;
        }
        mp_obj_t *reply = NULL;
        if (mp_pickle_loads(w->rbuf + at + hdr, len, &reply) != 0)
            reply = NULL;
        add_reply(L, i, reply);
        at += hdr + len;
        if (!reply)
            return w->rlen;
    }
    return at;
}

/* Reads until the socket is empty; the end of the stream marks the worker. */
static void read_worker(loop_t *L, int i, mp__worker_t *w)
{
    while (!w->eof) {
        if (w->rcap - w->rlen < 65536) {
            size_t cap = w->rcap < 65536 ? 131072 : 2 * w->rcap;
            unsigned char *nb = realloc(w->rbuf, cap);
            if (!nb)
                break;
            w->rbuf = nb;
            w->rcap = cap;
        }
        ssize_t k = recv(w->fd, w->rbuf + w->rlen, w->rcap - w->rlen, MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0 || errno != EAGAIN)
                w->eof = 1;
            break;
        }
        w->rlen += (size_t)k;
        size_t used = parse_frames(L, i, w);
        memmove(w->rbuf, w->rbuf + used, w->rlen - used);
        w->rlen -= used;
    }
}

/* ---- applying replies (under the lock) -------------------------------------------------- */

/* Fails every unfinished unit of a broken pool with the initializer's error. */
static void fail_for_broken(loop_t *L)
{
    char text[512];
    snprintf(text, sizeof text, "the pool's initializer failed: %s", L->p->broken);
    mp__pool_fail_all(L->p, MP_ERUNTIME, text, &L->refs);
}

static void fail_broken(loop_t *L, const char *type, const char *msg)
{
    mp_pool_t *p = L->p;
    if (p->broken)
        return;
    if (asprintf(&p->broken, "%s: %s", type, msg) < 0)
        p->broken = NULL;
    if (p->broken)
        fail_for_broken(L);
}

/* A worker that broke the protocol cannot be trusted with its units: it is killed, and its
 * end is then handled as any other loss. */
static void protocol_error(mp_pool_t *p, mp__worker_t *w)
{
    mp__pool_worker_kill(p, w);
    w->eof = 1;
}

static void apply_reply(loop_t *L, mp__worker_t *w, mp_obj_t *reply)
{
    long long tag;
    int ok;
    mp_obj_t *value;
    const char *type = NULL, *msg = NULL;
    if (!reply || mp_parse(reply, "(LpO)", &tag, &ok, &value) != 0 ||
        (!ok && mp_parse(value, "(ss)", &type, &msg) != 0)) {
        protocol_error(L->p, w);
        return;
    }
    if (tag == MP__POOL_TAG_INIT_FAILED && !ok) {
        fail_broken(L, type, msg);
        return;
    }
    mp__unit_t *u = w->head;
    if (!u || u->tag != tag || u == w->unwritten) {
        protocol_error(L->p, w);
        return;
    }
    w->head = u->next;
    if (!w->head)
        w->tail = NULL;
    w->nout--;
    if (ok) {
        mp__result_chunk_done(u->job, u->chunk, mp_obj_incref(value), NULL);
        mp__unit_free(u, &L->refs);
    } else {
        int code = strcmp(type, "MaybeEncodingError") == 0 ? MP_EENCODE : MP_ETASK;
        mp__pool_fail_unit(u, code, type, msg, w->pid, 0, &L->refs);
    }
}

/* ---- a worker's end --------------------------------------------------------------------- */

static void describe_end(char *buf, size_t size, const char *name, pid_t pid, int code)
{
    if (code < 0)
        snprintf(buf, size, "worker %s (pid %d) died while running the task: killed by SIG%s (%d)",
                 name, (int)pid, sigabbrev_np(-code) ? sigabbrev_np(-code) : "?", -code);
    else
        snprintf(buf, size, "worker %s (pid %d) died while running the task: exited with code %d",
                 name, (int)pid, code);
}

/* The worker ended: the unit it was running fails, the units behind it go back to the front
 * of the queue, in order, never having started. */
static void worker_ended(loop_t *L, mp__worker_t *w)
{
    mp_pool_t *p = L->p;
    int code = 0;
    mp__pool_worker_wait(p, w, MP_FOREVER, &code);
    mp__unit_t *u = w->head, *rest = NULL;
    if (u && u != w->unwritten) { /* wholly written: it was running it */
        rest = u->next;
        char msg[256], name[96];
        mp__pool_worker_name(p, w, name, sizeof name);
        describe_end(msg, sizeof msg, name, w->pid, code);
        mp__pool_fail_unit(u, MP_EWORKERLOST, "WorkerLostError", msg, w->pid, code, &L->refs);
    } else {
        rest = u;
    }
    if (rest) {
        mp__unit_t *last = rest;
        size_t n = 1;
        for (; last->next; last = last->next)
            n++;
        last->next = p->qhead;
        if (!p->qhead)
            p->qtail = last;
        p->qhead = rest;
        p->nqueued += n;
    }
    w->head = w->tail = w->unwritten = NULL;
    w->nout = 0;
    mp__pool_worker_release(p, w, &L->refs);
}

/* ---- keeping the pool full -------------------------------------------------------------- */

static int work_left(const mp_pool_t *p)
{
    if (p->qhead)
        return 1;
    for (int i = 0; i < p->processes; i++)
        if (p->workers[i].nout)
            return 1;
    return 0;
}

static int wants_workers(const mp_pool_t *p)
{
    if (p->broken)
        return 0;
    return p->state == MP__POOL_RUN || (p->state == MP__POOL_CLOSE && work_left(p));
}

/* Fills empty slots. The start runs without the lock (a spawn takes a millisecond); the slot is
 * filled under it. A start that fails breaks the pool: waiting for a worker that cannot start
 * would hang every result. */
static void replace_workers(loop_t *L)
{
    mp_pool_t *p = L->p;
    for (int i = 0; i < p->processes && wants_workers(p); i++) {
        if (alive(&p->workers[i]))
            continue;
        mp__worker_t fresh;
        pthread_mutex_unlock(&p->mu);
        int rc = mp__pool_start_worker(p, &fresh, i);
        char why[256];
        snprintf(why, sizeof why, "%s", rc ? mp_errmsg() : "");
        pthread_mutex_lock(&p->mu);
        if (rc != 0) {
            fail_broken(L, "OSError", why);
            return;
        }
        p->workers[i] = fresh;
    }
}

/* After close, once nothing is left to do, each worker reads the end of its stream and exits,
 * as CPython's workers exit on the None sentinel. */
static void stop_idle_workers(mp_pool_t *p)
{
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        if (alive(w) && !w->stopped) {
            shutdown(w->fd, SHUT_WR);
            w->stopped = 1;
        }
    }
}

static int any_alive(const mp_pool_t *p)
{
    for (int i = 0; i < p->processes; i++)
        if (alive(&p->workers[i]))
            return 1;
    return 0;
}

/* ---- callbacks and the loop ------------------------------------------------------------- */

static void run_callbacks(loop_t *L)
{
    mp_pool_t *p = L->p;
    while (p->due_head) {
        mp_async_result_t *r = p->due_head;
        p->due_head = r->due_next;
        if (!p->due_head)
            p->due_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        mp__result_run_callback(r);
        pthread_mutex_lock(&p->mu);
        if (mp__result_decref(r))
            L->refs++;
    }
    /* The owner's reference outlives the thread (mp_pool_free joins it first), so these never
     * drop the last one. */
    p->refs -= L->refs;
    L->refs = 0;
}

static int fill_pollfds(loop_t *L)
{
    mp_pool_t *p = L->p;
    L->pfd[0] = (struct pollfd){p->wake[0], POLLIN, 0};
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        struct pollfd *s = &L->pfd[1 + 2 * i];
        s[0] = (struct pollfd){-1, 0, 0};
        s[1] = (struct pollfd){-1, 0, 0};
        if (!alive(w))
            continue;
        if (!w->eof)
            s[0] = (struct pollfd){w->fd,
                                   (short)(POLLIN | (w->unwritten && !w->epipe ? POLLOUT : 0)), 0};
        s[1] = (struct pollfd){w->sentinel, POLLIN, 0};
    }
    return 1 + 2 * p->processes;
}

/* Sleeps until something happens, then reads (without the lock) what the workers sent. */
static void wait_and_read(loop_t *L)
{
    mp_pool_t *p = L->p;
    int n = fill_pollfds(L);
    pthread_mutex_unlock(&p->mu);
    if (poll(L->pfd, (nfds_t)n, -1) > 0) {
        char drain[64];
        while (read(p->wake[0], drain, sizeof drain) > 0)
            ;
        for (int i = 0; i < p->processes; i++) {
            short ev = (short)(L->pfd[1 + 2 * i].revents | L->pfd[2 + 2 * i].revents);
            if (ev & (POLLIN | POLLHUP | POLLERR))
                read_worker(L, i, &p->workers[i]);
        }
    }
    pthread_mutex_lock(&p->mu);
}

/* A pidfd sentinel reports the end as POLLIN; a pipe sentinel (no pidfd: old kernels, valgrind,
 * MP_NO_PIDFD) reports the last writer's close as POLLHUP alone. */
#define SENTINEL_ENDED (POLLIN | POLLHUP | POLLERR)

static void handle_events(loop_t *L)
{
    mp_pool_t *p = L->p;
    for (size_t k = 0; k < L->nreplies; k++) {
        apply_reply(L, &p->workers[L->replies[k].worker], L->replies[k].reply);
        mp_obj_decref(L->replies[k].reply);
    }
    L->nreplies = 0;
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        if (alive(w) && (L->pfd[2 + 2 * i].revents & SENTINEL_ENDED))
            worker_ended(L, w);
        else if (alive(w) && (L->pfd[1 + 2 * i].revents & POLLOUT))
            write_worker(w);
        L->pfd[1 + 2 * i].revents = L->pfd[2 + 2 * i].revents = 0;
    }
}

/* terminate(): every unfinished result fails, the workers get SIGTERM, and a second later
 * SIGKILL if they still run. */
static void terminate_workers(loop_t *L)
{
    mp_pool_t *p = L->p;
    mp__pool_fail_all(p, MP_ECLOSED, "the pool was terminated before the task finished", &L->refs);
    for (int i = 0; i < p->processes; i++)
        if (alive(&p->workers[i]))
            mp__pool_worker_terminate(p, &p->workers[i]);
    pthread_mutex_unlock(&p->mu);
    double deadline = mp__now() + 1.0;
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        int code;
        if (alive(w) && mp__pool_worker_wait(p, w, deadline - mp__now(), &code) == MP_ETIMEDOUT)
            mp__pool_worker_kill(p, w);
    }
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->processes; i++)
        if (alive(&p->workers[i]))
            mp__pool_worker_release(p, &p->workers[i], &L->refs);
}

void *mp__pool_thread(void *arg)
{
    loop_t L = {.p = arg};
    mp_pool_t *p = L.p;
    L.pfd = p->pfd;
    pthread_mutex_lock(&p->mu);
    while (p->state != MP__POOL_TERMINATE) {
        replace_workers(&L);
        if (p->broken && p->qhead) /* calls made since it broke: dispatch() gives them to none */
            fail_for_broken(&L);
        dispatch(p);
        for (int i = 0; i < p->processes; i++)
            if (alive(&p->workers[i]))
                write_worker(&p->workers[i]);
        if (p->state == MP__POOL_CLOSE && !work_left(p)) {
            stop_idle_workers(p);
            if (!any_alive(p))
                break;
        }
        run_callbacks(&L);
        if (p->state == MP__POOL_TERMINATE)
            break;
        wait_and_read(&L);
        handle_events(&L);
    }
    terminate_workers(&L);
    run_callbacks(&L);
    p->thread_done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    free(L.replies);
    return NULL;
}
