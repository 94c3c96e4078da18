/*
 * W7 libmp: a pool of 2 workers (the fork start method, as CPython's row) runs COUNT tasks:
 *   map         (W7a) one mp_pool_map() of x*x over the ints 0..COUNT-1, automatic chunksize;
 *   apply_async (W7b) COUNT mp_pool_apply_async() of x*x, then get() of each result;
 *   map1ms      (W7c) one mp_pool_map() over COUNT tasks of 1 ms of CPU each (bench_spin(),
 *               calibrated here before the clock; the floor runs the same loop on 2 forks).
 * Time per task. The pool is made, and its workers have run one task, before the clock starts
 * (as in cpython/pool.py): its start-up is W4's business. The input list is built before the
 * clock and every result is checked after it.
 */
#include "common.h"
#include "pool_tasks.h"

#include <stdio.h>
#include <stdlib.h>

#include <mp.h>

static double run_apply_async(mp_pool_t *p, long count)
{
    mp_async_result_t **rs = malloc((size_t)count * sizeof *rs);
    int64_t *got = malloc((size_t)count * sizeof *got);
    if (!rs || !got)
        bench_fail("pool: out of memory");
    double t0 = bench_now();
    for (long i = 0; i < count; i++) {
        mp_obj_t *args = mp_build("(l)", i);
        int err = args ? mp_pool_apply_async(p, sqr, args, NULL, NULL, &rs[i]) : MP_ENOMEM;
        if (err != 0)
            pool_fail("mp_pool_apply_async", err);
        mp_obj_decref(args);
    }
    for (long i = 0; i < count; i++) {
        mp_obj_t *v;
        int err = mp_async_result_get(rs[i], MP_FOREVER, &v);
        if (err != 0)
            pool_fail("mp_async_result_get", err);
        got[i] = int_of(v);
        mp_obj_decref(v);
        mp_async_result_free(rs[i]);
    }
    double t1 = bench_now();
    for (long i = 0; i < count; i++)
        if (got[i] != (int64_t)i * i)
            bench_fail("pool: apply_async gave a wrong result");
    free(got);
    free(rs);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"map", "apply_async", "map1ms", NULL};
    bench_args_t a;
    const mp_context_t *ctx;
    mp_pool_t *p;
    mp_obj_t *warm = NULL;
    uint64_t steps = 0;

    bench_parse(argc, argv, modes, &a);
    /* Calibrated before the workers are forked, so that they inherit nothing half-done. */
    if (bench_mode_is(&a, "map1ms"))
        steps = bench_spin_calibrate(1e-3);
    if (mp_get_context("fork", &ctx) != 0)
        bench_fail(mp_errmsg());
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = 2;
    o.context = ctx;
    int err = mp_pool_new(&p, &o);
    if (err != 0)
        pool_fail("mp_pool_new", err);
    /* One task before the clock: the workers are up and the pool's threads running. */
    mp_obj_t *one = mp_build("(i)", 3);
    if ((err = mp_pool_apply(p, sqr, one, NULL, &warm)) != 0)
        pool_fail("mp_pool_apply", err);
    if (int_of(warm) != 9)
        bench_fail("pool: apply gave a wrong result");
    mp_obj_decref(warm);
    mp_obj_decref(one);

    double seconds;
    if (bench_mode_is(&a, "map"))
        seconds = run_map(p, sqr, a.count, -1, 0);
    else if (bench_mode_is(&a, "apply_async"))
        seconds = run_apply_async(p, a.count);
    else
        seconds = run_map(p, spin, a.count, (long long)steps, (int64_t)(bench_spin(steps) & 0xff));

    if ((err = mp_pool_close(p)) != 0 || (err = mp_pool_join(p)) != 0)
        pool_fail("mp_pool_close + mp_pool_join", err);
    mp_pool_free(p);
    bench_report(a.count, seconds);
    return 0;
}
