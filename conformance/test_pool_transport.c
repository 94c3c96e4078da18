/* The Pool's transport hook (mp/pool_transport.h) with no MPI in it: a transport whose workers
 * are threads of this process, each serving its socket with mp_pool_serve(). LIBMP_POOL_16:
 * the pool's calls and errors over a transport, a worker that ends by its task limit and is
 * started again in its slot, and the refusals. The MPI transport's own cases are in
 * conformance/mpi (make conformance-mpi). */
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pool_helpers.h"

enum { SLOTS = 3 };

typedef struct {
    pthread_t th;
    int fd, sentinel[2], code;
    void *spec;
    size_t len;
} tworker_t;

static tworker_t tw[SLOTS];

static void *serve_thread(void *arg)
{
    tworker_t *w = arg;
    w->code = mp_pool_serve(w->fd, w->spec, w->len);
    char c = 1;
    ck_assert_int_eq(write(w->sentinel[1], &c, 1), 1);
    return NULL;
}

static int t_capacity(void *ctx)
{
    (void)ctx;
    return SLOTS;
}

static int t_start(void *ctx, int slot, const void *spec, size_t len, mp_pool_link_t *out)
{
    (void)ctx;
    tworker_t *w = &tw[slot];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe(w->sentinel) != 0)
        return MP_EMFILE;
    w->fd = sv[1];
    w->spec = malloc(len);
    memcpy(w->spec, spec, len);
    w->len = len;
    pthread_create(&w->th, NULL, serve_thread, w);
    *out = (mp_pool_link_t){sv[0], w->sentinel[0], 100 + slot};
    return 0;
}

static void t_stop(void *ctx, int slot)
{
    (void)ctx;
    shutdown(tw[slot].fd, SHUT_RDWR); /* a thread cannot be killed: its stream ends */
}

static int t_reap(void *ctx, int slot)
{
    (void)ctx;
    tworker_t *w = &tw[slot];
    pthread_join(w->th, NULL);
    close(w->fd);
    close(w->sentinel[0]);
    close(w->sentinel[1]);
    free(w->spec);
    return w->code;
}

static const mp_pool_transport_t threads = {"threads", "ThreadWorker", t_capacity, t_start,
                                            t_stop,    t_reap,         NULL};

static mp_obj_t *raise_value(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_task_raise("ValueError", "over a transport");
}
MP_TASK(raise_value);

static void nothing_target(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs, (void)ctx;
}

static mp_pool_t *transport_pool(const mp_context_t *ctx, int maxtasks)
{
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.context = ctx;
    o.maxtasksperchild = maxtasks;
    mp_pool_t *p = NULL;
    ck_assert_mp(mp_pool_new(&p, &o), 0);
    return p;
}

START_TEST(LIBMP_POOL_16_transport_of_threads)
{
    const mp_context_t *ctx;
    ck_assert_mp(mp_context_from_transport(&threads, &ctx), 0);
    ck_assert_str_eq(mp_context_start_method(ctx), "threads");
    mp_pool_t *p = transport_pool(ctx, 2); /* each worker ends after two chunks */
    ck_assert_int_eq(mp_pool_processes(p), SLOTS);
    pid_t ids[SLOTS];
    ck_assert_int_eq(mp_pool_worker_pids(p, ids, SLOTS), SLOTS);
    ck_assert_int_eq(ids[0], 100);
    mp_obj_t *items = range_list(40), *out = NULL;
    ck_assert_mp(mp_pool_map(p, sqr, items, 1, &out), 0); /* 40 chunks: 20 workers in turn */
    ck_squares(out, 40);
    mp_async_result_t *r;
    ck_assert_mp(mp_pool_apply_async(p, raise_value, NULL, NULL, NULL, &r), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &out), MP_ETASK);
    mp_task_error_t e;
    ck_assert_mp(mp_async_result_error(r, &e), 0);
    ck_assert_str_eq(e.exc_type, "ValueError");
    mp_async_result_free(r);
    ck_assert_mp(mp_pool_close(p), 0);
    ck_assert_mp(mp_pool_join(p), 0);
    mp_pool_free(p);
    /* terminate with a task running: its stream ends, the result fails at once. */
    p = transport_pool(ctx, MP_POOL_DEFAULT);
    mp_obj_t *args = mp_build("(d)", 0.2);
    ck_assert_mp(mp_pool_apply_async(p, sleep_for, args, NULL, NULL, &r), 0);
    ck_assert_mp(mp_pool_terminate(p), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &out), MP_ECLOSED);
    mp_async_result_free(r);
    mp_obj_decref(args);
    mp_pool_free(p);
    /* Refusals: more workers than it gives; a Process with the context; an incomplete table. */
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.context = ctx;
    o.processes = SLOTS + 1;
    ck_assert_int_eq(mp_pool_new(&p, &o), MP_EINVAL);
    mp_process_t *proc = NULL;
    mp_process_opts_t po = MP_PROCESS_OPTS_INIT;
    po.context = ctx;
    ck_assert_mp(mp_process_new(&proc, nothing_target, NULL, &po), 0);
    ck_assert_int_eq(mp_process_start(proc), MP_EINVAL);
    mp_process_free(proc);
    mp_pool_transport_t half = threads;
    half.reap = NULL;
    ck_assert_int_eq(mp_context_from_transport(&half, &ctx), MP_EINVAL);
    ck_assert_int_eq(mp_pool_serve(-1, "x", 1), 1);
    mp_obj_decref(items);
}
END_TEST

TCase *mp_tcase_pool_transport(void)
{
    TCase *tc = mp_tcase("transport", 60);
    tcase_add_test(tc, LIBMP_POOL_16_transport_of_threads);
    return tc;
}
