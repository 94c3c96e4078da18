/* Threads in a child (Process suite): CPython's child runs threading._shutdown() after run(), so
 * the threads its target started finish before it exits, whether the target returns or calls
 * sys.exit. libmp's child waits the same way (docs/pages/deviations.md says what C cannot map:
 * there is no daemon thread, and a thread other than the main one that ends the child does not
 * wait). Before this, the child _exit'ed at once and the threads died mid-work. */
#include <pthread.h>

#include "process_helpers.h"

struct late {
    report_t r;
    double delay;
};

static void *late_thread(void *arg)
{
    const struct late *l = arg;
    sleep_s(l->delay);
    report(&l->r, "thread done");
    return NULL;
}

/* Starts a thread that reports after `delay`, and leaves it running. */
static void start_late(report_t r, double delay)
{
    static struct late l; /* the child's own: it outlives the target's frame */
    l.r = r;
    l.delay = delay;
    pthread_t t;
    if (pthread_create(&t, NULL, late_thread, &l) != 0)
        _exit(90);
    pthread_detach(t);
}

/* A plain target (not a JOB, whose wrapper calls mp_exit): this one returns. */
static void thr_return_leaving_thread(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)k, (void)ctx;
    report_t r = arg_report(a, 0);
    start_late(r, 0.3);
    report(&r, "target done");
}
MP_TARGET(thr_return_leaving_thread);

static void thr_exit_leaving_thread(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)k, (void)ctx;
    start_late(arg_report(a, 0), 0.3);
    mp_exit(3);
}
MP_TARGET(thr_exit_leaving_thread);

/* The target returns while its thread still works: the child ends once the thread has. */
START_TEST(LIBMP_PROC_THREADS_01_return_waits_for_threads)
{
    chan_t r;
    chan_open(&r);
    double t0 = now_s();
    mp_process_t *p = go_args(thr_return_leaving_thread, mp_build("(N)", chan_obj(&r)), 0);
    ck_assert_int_eq(child_exit_code(p, 10), 0);
    double took = now_s() - t0;
    char *out = chan_collect(&r, 2);
    ck_assert_str_eq(out, "target done\nthread done\n");
    ck_assert_msg(took >= 0.3 - 0.01, "the child ended after %.3f s, before its thread", took);
    free(out);
    chan_close(&r);
}
END_TEST

/* mp_exit (sys.exit) waits too, and the exit code is the one given. */
START_TEST(LIBMP_PROC_THREADS_02_exit_waits_and_keeps_code)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = go_args(thr_exit_leaving_thread, mp_build("(N)", chan_obj(&r)), 0);
    ck_assert_int_eq(child_exit_code(p, 10), 3);
    char *out = chan_collect(&r, 2);
    ck_assert_str_eq(out, "thread done\n");
    free(out);
    chan_close(&r);
}
END_TEST

static void *exit_from_thread(void *arg)
{
    (void)arg;
    mp_exit(4);
}

static int thr_thread_exits(mp_obj_t *a)
{
    (void)a;
    pthread_t t;
    if (pthread_create(&t, NULL, exit_from_thread, NULL) != 0)
        _exit(90);
    sleep_s(30);
    _exit(91);
}
JOB(thr_thread_exits);

/* A thread other than the main one ends the child: it does not wait for the main thread (which
 * would wait for it), so the child ends at once with its code. */
START_TEST(LIBMP_PROC_THREADS_03_exit_from_other_thread_ends_child)
{
    mp_process_t *p = GO(thr_thread_exits, mp_build("()"));
    ck_assert_int_eq(child_exit_code(p, 10), 4);
}
END_TEST

TCase *mp_tcase_process_threads(void)
{
    TCase *tc = mp_tcase("threads", 20);
    tcase_add_test(tc, LIBMP_PROC_THREADS_01_return_waits_for_threads);
    tcase_add_test(tc, LIBMP_PROC_THREADS_02_exit_waits_and_keeps_code);
    tcase_add_test(tc, LIBMP_PROC_THREADS_03_exit_from_other_thread_ends_child);
    return tc;
}
