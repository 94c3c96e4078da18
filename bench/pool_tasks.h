/*
 * The tasks and the input list of the Pool benchmarks, shared by bench/libmp/pool.c (W7, worker
 * processes) and bench/mpi/pool.c (W9, MPI ranks): the same x*x and the same 1 ms busy loop, so
 * that the two rows measure the same work, and the timed map both run. Included by one file of
 * each program (the tasks register themselves by name).
 */
#ifndef BENCH_POOL_TASKS_H
#define BENCH_POOL_TASKS_H

#include <stdio.h>
#include <stdlib.h>

#include <mp.h>

#include "common.h"

static mp_obj_t *sqr(mp_obj_t *args, mp_obj_t *kwargs)
{
    long long x;
    (void)kwargs;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "sqr() takes one int");
    return mp_int(x * x);
}
MP_TASK(sqr);

/* One task of W7c and W9b: `n` steps of the busy loop (about 1 ms); a byte of its result. */
static mp_obj_t *spin(mp_obj_t *args, mp_obj_t *kwargs)
{
    unsigned long long n;
    (void)kwargs;
    if (mp_parse(args, "(K)", &n) != 0)
        return mp_task_raise("TypeError", "spin() takes one int");
    return mp_int((int64_t)(bench_spin(n) & 0xff));
}
MP_TASK(spin);

/* A list of COUNT ints: 0..COUNT-1, or COUNT times `same` when it is not negative. */
static mp_obj_t *int_list(long count, long long same)
{
    mp_obj_t **items = calloc((size_t)(count ? count : 1), sizeof *items);
    if (!items)
        bench_fail("pool: out of memory");
    for (long i = 0; i < count; i++)
        items[i] = mp_int(same < 0 ? i : same);
    mp_obj_t *l = mp_list_new((size_t)count, items);
    for (long i = 0; i < count; i++)
        mp_obj_decref(items[i]);
    free(items);
    if (!l)
        bench_fail("pool: mp_list_new failed");
    return l;
}

static _Noreturn void pool_fail(const char *what, int err)
{
    fprintf(stderr, "bench: pool: %s: %s (%s)\n", what, mp_strerror(err), mp_errmsg());
    exit(1);
}

static int64_t int_of(mp_obj_t *o)
{
    int64_t v;
    if (!o || mp_int_as_int64(o, &v) != 0)
        bench_fail("pool: a result is not an int");
    return v;
}

/* One mp_pool_map() of `fn` over int_list(count, same), timed; each result must be the square
 * of its item (same < 0, sqr), or `want` (spin). */
static double run_map(mp_pool_t *p, mp_task_t fn, long count, long long same, int64_t want)
{
    mp_obj_t *in = int_list(count, same), *out = NULL;
    double t0 = bench_now();
    int err = mp_pool_map(p, fn, in, 0, &out);
    double t1 = bench_now();
    if (err != 0)
        pool_fail("mp_pool_map", err);
    if (mp_list_size(out) != (size_t)count)
        bench_fail("pool: map gave a list of the wrong length");
    for (long i = 0; i < count; i++)
        if (int_of(mp_list_get(out, (size_t)i)) != (same < 0 ? (int64_t)i * i : want))
            bench_fail("pool: map gave a wrong result");
    mp_obj_decref(out);
    mp_obj_decref(in);
    return t1 - t0;
}

#endif
