/* Handles as values (reduction.h) and their pickling for processes started by exec.
 *
 * The round trips run mp__reduce_dumps and mp__reduce_loads, the calls spawn and forkserver make
 * (lib/src/reduction_impl.h, an internal header: these tests are the only callers outside the
 * library), with dup()'d descriptors in place of inherited ones, and check that the rebuilt
 * handles act on the same shared state as the originals. */
#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/src/reduction_impl.h"
#include "sync_helpers.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Descriptors open in this process, from /proc/self/fd. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* What a child does with the pickle: its own copies of the descriptors (as exec or SCM_RIGHTS
 * would give), mp__reduce_loads, and the copies closed again, since the rebuilt handles must
 * hold descriptors of their own. */
static int loads_with_copies(const void *data, size_t len, const mp__fdlist_t *fl, mp_obj_t **out)
{
    int fds[MP__FDLIST_MAX];
    for (size_t i = 0; i < fl->n; i++)
        fds[i] = fcntl(fl->fd[i], F_DUPFD_CLOEXEC, 0);
    int rc = mp__reduce_loads(data, len, fds, fl->n, out);
    for (size_t i = 0; i < fl->n; i++)
        close(fds[i]);
    return rc;
}

static mp_obj_t *round_trip(const mp_obj_t *v, size_t *nfds)
{
    mp__fdlist_t fl = {.n = 0};
    void *data = NULL;
    size_t len = 0;
    mp_obj_t *out = NULL;
    ck_assert_mp(mp__reduce_dumps(v, &fl, &data, &len), 0);
    ck_assert_mp(loads_with_copies(data, len, &fl, &out), 0);
    free(data);
    if (nfds)
        *nfds = fl.n;
    return out;
}

/* mp_errmsg() after a call that failed with `code`. */
#define ck_assert_fails(call, code, msg)                                                           \
    do {                                                                                           \
        ck_assert_mp(call, code);                                                                  \
        ck_assert_str_eq(mp_errmsg(), msg);                                                        \
    } while (0)

/* One handle of every kind, and a tuple of their values in the order of mp_handle_kind_t. */
typedef struct {
    mp_lock_t *l, *rl;
    mp_sem_t *s, *bs;
    mp_cond_t *c;
    mp_event_t *e;
    mp_barrier_t *b;
    mp_queue_t *q, *jq;
    mp_squeue_t *sq;
    mp_conn_t *c1, *c2;
} all_t;

enum { NKINDS = MP_HANDLE_CONNECTION + 1 };

static mp_obj_t *make_all(all_t *a)
{
    ck_assert_mp(mp_lock_new(&a->l), 0);
    ck_assert_mp(mp_rlock_new(&a->rl), 0);
    ck_assert_mp(mp_sem_new(&a->s, 2), 0);
    ck_assert_mp(mp_bsem_new(&a->bs, 1), 0);
    ck_assert_mp(mp_cond_new(&a->c, NULL), 0);
    ck_assert_mp(mp_event_new(&a->e), 0);
    ck_assert_mp(mp_barrier_new(&a->b, 2, NULL, NULL, MP_FOREVER), 0);
    ck_assert_mp(mp_queue_new(&a->q, 0), 0);
    ck_assert_mp(mp_jqueue_new(&a->jq, 0), 0);
    ck_assert_mp(mp_squeue_new(&a->sq), 0);
    ck_assert_mp(mp_pipe(&a->c1, &a->c2, 1), 0);
    mp_obj_t *v =
        mp_build("(NNNNNNNNNNN)", mp_lock_obj(a->l), mp_lock_obj(a->rl), mp_sem_obj(a->s),
                 mp_sem_obj(a->bs), mp_cond_obj(a->c), mp_event_obj(a->e), mp_barrier_obj(a->b),
                 mp_queue_obj(a->q), mp_queue_obj(a->jq), mp_squeue_obj(a->sq), mp_conn_obj(a->c1));
    ck_assert_ptr_nonnull(v);
    return v;
}

static void free_all(all_t *a)
{
    mp_lock_free(a->l);
    mp_lock_free(a->rl);
    mp_sem_free(a->s);
    mp_sem_free(a->bs);
    mp_cond_free(a->c);
    mp_event_free(a->e);
    mp_barrier_free(a->b);
    mp_queue_free(a->q);
    mp_queue_free(a->jq);
    mp_squeue_free(a->sq);
    mp_conn_free(a->c1);
    mp_conn_free(a->c2);
}

/* The handles a tuple made by make_all() (or rebuilt from one) wraps, read back with the
 * mp_obj_as_* calls, which must all succeed. */
static void unwrap_all(const mp_obj_t *v, all_t *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < NKINDS; i++)
        ck_assert_int_eq(mp_handle_kind(mp_tuple_get(v, i)), (int)i);
    ck_assert_mp(mp_obj_as_lock(mp_tuple_get(v, 0), &a->l), 0);
    ck_assert_mp(mp_obj_as_lock(mp_tuple_get(v, 1), &a->rl), 0);
    ck_assert_mp(mp_obj_as_sem(mp_tuple_get(v, 2), &a->s), 0);
    ck_assert_mp(mp_obj_as_sem(mp_tuple_get(v, 3), &a->bs), 0);
    ck_assert_mp(mp_obj_as_cond(mp_tuple_get(v, 4), &a->c), 0);
    ck_assert_mp(mp_obj_as_event(mp_tuple_get(v, 5), &a->e), 0);
    ck_assert_mp(mp_obj_as_barrier(mp_tuple_get(v, 6), &a->b), 0);
    ck_assert_mp(mp_obj_as_queue(mp_tuple_get(v, 7), &a->q), 0);
    ck_assert_mp(mp_obj_as_queue(mp_tuple_get(v, 8), &a->jq), 0);
    ck_assert_mp(mp_obj_as_squeue(mp_tuple_get(v, 9), &a->sq), 0);
    ck_assert_mp(mp_obj_as_conn(mp_tuple_get(v, 10), &a->c1), 0);
}

/* ---- wrapping and unwrapping ------------------------------------------------------------- */

START_TEST(LIBMP_RED_01_wrap_and_unwrap_each_kind)
{
    all_t a, got;
    mp_obj_t *v = make_all(&a);
    for (size_t i = 0; i < NKINDS; i++)
        ck_assert_int_eq(mp_obj_type(mp_tuple_get(v, i)), MP_TYPE_HANDLE);
    unwrap_all(v, &got);
    got.c2 = a.c2;
    ck_assert(memcmp(&got, &a, sizeof a) == 0); /* each value gives back the handle it wraps */

    /* The wrong kind, a value that is no handle, NULLs. */
    mp_obj_t *three = mp_int(3);
    ck_assert_fails(mp_obj_as_lock(mp_tuple_get(v, 7), &got.l), MP_EINVAL,
                    "mp_obj_as_lock: expected a Lock or RLock, got Queue");
    ck_assert_fails(mp_obj_as_queue(mp_tuple_get(v, 9), &got.q), MP_EINVAL,
                    "mp_obj_as_queue: expected a Queue or JoinableQueue, got SimpleQueue");
    ck_assert_fails(mp_obj_as_conn(three, &got.c1), MP_EINVAL,
                    "mp_obj_as_conn: expected a Connection, got int");
    ck_assert_fails(mp_obj_as_event(mp_tuple_get(v, 4), &got.e), MP_EINVAL,
                    "mp_obj_as_event: expected a Event, got Condition");
    ck_assert_fails(mp_handle_kind(three), MP_EINVAL,
                    "mp_handle_kind: expected a handle value, got int");
    ck_assert_null_refused(mp_obj_as_sem(NULL, &got.s), "mp_obj_as_sem: o is NULL");
    ck_assert_null_refused(mp_obj_as_sem(mp_tuple_get(v, 2), NULL), "mp_obj_as_sem: out is NULL");
    ck_assert_null_refused(mp_handle_kind(NULL), "mp_handle_kind: o is NULL");
    ck_assert_ptr_null(mp_lock_obj(NULL));
    ck_assert_str_eq(mp_errmsg(), "mp_lock_obj: l is NULL");
    ck_assert_ptr_null(mp_conn_obj(NULL));
    ck_assert_str_eq(mp_errmsg(), "mp_conn_obj: c is NULL");

    /* The value borrows: freeing it leaves every handle working. */
    mp_obj_decref(v);
    mp_obj_decref(three);
    ck_assert_mp(mp_lock_acquire(a.l, 0, 0), 0);
    ck_assert_mp(mp_lock_release(a.l), 0);
    ck_assert_mp(mp_conn_send_bytes(a.c1, "x", 1), 0);
    free_all(&a);
}
END_TEST

START_TEST(LIBMP_RED_02_equality_hash_repr_len)
{
    mp_lock_t *l, *m;
    ck_assert_mp(mp_lock_new(&l), 0);
    ck_assert_mp(mp_lock_new(&m), 0);
    mp_obj_t *a = mp_lock_obj(l), *a2 = mp_lock_obj(l), *b = mp_lock_obj(m);
    int64_t ha, ha2, hb;
    ck_assert(mp_obj_equal(a, a2));
    ck_assert(!mp_obj_equal(a, b));
    ck_assert_mp(mp_obj_hash(a, &ha), 0);
    ck_assert_mp(mp_obj_hash(a2, &ha2), 0);
    ck_assert_mp(mp_obj_hash(b, &hb), 0);
    ck_assert_int_eq(ha, ha2);

    /* As dict keys and set members: the two values of one lock are one key. */
    mp_obj_t *d = mp_build("{OiOiOi}", a, 1, b, 2, a2, 3);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(mp_dict_size(d), 2);
    int64_t got = 0;
    ck_assert_mp(mp_int_as_int64(mp_dict_get(d, a2), &got), 0);
    ck_assert_int_eq(got, 3);

    /* A handle in a tuple: equal tuples, hashable tuple. */
    mp_obj_t *t1 = mp_build("(Oi)", a, 1), *t2 = mp_build("(Oi)", a2, 1);
    ck_assert(mp_obj_equal(t1, t2));
    ck_assert_mp(mp_obj_hash(t1, NULL), 0);

    ck_assert_str_eq(mp_type_name(MP_TYPE_HANDLE), "handle");
    size_t n;
    ck_assert_fails(mp_obj_len(a, &n), MP_EINVAL, "object of type 'Lock' has no len()");
    ck_assert_int_eq(mp_obj_truth(a), 1);

    char *r = mp_repr(t1), want[128];
    snprintf(want, sizeof want, "(<multiprocessing.synchronize.Lock object at %p>, 1)", (void *)l);
    ck_assert_str_eq(r, want);
    free(r);
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_obj_t *qv = mp_queue_obj(q);
    r = mp_repr(qv);
    regex_t re;
    ck_assert_int_eq(
        regcomp(&re, "^<multiprocessing\\.queues\\.Queue object at 0x[0-9a-f]+>$", REG_EXTENDED),
        0);
    ck_assert_msg(regexec(&re, r, 0, NULL, 0) == 0, "repr %s", r);
    regfree(&re);
    free(r);
    mp_obj_decref(qv);
    mp_queue_free(q);
    mp_obj_decref(d);
    mp_obj_decref(t1);
    mp_obj_decref(t2);
    mp_obj_decref(a);
    mp_obj_decref(a2);
    mp_obj_decref(b);
    mp_lock_free(l);
    mp_lock_free(m);
}
END_TEST

/* CPython's words for each class; Event and Barrier pickle a Condition first, and that is
 * what CPython names. */
START_TEST(LIBMP_RED_03_pickling_a_handle_is_refused_with_cpythons_message)
{
    static const char *const names[NKINDS] = {
        "Lock",      "RLock", "Semaphore",     "BoundedSemaphore", "Condition",  "Condition",
        "Condition", "Queue", "JoinableQueue", "SimpleQueue",      "Connection",
    };
    all_t a;
    mp_obj_t *v = make_all(&a);
    for (size_t i = 0; i < NKINDS; i++) {
        char want[128];
        snprintf(want, sizeof want,
                 "%s objects should only be shared between processes through inheritance",
                 names[i]);
        for (int proto = -1; proto <= MP_PICKLE_HIGHEST_PROTOCOL; proto++) {
            void *data = (void *)1;
            size_t len;
            mp_obj_t *in_list = mp_build("[i{sO}]", 1, "k", mp_tuple_get(v, i));
            ck_assert_fails(mp_pickle_dumps(mp_tuple_get(v, i), proto, &data, &len), MP_EENCODE,
                            want);
            ck_assert_ptr_null(data);
            ck_assert_fails(mp_pickle_dumps(in_list, proto, &data, &len), MP_EENCODE, want);
            mp_obj_decref(in_list);
        }
    }
    mp_obj_decref(v);
    free_all(&a);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------------- */

struct waiter {
    mp_cond_t *c;
    mp_barrier_t *b;
    int rc;
};

static void *cond_waiter(void *arg)
{
    struct waiter *w = arg;
    w->rc = mp_cond_acquire(w->c, 1, MP_FOREVER);
    if (w->rc == 0)
        w->rc = mp_cond_wait(w->c, 10);
    mp_cond_release(w->c);
    return NULL;
}

static void *barrier_waiter(void *arg)
{
    struct waiter *w = arg;
    w->rc = mp_barrier_wait(w->b, 10, NULL);
    return NULL;
}

START_TEST(LIBMP_RED_04_rebuilt_sync_handles_share_the_state)
{
    all_t a, r;
    mp_obj_t *v = make_all(&a);
    mp_lock_t *l = a.l, *rl = a.rl;
    mp_sem_t *s = a.s, *bs = a.bs;
    mp_cond_t *c = a.c;
    mp_event_t *e = a.e;
    mp_barrier_t *b = a.b;
    int before = open_fds();
    size_t nfds;
    mp_obj_t *w = round_trip(v, &nfds);
    /* The small objects share one arena chunk, so one memfd; then each Queue's ring and put
     * side, the SimpleQueue's ring and the connection. */
    ck_assert_uint_eq(nfds, 1 + 3 + 3 + 1 + 1);
    ck_assert(!mp_obj_equal(v, w)); /* other handles, the same state */
    unwrap_all(w, &r);
    mp_lock_t *l2 = r.l, *rl2 = r.rl;
    mp_sem_t *s2 = r.s, *bs2 = r.bs;
    mp_cond_t *c2 = r.c;
    mp_event_t *e2 = r.e;
    mp_barrier_t *b2 = r.b;
    ck_assert_ptr_ne(l2, l);
    /* A handle met twice comes back as one value, as pickle's memo gives one object. */
    mp_obj_t *twice = mp_build("(OO)", mp_tuple_get(v, 0), mp_tuple_get(v, 0));
    mp_obj_t *back = round_trip(twice, NULL);
    ck_assert_ptr_eq(mp_tuple_get(back, 0), mp_tuple_get(back, 1));
    mp_obj_decref(back);
    mp_obj_decref(twice);

    /* Lock: taken through the rebuilt handle, held for the original. */
    ck_assert_mp(mp_lock_acquire(l2, 0, 0), 0);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), MP_EAGAIN);
    ck_assert_mp(mp_lock_release(l), 0);
    ck_assert_mp(mp_lock_acquire(l2, 0, 0), 0);
    ck_assert_mp(mp_lock_release(l2), 0);
    /* RLock: the same owner (this thread) through either handle, one depth. */
    ck_assert_mp(mp_lock_acquire(rl, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_lock_acquire(rl2, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_lock_count(rl), 2);
    ck_assert_mp(mp_lock_release(rl2), 0);
    ck_assert_mp(mp_lock_release(rl2), 0);
    ck_assert_int_eq(mp_lock_count(rl), 0);
    /* Semaphores: one value; the bound holds through the rebuilt handle. */
    ck_assert_mp(mp_sem_acquire(s2, 0, 0), 0);
    ck_assert_int_eq(mp_sem_get_value(s), 1);
    ck_assert_mp(mp_sem_release(s), 0);
    ck_assert_int_eq(mp_sem_get_value(s2), 2);
    ck_assert_mp(mp_sem_release(bs2), MP_EOVERFLOW);
    ck_assert_mp(mp_sem_acquire(bs, 0, 0), 0);
    ck_assert_int_eq(mp_sem_get_value(bs2), 0);
    ck_assert_mp(mp_sem_release(bs2), 0);
    /* Event. */
    mp_event_set(e2);
    ck_assert_int_eq(mp_event_is_set(e), 1);
    mp_event_clear(e);
    ck_assert_int_eq(mp_event_is_set(e2), 0);
    /* Condition: a waiter on the original is woken by a notify through the rebuilt one, whose
     * lock is the same lock. */
    struct waiter cw = {.c = c, .rc = 1};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, cond_waiter, &cw), 0);
    int woke = 0;
    for (int i = 0; i < 500 && !woke; i++) {
        ck_assert_mp(mp_cond_acquire(c2, 1, MP_FOREVER), 0);
        woke = mp_cond_notify(c2, 1) == 0 && i > 2; /* a notify before the wait is lost */
        mp_cond_release(c2);
        sleep_s(0.01);
    }
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_mp(cw.rc, 0);
    /* Barrier: one party through each handle. */
    struct waiter bw = {.b = b, .rc = 1};
    ck_assert_int_eq(pthread_create(&th, NULL, barrier_waiter, &bw), 0);
    ck_assert_mp(mp_barrier_wait(b2, 10, NULL), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_mp(bw.rc, 0);

    /* The rebuilt handles belong to their values: freeing them gives back every descriptor
     * and leaves the originals working. */
    mp_obj_decref(w);
    ck_assert_int_eq(open_fds(), before);
    ck_assert_mp(mp_lock_acquire(l, 0, 0), 0);
    ck_assert_mp(mp_lock_release(l), 0);
    mp_obj_decref(v);
    free_all(&a);
}
END_TEST

static int64_t get_int(mp_obj_t *o)
{
    int64_t v = -1;
    if (o && mp_int_as_int64(o, &v) < 0)
        v = -1;
    mp_obj_decref(o);
    return v;
}

START_TEST(LIBMP_RED_05_rebuilt_queues_share_the_ring)
{
    mp_queue_t *q, *jq;
    mp_squeue_t *sq;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_jqueue_new(&jq, 0), 0);
    ck_assert_mp(mp_squeue_new(&sq), 0);
    mp_obj_t *v = mp_build("[NNN]", mp_queue_obj(q), mp_queue_obj(jq), mp_squeue_obj(sq));
    int before = open_fds();
    size_t nfds;
    mp_obj_t *w = round_trip(v, &nfds);
    /* Three rings, and each Queue's two ends of the put side. */
    ck_assert_uint_eq(nfds, 7);
    mp_queue_t *q2, *jq2;
    mp_squeue_t *sq2;
    ck_assert_mp(mp_obj_as_queue(mp_list_get(w, 0), &q2), 0);
    ck_assert_mp(mp_obj_as_queue(mp_list_get(w, 1), &jq2), 0);
    ck_assert_mp(mp_obj_as_squeue(mp_list_get(w, 2), &sq2), 0);
    ck_assert_int_eq(mp_handle_kind(mp_list_get(w, 1)), MP_HANDLE_JOINABLE_QUEUE);

    mp_obj_t *o = mp_int(41), *got = NULL;
    ck_assert_mp(mp_queue_put(q2, o, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_queue_get(q, &got, 1, 1), 0);
    ck_assert_int_eq(get_int(got), 41);
    ck_assert_mp(mp_queue_put(q, o, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_queue_qsize(q2), 1);
    ck_assert_mp(mp_queue_get(q2, &got, 1, 1), 0);
    ck_assert_int_eq(get_int(got), 41);
    /* JoinableQueue: the unfinished count is shared too. */
    ck_assert_mp(mp_queue_put(jq, o, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_queue_get(jq2, &got, 1, 1), 0);
    ck_assert_int_eq(get_int(got), 41);
    ck_assert_mp(mp_jqueue_join(jq, 0.05), MP_ETIMEDOUT);
    ck_assert_mp(mp_jqueue_task_done(jq2), 0);
    ck_assert_mp(mp_jqueue_join(jq, 0), 0);
    /* SimpleQueue. */
    ck_assert_mp(mp_squeue_put(sq2, o), 0);
    ck_assert_int_eq(mp_squeue_empty(sq), 0);
    ck_assert_mp(mp_squeue_get(sq, &got), 0);
    ck_assert_int_eq(get_int(got), 41);

    /* The rebuilt Queue holds a write end of the put side of its own: the original's consumer
     * that gave up its own sees the producers gone only when the rebuilt one is freed. */
    ck_assert_mp(mp_queue_close_put(q), 0);
    ck_assert_mp(mp_queue_get(q, &got, 1, 0.05), MP_ETIMEDOUT);
    mp_obj_decref(w);
    ck_assert_mp(mp_queue_get(q, &got, 1, 1), MP_EOF);
    ck_assert_int_eq(open_fds(), before - 1); /* the original's write end, given up */
    mp_obj_decref(o);
    mp_obj_decref(v);
    mp_queue_free(q);
    mp_queue_free(jq);
    mp_squeue_free(sq);
}
END_TEST

START_TEST(LIBMP_RED_06_rebuilt_connection_is_the_same_channel)
{
    mp_conn_t *a, *b, *ra, *rb;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    ck_assert_mp(mp_pipe(&ra, &rb, 0), 0);
    mp_obj_t *v = mp_build("(NN)", mp_conn_obj(a), mp_conn_obj(rb));
    mp_obj_t *w = round_trip(v, NULL);
    mp_conn_t *a2, *rb2;
    ck_assert_mp(mp_obj_as_conn(mp_tuple_get(w, 0), &a2), 0);
    ck_assert_mp(mp_obj_as_conn(mp_tuple_get(w, 1), &rb2), 0);
    ck_assert_int_ne(mp_conn_fileno(a2), mp_conn_fileno(a));
    ck_assert(fcntl(mp_conn_fileno(a2), F_GETFD) & FD_CLOEXEC);
    ck_assert(fcntl(mp_conn_fileno(rb2), F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq(mp_conn_readable(rb2), 0);
    ck_assert_int_eq(mp_conn_writable(rb2), 1);
    ck_assert_int_eq(mp_conn_readable(a2), 1);

    mp_obj_t *msg = mp_build("(si)", "hello", 7), *got = NULL;
    ck_assert_mp(mp_conn_send(a2, msg), 0);
    ck_assert_mp(mp_conn_recv(b, &got), 0);
    ck_assert(mp_obj_equal(got, msg));
    mp_obj_decref(got);
    ck_assert_mp(mp_conn_send(b, msg), 0);
    ck_assert_mp(mp_conn_recv(a2, &got), 0);
    ck_assert(mp_obj_equal(got, msg));
    mp_obj_decref(got);
    ck_assert_mp(mp_conn_send(rb2, msg), 0);
    ck_assert_mp(mp_conn_recv(ra, &got), 0);
    ck_assert(mp_obj_equal(got, msg));
    mp_obj_decref(got);
    mp_obj_decref(w); /* closes the copies only */
    ck_assert_mp(mp_conn_send(a, msg), 0);
    ck_assert_mp(mp_conn_recv(b, &got), 0);
    mp_obj_decref(got);

    /* What cannot go: read-ahead bytes not yet delivered, a closed end. */
    mp__fdlist_t fl = {.n = 0};
    void *data;
    size_t len;
    ck_assert_mp(mp_conn_set_readahead(a, 1), 0);
    ck_assert_mp(mp_conn_send(b, msg), 0);
    ck_assert_mp(mp_conn_send(b, msg), 0);
    sleep_s(0.05);
    ck_assert_mp(mp_conn_recv(a, &got), 0);
    mp_obj_decref(got);
    ck_assert_fails(mp__reduce_dumps(v, &fl, &data, &len), MP_EENCODE,
                    "a Connection holding read-ahead bytes cannot be sent to a process started by "
                    "spawn or forkserver: they would be lost");
    ck_assert_mp(mp_conn_recv(a, &got), 0);
    mp_obj_decref(got);
    fl.n = 0;
    ck_assert_mp(mp__reduce_dumps(v, &fl, &data, &len), 0);
    free(data);
    ck_assert_mp(mp_conn_close(rb), 0);
    fl.n = 0;
    ck_assert_fails(mp__reduce_dumps(v, &fl, &data, &len), MP_EENCODE,
                    "a closed Connection cannot be sent to another process");
    mp_obj_decref(msg);
    mp_obj_decref(v);
    mp_conn_free(a);
    mp_conn_free(b);
    mp_conn_free(ra);
    mp_conn_free(rb);
}
END_TEST

static int an_action(void *arg)
{
    (void)arg;
    return 0;
}

START_TEST(LIBMP_RED_07_what_cannot_be_sent)
{
    mp_barrier_t *b;
    ck_assert_mp(mp_barrier_new(&b, 2, an_action, NULL, MP_FOREVER), 0);
    mp_obj_t *v = mp_build("(iN)", 1, mp_barrier_obj(b));
    mp__fdlist_t fl = {.n = 0};
    void *data = (void *)1;
    size_t len;
    ck_assert_fails(mp__reduce_dumps(v, &fl, &data, &len), MP_EENCODE,
                    "a Barrier with an action cannot be sent to a process started by spawn or "
                    "forkserver unless the action is registered by name (MP_BARRIER_ACTION()) "
                    "and its arg is NULL: a function pointer means nothing in another image");
    ck_assert_ptr_null(data);
    mp_obj_decref(v);
    mp_barrier_free(b);

    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    v = mp_queue_obj(q);
    ck_assert_mp(mp_queue_close(q), 0);
    fl.n = 0;
    ck_assert_fails(mp__reduce_dumps(v, &fl, &data, &len), MP_EENCODE,
                    "a closed Queue cannot be sent to another process");
    mp_obj_decref(v);
    mp_queue_free(q);

    /* More descriptors than one SCM_RIGHTS message carries. */
    enum { PIPES = 127 };
    mp_conn_t *end[2 * PIPES];
    mp_obj_t *items[2 * PIPES];
    for (int i = 0; i < PIPES; i++) {
        ck_assert_mp(mp_pipe(&end[2 * i], &end[2 * i + 1], 0), 0);
        items[2 * i] = mp_conn_obj(end[2 * i]);
        items[2 * i + 1] = mp_conn_obj(end[2 * i + 1]);
    }
    v = mp_list_new(2 * PIPES, items);
    fl.n = 0;
    ck_assert_fails(mp__reduce_dumps(v, &fl, &data, &len), MP_EENCODE,
                    "the arguments hold handles on more than 253 descriptors");
    mp_obj_decref(v);
    for (int i = 0; i < 2 * PIPES; i++) {
        mp_obj_decref(items[i]);
        mp_conn_free(end[i]);
    }
}
END_TEST

/* A forked child that loads the pickle from the descriptors it inherited, as a spawned child
 * would from those exec gave it, and works on the parent's lock and queue. */
START_TEST(LIBMP_RED_08_forked_child_rebuilds_the_handles)
{
    mp_lock_t *l;
    mp_queue_t *q;
    ck_assert_mp(mp_lock_new(&l), 0);
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_obj_t *v = mp_build("(NNi)", mp_lock_obj(l), mp_queue_obj(q), 5);
    mp__fdlist_t fl = {.n = 0};
    void *data;
    size_t len;
    ck_assert_mp(mp__reduce_dumps(v, &fl, &data, &len), 0);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        mp_obj_t *w = NULL, *o;
        mp_lock_t *l2;
        mp_queue_t *q2;
        int n;
        if (loads_with_copies(data, len, &fl, &w) < 0 || mp_parse(w, "(OOi)", &o, &o, &n) < 0 ||
            n != 5)
            _exit(2);
        if (mp_obj_as_lock(mp_tuple_get(w, 0), &l2) < 0 ||
            mp_obj_as_queue(mp_tuple_get(w, 1), &q2) < 0)
            _exit(3);
        if (mp_lock_acquire(l2, 0, 0) != 0)
            _exit(4);
        mp_obj_t *msg = mp_int(getpid());
        int rc = mp_queue_put(q2, msg, 1, 5);
        mp_obj_decref(msg);
        mp_obj_decref(w);
        _exit(rc == 0 ? 0 : 5);
    }
    ck_assert_int_gt(pid, 0);
    mp_obj_t *got = NULL;
    ck_assert_mp(mp_queue_get(q, &got, 1, 10), 0);
    ck_assert_int_eq(get_int(got), pid);
    ck_assert_int_eq(pid_wait(pid), 0);
    /* The child took the lock and ended holding it. */
    ck_assert_mp(mp_lock_acquire(l, 0, 0), MP_EOWNERDEAD);
    free(data);
    mp_obj_decref(v);
    mp_lock_free(l);
    mp_queue_free(q);
}
END_TEST

/* ---- hostile persistent ids -------------------------------------------------------------- */

/* PROTO 2, MARK, the ints as BININT, TUPLE, BINPERSID, STOP. */
static size_t craft(unsigned char *buf, const long long *v, size_t n)
{
    size_t k = 0;
    buf[k++] = 0x80;
    buf[k++] = 2;
    buf[k++] = '(';
    for (size_t i = 0; i < n; i++) {
        uint32_t x = (uint32_t)(int32_t)v[i];
        buf[k++] = 'J';
        for (int j = 0; j < 4; j++)
            buf[k++] = (unsigned char)(x >> (8 * j));
    }
    buf[k++] = 't';
    buf[k++] = 'Q';
    buf[k++] = '.';
    return k;
}

static void refused(const void *data, size_t len, const int *fds, size_t nfds, const char *why)
{
    mp_obj_t *out = (mp_obj_t *)1;
    ck_assert_mp(mp__reduce_loads(data, len, fds, nfds, &out), MP_EDECODE);
    ck_assert_ptr_null(out);
    ck_assert_msg(strstr(mp_errmsg(), why) != NULL, "message '%s' lacks '%s'", mp_errmsg(), why);
}

START_TEST(LIBMP_RED_09_hostile_persistent_ids_are_refused)
{
    mp_lock_t *l;
    ck_assert_mp(mp_lock_new(&l), 0);
    mp_obj_t *v = mp_lock_obj(l);
    mp__fdlist_t fl = {.n = 0};
    void *good;
    size_t good_len;
    ck_assert_mp(mp__reduce_dumps(v, &fl, &good, &good_len), 0);
    ck_assert_uint_eq(fl.n, 1);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    int fds[3] = {fcntl(fl.fd[0], F_DUPFD_CLOEXEC, 0), p[0], -1};
    int before = open_fds();
    unsigned char buf[128];
    static const struct {
        long long v[7];
        size_t n;
        const char *why;
    } bad[] = {
        {{99, 0, 0}, 3, "unknown handle kind 99"},
        {{-1, 0, 0}, 3, "unknown handle kind -1"},
        {{MP_HANDLE_LOCK, 5, 0}, 3, "descriptor index 5 is not one of the 3 given"},
        {{MP_HANDLE_LOCK, -1, 0}, 3, "descriptor index -1"},
        {{MP_HANDLE_LOCK, 2, 0}, 3, "descriptor index 2"}, /* given as -1 */
        {{MP_HANDLE_LOCK, 0, 1 << 30}, 3, "do not fit"},
        {{MP_HANDLE_LOCK, 0, 65536 - 16}, 3, "do not fit"},
        {{MP_HANDLE_LOCK, 0, 8}, 3, "do not fit"}, /* misaligned */
        {{MP_HANDLE_LOCK, 0, -16}, 3, "negative offset"},
        {{MP_HANDLE_LOCK, 1, 0}, 3, "do not fit"}, /* a pipe, not shared memory */
        {{MP_HANDLE_LOCK, 0}, 2, "not a tuple of 3 to 6 ints"},
        {{MP_HANDLE_LOCK, 0, 0, 0}, 4, "4 items for a kind 0 handle, which has 3"},
        {{MP_HANDLE_CONDITION, 0, 0, 0, 0, 9}, 6, "a Condition's lock of kind 9"},
        {{MP_HANDLE_QUEUE, 0, 0, 4, 1, -1}, 6, "does not hold one of that kind"},
        {{MP_HANDLE_QUEUE, 0, 0, 9, 1, -1}, 6, "pickle protocol 9"},
        {{MP_HANDLE_QUEUE, 0, 0, 4, -1, -1}, 6, "descriptor index -1"},
        {{MP_HANDLE_SIMPLE_QUEUE, 0, 0, 4}, 4, "does not hold one of that kind"},
        {{MP_HANDLE_BARRIER, 0, 0}, 3, "the Barrier's shared state is not one (0 parties)"},
        {{MP_HANDLE_BOUNDED_SEMAPHORE, 0, 0}, 3, "bound does not match"},
        {{MP_HANDLE_CONNECTION, 1, 0, 0}, 4, "a Connection's directions (0, 0)"},
        {{MP_HANDLE_CONNECTION, 1, 2, 1}, 4, "a Connection's directions (2, 1)"},
        {{MP_HANDLE_CONNECTION, 7, 1, 0}, 4, "descriptor index 7"},
        {{MP_HANDLE_VALUE, 0, 0, 9, 0, 0}, 6, "a Value or Array's lock of kind 9"},
        {{MP_HANDLE_ARRAY, 0, 0, -1, -1, 0}, 6, "a Value or Array of typecode 0"}, /* a lock */
        {{MP_HANDLE_VALUE, 0, 0, MP_HANDLE_LOCK, 5, 0}, 6, "descriptor index 5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = craft(buf, bad[i].v, bad[i].n);
        refused(buf, n, fds, 3, bad[i].why);
    }
    /* Shapes the crafting above cannot make. */
    static const char not_tuple[] = "\x80\x02K\x01Q.";
    static const char with_bool[] = "\x80\x02(K\x00\x88K\x00tQ.";
    static const char with_str[] = "\x80\x02(K\x00X\x01\x00\x00\x00"
                                   "aK\x00tQ.";
    static const char big[] = "\x80\x02(K\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01K\x00tQ.";
    static const char nothing[] = "\x80\x02Q.";
    static const char text_id[] = "\x80\x02P0 0 0\n.";
    refused(not_tuple, sizeof not_tuple - 1, fds, 3, "not a tuple of 3 to 6 ints");
    refused(with_bool, sizeof with_bool - 1, fds, 3, "item 1 is not an int");
    refused(with_str, sizeof with_str - 1, fds, 3, "item 1 is not an int");
    refused(big, sizeof big - 1, fds, 3, "item 1 is not an int");
    refused(nothing, sizeof nothing - 1, fds, 3, "stack underflow");
    refused(text_id, sizeof text_id - 1, fds, 3, "refused: it would look up or call");
    /* Nothing stays mapped or open after a refusal. */
    ck_assert_int_eq(open_fds(), before);

    /* Everyone else's decoder refuses the id exactly as before. */
    mp_obj_t *out;
    ck_assert_mp(mp_pickle_loads(good, good_len, &out), MP_EDECODE);
    ck_assert_msg(strstr(mp_errmsg(), "pickle: BINPERSID (0x51) at byte ") == mp_errmsg() &&
                      strstr(mp_errmsg(), ": refused: it would look up or call a Python object"),
                  "%s", mp_errmsg());
    /* And the good one loads. */
    ck_assert_mp(mp__reduce_loads(good, good_len, fds, 3, &out), 0);
    ck_assert_int_eq(mp_handle_kind(out), MP_HANDLE_LOCK);
    mp_obj_decref(out);
    ck_assert_null_refused(mp__reduce_loads(good, good_len, fds, 3, NULL),
                           "mp__reduce_loads: out is NULL");
    free(good);
    close(fds[0]);
    close(p[0]);
    close(p[1]);
    mp_obj_decref(v);
    mp_lock_free(l);
}
END_TEST

Suite *mp_suite_reduction(void)
{
    Suite *s = suite_create("Reduction");
    TCase *tc = mp_tcase("handles", 30);
    tcase_add_test(tc, LIBMP_RED_01_wrap_and_unwrap_each_kind);
    tcase_add_test(tc, LIBMP_RED_02_equality_hash_repr_len);
    tcase_add_test(tc, LIBMP_RED_03_pickling_a_handle_is_refused_with_cpythons_message);
    tcase_add_test(tc, LIBMP_RED_04_rebuilt_sync_handles_share_the_state);
    tcase_add_test(tc, LIBMP_RED_05_rebuilt_queues_share_the_ring);
    tcase_add_test(tc, LIBMP_RED_06_rebuilt_connection_is_the_same_channel);
    tcase_add_test(tc, LIBMP_RED_07_what_cannot_be_sent);
    tcase_add_test(tc, LIBMP_RED_08_forked_child_rebuilds_the_handles);
    tcase_add_test(tc, LIBMP_RED_09_hostile_persistent_ids_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
