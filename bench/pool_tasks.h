/*
 * The tasks and the input list of the Pool benchmarks, shared by bench/libmp/pool.c (W7, worker
 * processes) and bench/mpi/pool.c (W9, MPI ranks): the same x*x and the same 1 ms busy loop, so
 * that the two rows measure the same work. Included by one file of each program (the tasks
 * register themselves by name).
 */
#ifndef BENCH_POOL_TASKS_H
#define BENCH_POOL_TASKS_H

#include <stdlib.h>

#include <mp.h>

#include "common.h"

static mp_obj_t *sqr(mp_obj_t *args, mp_obj_t *kwargs) {
    long long x;
    (void)kwargs;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "sqr() takes one int");
    return mp_int(x * x);
}
MP_TASK(sqr);

/* One task of W7c and W9b: `n` steps of the busy loop (about 1 ms); a byte of its result. */
static mp_obj_t *spin(mp_obj_t *args, mp_obj_t *kwargs) {
    unsigned long long n;
    (void)kwargs;
    if (mp_parse(args, "(K)", &n) != 0)
        return mp_task_raise("TypeError", "spin() takes one int");
    return mp_int((int64_t)(bench_spin(n) & 0xff));
}
MP_TASK(spin);

/* A list of COUNT ints: 0..COUNT-1, or COUNT times `same` when it is not negative. */
static mp_obj_t *int_list(long count, long long same) {
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

#endif
