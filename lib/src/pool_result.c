/* AsyncResult and the imap iterators. A result keeps one slot per chunk (an apply is one
 * chunk): a map is ready when every chunk is, or at its first failure, as CPython's MapResult;
 * an imap gives each chunk's items, or its error once, in input order or in the order the
 * chunks finished. Everything here runs under the pool's mutex, which results share with their
 * pool: the pool's memory lives as long as a result does (pool.c, mp_async_result_free). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object_impl.h"
#include "pool_impl.h"

mp__task_err_t *mp__task_err_new(int code, const char *exc_type, const char *message, pid_t pid,
                                 int exitcode)
{
    mp__task_err_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->code = code;
    e->exc_type = strdup(exc_type ? exc_type : "Exception");
    e->message = strdup(message ? message : "");
    e->worker_pid = pid;
    e->worker_exitcode = exitcode;
    if (!e->exc_type || !e->message) {
        mp__task_err_free(e);
        return NULL;
    }
    return e;
}

void mp__task_err_free(mp__task_err_t *e)
{
    if (!e)
        return;
    free(e->exc_type);
    free(e->message);
    free(e);
}

mp_async_result_t *mp__result_new(mp_pool_t *p, int kind, size_t length, size_t chunksize,
                                  const mp_pool_callbacks_t *cb)
{
    mp_async_result_t *r = calloc(1, sizeof *r);
    size_t nchunks = kind == MP__JOB_APPLY ? 1 : (length + chunksize - 1) / chunksize;
    if (!r)
        return NULL;
    r->slots = calloc(nchunks ? nchunks : 1, sizeof *r->slots);
    r->order = calloc(nchunks ? nchunks : 1, sizeof *r->order);
    if (!r->slots || !r->order) {
        free(r->slots);
        free(r->order);
        free(r);
        return NULL;
    }
    r->pool = p;
    r->refs = 1;
    r->kind = kind;
    r->length = length;
    r->chunksize = chunksize;
    r->nchunks = nchunks;
    if (cb)
        r->cb = *cb;
    if (nchunks == 0) { /* an empty map is ready at once, with [], and no callback (CPython) */
        r->ready = 1;
        r->value = mp_list_new(0, NULL);
        r->err = r->value ? 0 : MP_ENOMEM;
    }
    return r;
}

/* A map's whole list: the chunks' lists end to end. */
static mp_obj_t *join_chunks(mp_async_result_t *r)
{
    mp_obj_t **items = malloc((r->length ? r->length : 1) * sizeof *items);
    size_t n = 0;
    if (!items)
        return NULL;
    for (size_t c = 0; c < r->nchunks; c++) {
        mp_obj_t *chunk = r->slots[c].value;
        size_t k = mp__list_move_items(chunk, items + n, r->length - n);
        if (k != SIZE_MAX) {
            n += k;
            continue;
        }
        /* Shared (a callback of imap's may hold it): copy with references of our own. */
        k = mp_list_size(chunk);
        mp_obj_t *const *src = mp_list_items(chunk);
        for (size_t i = 0; i < k && n < r->length; i++)
            items[n++] = mp_obj_incref(src[i]);
    }
    mp_obj_t *list = n == r->length ? mp__list_adopt(n, items) : NULL;
    if (!list) {
        while (n)
            mp_obj_decref(items[--n]);
        free(items);
    }
    return list;
}

void mp__result_ready(mp_async_result_t *r, mp__task_err_t *fail)
{
    r->ready = 1;
    if (fail) {
        r->fail = fail;
        r->err = fail->code;
    } else if (r->kind == MP__JOB_APPLY) {
        r->value = mp_obj_incref(r->slots[0].value);
        r->err = r->value ? 0 : MP_ENOMEM; /* a failure whose record could not be allocated */
    } else if (r->iter == MP__IT_NONE) {
        r->value = join_chunks(r);
        r->err = r->value ? 0 : MP_ENOMEM;
    }
    pthread_cond_broadcast(&r->pool->cv);
    if (r->cb.callback || r->cb.error_callback) {
        mp_pool_t *p = r->pool;
        r->refs++; /* the callback's, dropped once it ran */
        r->due_next = NULL;
        if (p->due_tail)
            p->due_tail->due_next = r;
        else
            p->due_head = r;
        p->due_tail = r;
    }
}

void mp__result_chunk_done(mp_async_result_t *r, size_t chunk, mp_obj_t *value, mp__task_err_t *err)
{
    mp__slot_t *s = chunk < r->nchunks ? &r->slots[chunk] : NULL;
    if (!s || s->done) {
        mp_obj_decref(value);
        mp__task_err_free(err);
        return;
    }
    s->done = 1;
    s->value = value;
    s->err = err;
    r->order[r->chunks_done++] = chunk;
    if (r->ready) /* a map that failed already: later chunks only free their parts */
        return;
    if (r->iter != MP__IT_NONE) {
        if (r->chunks_done == r->nchunks)
            mp__result_ready(r, NULL);
        pthread_cond_broadcast(&r->pool->cv);
    } else if (err || r->chunks_done == r->nchunks) {
        mp__result_ready(r, err);
    }
}

static void result_free(mp_async_result_t *r)
{
    for (size_t c = 0; c < r->nchunks; c++) {
        mp_obj_decref(r->slots[c].value);
        mp__task_err_free(r->slots[c].err);
    }
    /* r->fail is always one of the slots' errors, freed above */
    mp_obj_decref(r->value);
    free(r->slots);
    free(r->order);
    free(r);
}

int mp__result_decref(mp_async_result_t *r)
{
    if (--r->refs > 0)
        return 0;
    result_free(r);
    return 1;
}

void mp__unit_free(mp__unit_t *u, int *pool_refs)
{
    if (u->job && mp__result_decref(u->job))
        (*pool_refs)++;
    free(u->msg);
    free(u);
}

void mp__result_run_callback(mp_async_result_t *r)
{
    if (r->err == 0 && r->cb.callback)
        r->cb.callback(r->value, r->cb.ctx);
    else if (r->err != 0 && r->cb.error_callback)
        r->cb.error_callback(r->err, r, r->cb.ctx);
}

/* Waits on the pool's condition until `done(r)` or the deadline; 0 or MP_ETIMEDOUT. */
static int wait_for(mp_async_result_t *r, double timeout, int (*done)(mp_async_result_t *))
{
    double deadline;
    int rc = mp__deadline(timeout, &deadline);
    if (rc != 0)
        return rc;
    while (!done(r)) {
        if (isinf(deadline)) {
            pthread_cond_wait(&r->pool->cv, &r->pool->mu);
            continue;
        }
        struct timespec ts;
        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
        if (pthread_cond_timedwait(&r->pool->cv, &r->pool->mu, &ts) == ETIMEDOUT && !done(r))
            return mp__fail(MP_ETIMEDOUT, "timed out waiting for the result");
    }
    return 0;
}

static int is_ready(mp_async_result_t *r)
{
    return r->ready;
}

/* The message of a failure, for mp_errmsg(): "KeyError: 'x'", as Python prints it. */
static int fail_code(const mp__task_err_t *e)
{
    return mp__fail(e->code, "%s%s%s", e->exc_type, e->message[0] ? ": " : "", e->message);
}

int mp_async_result_wait(mp_async_result_t *r, double timeout)
{
    MP__NEED(r);
    pthread_mutex_lock(&r->pool->mu);
    int rc = wait_for(r, timeout, is_ready);
    pthread_mutex_unlock(&r->pool->mu);
    return rc;
}

int mp_async_result_get(mp_async_result_t *r, double timeout, mp_obj_t **value)
{
    MP__NEED(r);
    if (value)
        *value = NULL;
    pthread_mutex_lock(&r->pool->mu);
    int rc = wait_for(r, timeout, is_ready);
    if (rc == 0 && r->fail)
        rc = fail_code(r->fail);
    else if (rc == 0 && r->err)
        rc = mp__fail(r->err, "%s", mp_strerror(r->err));
    else if (rc == 0 && value)
        *value = mp_obj_incref(r->value);
    pthread_mutex_unlock(&r->pool->mu);
    return rc;
}

int mp_async_result_ready(mp_async_result_t *r)
{
    MP__NEED_OR(r, 0);
    pthread_mutex_lock(&r->pool->mu);
    int ready = r->ready;
    pthread_mutex_unlock(&r->pool->mu);
    return ready;
}

int mp_async_result_successful(mp_async_result_t *r, int *ok)
{
    MP__NEED(r);
    MP__NEED(ok);
    pthread_mutex_lock(&r->pool->mu);
    int ready = r->ready;
    *ok = ready && r->err == 0;
    pthread_mutex_unlock(&r->pool->mu);
    return ready ? 0 : mp__fail(MP_EINVAL, "AsyncResult is not ready");
}

int mp_async_result_error(const mp_async_result_t *r, mp_task_error_t *out)
{
    MP__NEED(r);
    MP__NEED(out);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&r->pool->mu);
    const mp__task_err_t *e = r->ready ? r->fail : NULL;
    if (e) {
        out->code = e->code;
        out->exc_type = e->exc_type;
        out->message = e->message;
        out->worker_pid = e->worker_pid;
        out->worker_exitcode = e->worker_exitcode;
    }
    pthread_mutex_unlock(&r->pool->mu);
    return e ? 0 : mp__fail(MP_EINVAL, "the result is not ready, or it succeeded");
}

/* ---- imap ------------------------------------------------------------------------------- */

/* The chunk an imap gives next, or nchunks when all were given. */
static size_t next_chunk(const mp_async_result_t *r)
{
    if (r->iter == MP__IT_ORDERED)
        return r->cursor;
    return r->cursor < r->chunks_done ? r->order[r->cursor] : r->nchunks;
}

/* Every chunk ends done, with a value or an error (terminate() and a broken pool fail the
 * rest), so an imap never waits for a chunk that cannot come. */
static int next_ready(mp_async_result_t *r)
{
    if (r->cursor >= r->nchunks)
        return 1;
    size_t c = next_chunk(r);
    return c < r->nchunks && r->slots[c].done;
}

/* Gives the next item of chunk c, or its error; advances the cursor. */
static int take(mp_async_result_t *r, size_t c, mp_obj_t **value)
{
    mp__slot_t *s = &r->slots[c];
    if (s->err) {
        r->cursor++;
        r->at = 0;
        return fail_code(s->err);
    }
    size_t n = mp_list_size(s->value);
    if (r->at < n)
        *value = mp_obj_incref(mp_list_get(s->value, r->at));
    if (++r->at >= n) {
        r->cursor++;
        r->at = 0;
    }
    return *value ? 0 : MP_ENOMEM;
}

int mp_imap_next(mp_imap_t *it, double timeout, mp_obj_t **value)
{
    MP__NEED(it);
    MP__NEED(value);
    *value = NULL;
    mp_async_result_t *r = it->r;
    pthread_mutex_lock(&r->pool->mu);
    int rc = wait_for(r, timeout, next_ready);
    if (rc == 0 && r->cursor >= r->nchunks)
        rc = mp__fail(MP_ESTOP, "no more results");
    else if (rc == 0)
        rc = take(r, next_chunk(r), value);
    pthread_mutex_unlock(&r->pool->mu);
    return rc;
}
