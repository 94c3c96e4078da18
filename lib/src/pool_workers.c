/* Starting a pool's workers, and what happens to their units when they end: a worker lost in
 * a task fails that task alone (MP_EWORKERLOST) and gives back the units it had not started;
 * terminate() and a broken pool fail everything unfinished, so that no get() waits for a
 * result that cannot come (CPython's does, for ever). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool_impl.h"
#include "process_impl.h"

/* CPython names a worker after its process class: ForkPoolWorker-3, SpawnPoolWorker-3... */
static void name_worker(mp_process_t *proc, const mp_context_t *ctx)
{
    const char *method = mp_context_start_method(ctx);
    const char *cls = strcmp(method, "spawn") == 0        ? "SpawnPoolWorker"
                      : strcmp(method, "forkserver") == 0 ? "ForkServerPoolWorker"
                                                          : "ForkPoolWorker";
    const char *name = mp_process_name(proc);
    const char *dash = name ? strchr(name, '-') : NULL;
    char buf[128];
    snprintf(buf, sizeof buf, "%s%s", cls, dash ? dash : "");
    mp_process_set_name(proc, buf);
}

/* Starts with the creator's signal mask: the pool's thread blocks every signal, and a worker
 * it starts must still be stoppable by SIGTERM. */
static int start_masked(mp_pool_t *p, mp_process_t *proc)
{
    sigset_t old;
    pthread_sigmask(SIG_SETMASK, &p->creator_mask, &old);
    int rc = mp_process_start(proc);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc < 0 ? rc : 0;
}

/* A transport's worker: the same frames travel over its socket; it is told the initializer
 * and task limit as a spawned worker is, in one pickled spec. */
static int start_remote(mp_pool_t *p, mp__worker_t *w, int slot)
{
    void *spec;
    size_t len;
    int rc = mp__pool_worker_spec(p->init_name, p->initargs, p->maxtasks, &spec, &len);
    if (rc != 0)
        return rc;
    mp_pool_link_t link = {-1, -1, 0};
    const mp_pool_transport_t *t = p->transport;
    rc = t->start(t->ctx, slot, spec, len, &link);
    free(spec);
    if (rc != 0)
        return rc;
    mp_conn_t *conn;
    if ((rc = mp_conn_from_fd(&conn, link.fd, 1, 1)) != 0) {
        close(link.fd);
        t->stop(t->ctx, slot);
        t->reap(t->ctx, slot);
        return rc;
    }
    memset(w, 0, sizeof *w);
    w->remote = 1;
    w->slot = slot;
    w->conn = conn;
    w->fd = link.fd;
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
    w->sentinel = link.sentinel;
    w->pid = link.id;
    return 0;
}

int mp__pool_start_worker(mp_pool_t *p, mp__worker_t *w, int slot)
{
    if (p->transport)
        return start_remote(p, w, slot);
    mp_conn_t *mine, *theirs;
    int rc = mp_pipe(&mine, &theirs, 1);
    if (rc != 0)
        return rc;
    mp_obj_t *args = mp__pool_worker_args(theirs, p->init_name, p->initargs, p->maxtasks);
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.daemon = 1;
    o.context = p->context;
    mp_process_t *proc = NULL;
    rc = args ? mp_process_new(&proc, mp__pool_worker_main, args, &o) : MP_ENOMEM;
    mp_obj_decref(args);
    if (rc == 0) {
        name_worker(proc, p->context);
        rc = start_masked(p, proc);
    }
    if (rc != 0) {
        mp_process_free(proc);
        mp_conn_free(mine);
        mp_conn_free(theirs);
        return rc;
    }
    /* The worker has its own copy now; the struct stays until the process object goes, whose
     * arguments still name it. */
    mp_conn_close(theirs);
    memset(w, 0, sizeof *w);
    w->proc = proc;
    w->conn = mine;
    w->child = theirs;
    w->fd = mp_conn_fileno(mine);
    fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
    w->sentinel = mp_process_sentinel(proc);
    w->pid = mp_process_pid(proc);
    return 0;
}

int mp__pool_worker_alive(const mp__worker_t *w)
{
    return w->proc != NULL || w->remote;
}

void mp__pool_worker_kill(mp_pool_t *p, mp__worker_t *w)
{
    if (w->proc)
        mp_process_kill(w->proc);
    else if (w->remote && !w->reaped)
        p->transport->stop(p->transport->ctx, w->slot);
}

void mp__pool_worker_terminate(mp_pool_t *p, mp__worker_t *w)
{
    if (w->proc)
        mp_process_terminate(w->proc);
    else
        mp__pool_worker_kill(p, w); /* a transport has one way to stop a worker */
}

int mp__pool_worker_wait(mp_pool_t *p, mp__worker_t *w, double timeout, int *exitcode)
{
    *exitcode = 0;
    if (w->proc) {
        int rc = mp_process_join(w->proc, timeout);
        if (rc == 0)
            mp_process_exitcode(w->proc, exitcode);
        return rc;
    }
    if (!w->reaped) {
        double deadline = 0; /* the pool's own timeouts, never NaN */
        mp__deadline(timeout, &deadline);
        if (mp__poll_until(w->sentinel, POLLIN, deadline) == 0)
            return MP_ETIMEDOUT;
        /* The sentinel is the transport's, valid until reap: the slot forgets it there. */
        w->exitcode = p->transport->reap(p->transport->ctx, w->slot);
        w->reaped = 1;
        w->sentinel = -1;
    }
    *exitcode = w->exitcode;
    return 0;
}

void mp__pool_worker_name(const mp_pool_t *p, const mp__worker_t *w, char *buf, size_t size)
{
    if (w->proc)
        snprintf(buf, size, "%s", mp_process_name(w->proc));
    else
        snprintf(buf, size, "%s-%d", p->transport->worker_class, w->slot + 1);
}

void mp__pool_worker_release(mp_pool_t *p, mp__worker_t *w, int *pool_refs)
{
    for (mp__unit_t *u = w->head, *next; u; u = next) {
        next = u->next;
        mp__unit_free(u, pool_refs);
    }
    int code;
    mp__pool_worker_wait(p, w, MP_FOREVER, &code);
    mp_process_free(w->proc);
    mp_conn_free(w->conn);
    mp_conn_free(w->child);
    free(w->rbuf);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

void mp__pool_fail_unit(mp__unit_t *u, int code, const char *exc_type, const char *message,
                        pid_t pid, int exitcode, int *pool_refs)
{
    mp__task_err_t *e = mp__task_err_new(code, exc_type, message, pid, exitcode);
    mp__result_chunk_done(u->job, u->chunk, NULL, e);
    mp__unit_free(u, pool_refs);
}

static void fail_list(mp__unit_t *u, int code, const char *message, int *pool_refs)
{
    const char *type = code == MP_ECLOSED ? "TerminatedError" : "RuntimeError";
    while (u) {
        mp__unit_t *next = u->next;
        mp__pool_fail_unit(u, code, type, message, 0, 0, pool_refs);
        u = next;
    }
}

void mp__pool_fail_all(mp_pool_t *p, int code, const char *message, int *pool_refs)
{
    fail_list(p->qhead, code, message, pool_refs);
    p->qhead = p->qtail = NULL;
    p->nqueued = 0;
    for (int i = 0; i < p->processes; i++) {
        mp__worker_t *w = &p->workers[i];
        fail_list(w->head, code, message, pool_refs);
        w->head = w->tail = w->unwritten = NULL;
        w->nout = 0;
    }
}
