/* Helpers of the Pool suite (test_pool.c, the catalogue's POOL ids, and test_pool_extensions.c,
 * libmp's own LIBMP_POOL ids).
 *
 * A pool's workers start with the method the suites run under (main.c --start-method): the
 * pools here are made with the run's default context, and every task is registered with
 * MP_TASK, so that a spawn or forkserver worker, a fresh image, finds it by name. A task never
 * asserts: it returns a value (or fails with mp_task_raise) and the test asserts on what get()
 * gives. Every test frees its pool, whatever the outcome, so that no worker outlives it. */
#ifndef MP_CONFORMANCE_POOL_HELPERS_H
#define MP_CONFORMANCE_POOL_HELPERS_H

#include "helpers.h"
#include "sync_helpers.h"

/* Tasks of test_pool.c that test_pool_extensions.c uses too (task names are program-wide). */
mp_obj_t *sqr(mp_obj_t *args, mp_obj_t *kwargs);       /* (x) -> x*x */
mp_obj_t *slow_sqr(mp_obj_t *args, mp_obj_t *kwargs);  /* (x, seconds) -> x*x after a sleep */
mp_obj_t *sleep_for(mp_obj_t *args, mp_obj_t *kwargs); /* (seconds) -> None after a sleep */

/* A pool of `processes` workers under the run's start method (maxtasks: MP_POOL_DEFAULT for
 * no limit). */
static inline mp_pool_t *pool_open(int processes, int maxtasks)
{
    mp_pool_t *p = NULL;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = processes;
    o.maxtasksperchild = maxtasks;
    ck_assert_mp(mp_get_context(NULL, &o.context), 0);
    ck_assert_mp(mp_pool_new(&p, &o), 0);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* [0, 1, ..., n-1] as a list. */
static inline mp_obj_t *range_list(long n)
{
    mp_obj_t **items = malloc(sizeof *items * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++)
        items[i] = mp_int(i);
    mp_obj_t *l = mp_list_new((size_t)n, items);
    for (long i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    free(items);
    ck_assert_ptr_nonnull(l);
    return l;
}

/* `n` copies of the float `v` as a list (the arguments of sleep_for). */
static inline mp_obj_t *repeat_list(double v, long n)
{
    mp_obj_t *f = mp_float(v);
    mp_obj_t **items = malloc(sizeof *items * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++)
        items[i] = f;
    mp_obj_t *l = mp_list_new((size_t)n, items);
    free(items);
    mp_obj_decref(f);
    ck_assert_ptr_nonnull(l);
    return l;
}

/* The int value `o`; asserted to be an int. */
static inline int64_t int_of(const mp_obj_t *o)
{
    int64_t v = 0;
    ck_assert_ptr_nonnull(o);
    ck_assert_mp(mp_int_as_int64(o, &v), 0);
    return v;
}

/* Asserts that `l` is the list [0, 1, 4, ..., (n-1)^2], and drops it. */
static inline void ck_squares(mp_obj_t *l, long n)
{
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(mp_obj_type(l), MP_TYPE_LIST);
    ck_assert_uint_eq(mp_list_size(l), (size_t)n);
    for (long i = 0; i < n; i++)
        ck_assert_int_eq(int_of(mp_list_get(l, (size_t)i)), (int64_t)i * i);
    mp_obj_decref(l);
}

/* get(timeout) of an int result, asserted to succeed; frees the result. */
static inline int64_t get_int(mp_async_result_t *r, double timeout)
{
    mp_obj_t *v = NULL;
    ck_assert_mp(mp_async_result_get(r, timeout, &v), 0);
    int64_t x = int_of(v);
    mp_obj_decref(v);
    mp_async_result_free(r);
    return x;
}

/* apply(fn, args) and apply_async(fn, args), with `args` a tuple whose reference they take
 * (pass mp_build()'s result directly). */
static inline int apply_taking(mp_pool_t *p, mp_task_t fn, mp_obj_t *args, mp_obj_t **v)
{
    ck_assert_ptr_nonnull(args);
    int rc = mp_pool_apply(p, fn, args, NULL, v);
    mp_obj_decref(args);
    return rc;
}
static inline int async_taking(mp_pool_t *p, mp_task_t fn, mp_obj_t *args,
                               const mp_pool_callbacks_t *cb, mp_async_result_t **r)
{
    ck_assert_ptr_nonnull(args);
    int rc = mp_pool_apply_async(p, fn, args, NULL, cb, r);
    mp_obj_decref(args);
    return rc;
}

/* apply(fn, args) of an int result, asserted to succeed; `args` is taken. */
static inline int64_t apply_int(mp_pool_t *p, mp_task_t fn, mp_obj_t *args)
{
    mp_obj_t *v = NULL;
    ck_assert_mp(apply_taking(p, fn, args, &v), 0);
    int64_t x = int_of(v);
    mp_obj_decref(v);
    return x;
}

/* imap (unordered 0) or imap_unordered (1). */
static inline int imap_start(mp_pool_t *p, int unordered, mp_task_t fn, mp_obj_t *iterable,
                             size_t chunksize, mp_imap_t **it)
{
    return (unordered ? mp_pool_imap_unordered : mp_pool_imap)(p, fn, iterable, chunksize, it);
}

/* The pool's worker pids into buf (room for `cap`); asserted to be `want` of them. */
static inline void worker_pids(mp_pool_t *p, pid_t *buf, size_t cap, int want)
{
    memset(buf, 0, sizeof *buf * cap);
    ck_assert_int_eq(mp_pool_worker_pids(p, buf, cap), want);
    for (int i = 0; i < want; i++)
        ck_assert_int_gt(buf[i], 0);
}

/* Waits up to `timeout` until the pool has `n` workers (a worker that ended is replaced by the
 * pool's thread, a moment later); their pids go into buf (room for `cap`). Returns the count. */
static inline int wait_workers(mp_pool_t *p, pid_t *buf, size_t cap, int n, double timeout)
{
    double deadline = now_s() + timeout;
    int count;
    while ((count = mp_pool_worker_pids(p, buf, cap)) != n && now_s() < deadline)
        sleep_s(0.01);
    return count;
}

static inline int pid_in(pid_t pid, const pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return 1;
    return 0;
}

/* A pool of `n` workers (their pids into `pids`) busy with `ntasks` tasks of 10 s each, in `r`:
 * 0.2 s later, when it returns, the workers are inside their first tasks. */
static inline mp_pool_t *pool_busy(int n, long ntasks, pid_t *pids, mp_async_result_t **r)
{
    mp_pool_t *p = pool_open(n, MP_POOL_DEFAULT);
    worker_pids(p, pids, (size_t)n, n);
    mp_obj_t *items = repeat_list(10.0, ntasks);
    ck_assert_mp(mp_pool_map_async(p, sleep_for, items, 1, NULL, r), 0);
    mp_obj_decref(items);
    sleep_s(0.2);
    return p;
}

/* Asserts that the unfinished result of a pool that was stopped fails with MP_ECLOSED at once
 * (pool.h: no get() waits for ever), and frees it. */
static inline void ck_closed_result(mp_async_result_t *r)
{
    double took;
    ck_assert_mp(TIMED(took, mp_async_result_get(r, 5, NULL)), MP_ECLOSED);
    ck_assert_immediate(took);
    mp_async_result_free(r);
}

/* Asserts that none of the `n` pids is a live process (/proc/PID/stat absent or a zombie, as
 * DESIGN says), at once. */
static inline void ck_all_gone(const pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(proc_gone(pids[i]), "worker %d is still alive (state %c)", (int)pids[i],
                      proc_state(pids[i]));
}

#endif /* MP_CONFORMANCE_POOL_HELPERS_H */
