/* Lesson 09: a Pool counts the primes below a bound, on one worker and then on every core.
 *
 * Python original:  with multiprocessing.Pool(workers) as pool:
 *                       counts = pool.map(count_primes, ranges)
 * Shown in: docs, "Lesson 9"          Run: make lesson-09 [ARGS="--count 3"]
 *
 * --count N counts the primes below N * 100000 (default 20: below 2000000).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <mp.h>

#include "../lesson.h"

#define RANGES 16

// [task]
/* Trial division: slow on purpose, so that the work, not the messages, fills the time. */
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

/* A task is found by name in the worker (MP_TASK below), as CPython finds a function by its
 * qualified name; what it is given and what it returns cross as pickles. */
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

// [ranges]
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
// [ranges]

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
static double timed_map(int workers, mp_obj_t *ranges, long long *found)
{
    mp_pool_t *pool;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = workers;
    lesson_check(mp_pool_new(&pool, &o));
    lesson_check(mp_pool_enter(pool)); /* with ... as pool: */
    double start = now();
    mp_obj_t *counts;
    lesson_check(mp_pool_map(pool, count_primes, ranges, 0, &counts)); /* 0: CPython's chunksize */
    double seconds = now() - start;
    *found = sum(counts);
    mp_obj_decref(counts);
    lesson_check(mp_pool_exit(pool)); /* the end of the block: terminate(), as CPython's */
    mp_pool_free(pool);
    return seconds;
}
// [timed]

// [callback]
struct tally {
    pthread_t main_thread;
    long long found;
    int calls, in_main;
};

/* Runs in the pool's thread, never in main's: the tally is only read after mp_pool_join(),
 * when no callback can run any more. lesson_check() is not used here, as it would end the
 * program from the pool's own thread; a count that did not parse shows in the total. */
static void add(mp_obj_t *result, void *ctx)
{
    struct tally *t = ctx;
    long long n;
    if (mp_parse(result, "L", &n) == 0)
        t->found += n;
    t->calls++;
    t->in_main += pthread_equal(pthread_self(), t->main_thread) != 0;
}
// [callback]

int main(int argc, char **argv)
{
    struct lesson_opts o = {0, 20};
    lesson_parse(argc, argv, &o);
    // [main]
    long long limit = (long long)o.count * 100000;
    mp_obj_t *ranges = ranges_below(limit);
    int cores = lesson_check(mp_cpu_count());
    printf("counting the primes below %lld in %zu ranges\n", limit, mp_list_size(ranges));
    long long found;
    double seconds = timed_map(1, ranges, &found);
    printf("map, 1 worker: %lld primes in %.2f s\n", found, seconds);
    seconds = timed_map(cores, ranges, &found);
    printf("map, one worker per core (cores: %d): %lld primes in %.2f s\n", cores, found, seconds);
    // [main]

    mp_pool_t *pool;
    mp_pool_opts_t po = MP_POOL_OPTS_INIT;
    po.processes = cores;
    lesson_check(mp_pool_new(&pool, &po));
    lesson_check(mp_pool_enter(pool));

    // [unordered]
    mp_imap_t *it;
    lesson_check(mp_pool_imap_unordered(pool, count_primes, ranges, 1, &it));
    int results = 0;
    mp_obj_t *count;
    found = 0;
    while (lesson_check_or(mp_imap_next(it, MP_FOREVER, &count), MP_ESTOP) == 0) {
        long long n;
        lesson_check(mp_parse(count, "L", &n));
        mp_obj_decref(count);
        found += n;
        results++;
    }
    mp_imap_free(it);
    printf("imap_unordered: %d results, taken as they finished: %lld primes\n", results, found);
    // [unordered]

    // [raises]
    mp_async_result_t *r;
    mp_obj_t *args = lesson_ptr(mp_build("((ii))", 10, 5));
    lesson_check(mp_pool_apply_async(pool, count_primes, args, NULL, NULL, &r));
    mp_obj_decref(args);
    if (lesson_check_or(mp_async_result_get(r, MP_FOREVER, &count), MP_ETASK) == MP_ETASK) {
        mp_task_error_t e; /* Python's exception, as a type name and a message */
        lesson_check(mp_async_result_error(r, &e));
        printf("a task that raises: %s: %s\n", e.exc_type, e.message);
    } else {
        mp_obj_decref(count);
    }
    mp_async_result_free(r);
    // [raises]

    // [async]
    struct tally tally = {pthread_self(), 0, 0, 0};
    mp_pool_callbacks_t cb = {add, NULL, &tally};
    for (size_t i = 0; i < mp_list_size(ranges); i++) {
        args = lesson_ptr(mp_build("(O)", mp_list_get(ranges, i)));
        lesson_check(mp_pool_apply_async(pool, count_primes, args, NULL, &cb, &r));
        mp_obj_decref(args);
        mp_async_result_free(r); /* the pool keeps its own reference until the task ends */
    }
    lesson_check(mp_pool_close(pool));
    lesson_check(mp_pool_join(pool));
    printf("apply_async: %d callbacks, %d of them in the main thread: %lld primes\n", tally.calls,
           tally.in_main, tally.found);
    // [async]

    lesson_check(mp_pool_exit(pool));
    mp_pool_free(pool);
    mp_obj_decref(ranges);
    return 0;
}
