/* Lesson 12: lesson 09's prime count on worker processes, then on MPI ranks, the code unchanged
 * but for the context the Pool is given.
 *
 * Python original:  with MPIPoolExecutor() as pool:      # mpi4py.futures
 *                       counts = pool.map(count_primes, ranges)
 * Shown in: docs, "Lesson 12"          Run: make lesson-12 [ARGS="--count 3"]
 *                                      (mpirun -np 4 build/lessons/lesson12)
 *
 * --count N counts the primes below N * 100000 (default 20: below 2000000).
 */
#include <stdio.h>
#include <time.h>

#include <mp.h>
#include <mp/pool_mpi.h>

#include "../lesson.h"

#define RANGES 16

// [task]
static int is_prime(long long n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (long long d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

/* Registered by name before main runs, on every rank: a rank finds it as a spawned worker
 * does, by the name the pool sends with the pickled range. */
static mp_obj_t *count_primes(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long lo, hi;
    if (mp_parse(args, "((LL))", &lo, &hi) != 0)
        return mp_task_raise("TypeError", "count_primes() takes one (lo, hi) pair");
    if (lo > hi)
        return mp_task_raise("ValueError", "empty range %lld..%lld", lo, hi);
    long long found = 0;
    for (long long n = lo; n < hi; n++)
        found += is_prime(n);
    return mp_int(found);
}
MP_TASK(count_primes);
// [task]

static mp_obj_t *ranges_below(long long limit)
{
    long long step = (limit + RANGES - 1) / RANGES;
    mp_obj_t *items[RANGES];
    size_t n = 0;
    for (long long lo = 0; lo < limit; lo += step)
        items[n++] = lesson_ptr(mp_build("(LL)", lo, lo + step < limit ? lo + step : limit));
    mp_obj_t *list = lesson_ptr(mp_list_new(n, items));
    for (size_t i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    return list;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long sum(const mp_obj_t *counts)
{
    long long total = 0;
    for (size_t i = 0; i < mp_list_size(counts); i++) {
        long long n;
        lesson_check(mp_parse(mp_list_get(counts, i), "L", &n));
        total += n;
    }
    return total;
}

// [timed]
/* Lesson 09's timed map; `context` is the one line that differs between processes and ranks. */
static double timed_map(const mp_context_t *context, int workers, mp_obj_t *ranges,
                        long long *found)
{
    mp_pool_t *pool;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = workers;
    o.context = context;
    lesson_check(mp_pool_new(&pool, &o));
    lesson_check(mp_pool_enter(pool));
    double start = now();
    mp_obj_t *counts;
    lesson_check(mp_pool_map(pool, count_primes, ranges, 0, &counts));
    double seconds = now() - start;
    *found = sum(counts);
    mp_obj_decref(counts);
    lesson_check(mp_pool_exit(pool));
    mp_pool_free(pool);
    return seconds;
}
// [timed]

/* imap_unordered and a task that raises, on the ranks: the same calls as on processes. */
static void more_on(const mp_context_t *context, int workers, mp_obj_t *ranges)
{
    mp_pool_t *pool;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = workers;
    o.context = context;
    lesson_check(mp_pool_new(&pool, &o));
    mp_imap_t *it;
    lesson_check(mp_pool_imap_unordered(pool, count_primes, ranges, 1, &it));
    int results = 0;
    long long found = 0;
    mp_obj_t *count;
    while (lesson_check_or(mp_imap_next(it, MP_FOREVER, &count), MP_ESTOP) == 0) {
        long long n;
        lesson_check(mp_parse(count, "L", &n));
        mp_obj_decref(count);
        found += n;
        results++;
    }
    mp_imap_free(it);
    printf("imap_unordered on MPI ranks: %d results: %lld primes\n", results, found);
    mp_async_result_t *r;
    mp_obj_t *args = lesson_ptr(mp_build("((ii))", 10, 5));
    lesson_check(mp_pool_apply_async(pool, count_primes, args, NULL, NULL, &r));
    mp_obj_decref(args);
    if (lesson_check_or(mp_async_result_get(r, MP_FOREVER, &count), MP_ETASK) == MP_ETASK) {
        mp_task_error_t e;
        lesson_check(mp_async_result_error(r, &e));
        printf("a task that raises on a rank: %s: %s\n", e.exc_type, e.message);
    } else {
        mp_obj_decref(count);
    }
    mp_async_result_free(r);
    lesson_check(mp_pool_close(pool));
    lesson_check(mp_pool_join(pool));
    mp_pool_free(pool);
}

int main(int argc, char **argv)
{
    // [init]
    lesson_check(mp_mpi_init(&argc, &argv)); /* ranks 1..N-1 serve from here and never return */
    const mp_context_t *processes, *ranks;
    lesson_check(mp_get_context("fork", &processes));
    lesson_check(mp_mpi_context(&ranks));
    // [init]
    struct lesson_opts o = {0, 20};
    lesson_parse(argc, argv, &o);
    long long limit = (long long)o.count * 100000;
    mp_obj_t *ranges = ranges_below(limit);
    int workers = lesson_check(mp_mpi_size()) - 1;
    printf("counting the primes below %lld in %zu ranges, %d workers\n", limit,
           mp_list_size(ranges), workers);
    // [main]
    long long found;
    double seconds = timed_map(processes, workers, ranges, &found);
    printf("map on worker processes: %lld primes in %.2f s\n", found, seconds);
    seconds = timed_map(ranks, workers, ranges, &found);
    printf("map on MPI ranks: %lld primes in %.2f s\n", found, seconds);
    // [main]
    more_on(ranks, workers, ranges);
    mp_obj_decref(ranges);
    return 0;
}
