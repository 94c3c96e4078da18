/* Suite "Pool", libmp's own cases on the lives of workers: a worker that dies (SIGKILL, _exit,
 * a crash: LIBMP_POOL_01; a SIGKILL from outside: POOL-22, an id libmp added to the catalogue)
 * fails the task it ran with MP_EWORKERLOST, naming the worker and how it ended, and the pool
 * goes on with a replacement (CPython's get() waits for ever: gh-66587, PEERS pain point 3); the
 * calls queued behind that task run on the replacement (LIBMP_POOL_13); maxtasksperchild
 * replaces workers (POOL-21, also libmp's id); a pool freed while it runs leaves no process. */
#include <sys/resource.h>

#include "pool_helpers.h"

/* ---- tasks ---------------------------------------------------------------------------------- */

enum { DIE_SIGKILL, DIE_EXIT3, DIE_SEGV };

/* Ends its own worker: (how) -> never returns. */
static mp_obj_t *die_by(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    int how = -1;
    mp_parse(args, "(i)", &how);
    switch (how) {
    case DIE_SIGKILL:
        kill(getpid(), SIGKILL);
        break;
    case DIE_EXIT3:
        _exit(3);
    case DIE_SEGV: {
        struct rlimit none = {0, 0}; /* no core file from this crash */
        setrlimit(RLIMIT_CORE, &none);
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        break;
    }
    }
    return mp_task_raise("RuntimeError", "die_by(%d) did not die", how);
}
MP_TASK(die_by);

/* (path, seconds): writes the worker's pid into `path` (whole, by a rename), then sleeps. */
static mp_obj_t *announce_then_sleep(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    const char *path;
    double s;
    char tmp[256];
    if (mp_parse(args, "(sd)", &path, &s) != 0)
        return mp_task_raise("TypeError", "announce_then_sleep() takes a str and a float");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return mp_task_raise("OSError", "cannot write %s", tmp);
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    rename(tmp, path);
    sleep_s(s);
    return mp_none();
}
MP_TASK(announce_then_sleep);

static mp_obj_t *my_pid(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_int(getpid());
}
MP_TASK(my_pid);

/* ---- worker death --------------------------------------------------------------------------- */

/* Asserts that `r` fails with MP_EWORKERLOST within 1 s, naming a worker of `before` (or
 * `pid`, if not 0) that ended with `exitcode`; frees it. Returns the dead worker's pid. */
static pid_t ck_worker_lost(mp_async_result_t *r, pid_t pid, int exitcode, const pid_t *before,
                            size_t n)
{
    double took;
    mp_task_error_t e;
    ck_assert_mp(TIMED(took, mp_async_result_get(r, 5, NULL)), MP_EWORKERLOST);
    ck_assert_msg(took < 1.0 * time_scale(), "the loss was seen after %.3f s", took);
    ck_assert_mp(mp_async_result_error(r, &e), 0);
    ck_assert_int_eq(e.code, MP_EWORKERLOST);
    ck_assert_int_ne(e.worker_pid, 0);
    if (pid)
        ck_assert_int_eq(e.worker_pid, pid);
    ck_assert(pid_in(e.worker_pid, before, n));
    ck_assert_int_eq(e.worker_exitcode, exitcode);
    ck_assert_ptr_nonnull(e.exc_type);
    ck_assert_ptr_nonnull(e.message);
    int ok = -1;
    ck_assert_mp(mp_async_result_successful(r, &ok), 0);
    ck_assert_int_eq(ok, 0);
    mp_async_result_free(r);
    return e.worker_pid;
}

/* After a worker died: the pool serves (a map works), and within 2 s it has `n` workers again,
 * the dead one not among them and a new one among them. */
static void ck_pool_recovered(mp_pool_t *p, pid_t dead, const pid_t *before, size_t n)
{
    mp_obj_t *l = range_list(20), *v = NULL;
    ck_assert_mp(mp_pool_map(p, sqr, l, 0, &v), 0);
    ck_squares(v, 20);
    mp_obj_decref(l);
    pid_t now[16];
    int count = 0, fresh = 0;
    double deadline = now_s() + 2 * time_scale();
    do {
        count = mp_pool_worker_pids(p, now, 16);
        fresh = 0;
        for (int i = 0; i < count && i < 16; i++)
            fresh += !pid_in(now[i], before, n);
        if (count == (int)n && fresh && !pid_in(dead, now, n))
            break;
        sleep_s(0.01);
    } while (now_s() < deadline);
    ck_assert_int_eq(count, (int)n);
    ck_assert_msg(fresh >= 1, "no new worker after %d died", (int)dead);
    ck_assert(!pid_in(dead, now, n));
    ck_assert(proc_gone(dead));
}

/* A task that SIGKILLs its worker, one that calls _exit(3), one that crashes (SIGSEGV): each
 * get() fails with MP_EWORKERLOST within 1 s, naming the worker and its exit code (-9, 3, -11);
 * the pool keeps serving with a replacement. */
START_TEST(LIBMP_POOL_01_task_kills_its_worker)
{
    static const int how[] = {DIE_SIGKILL, DIE_EXIT3, DIE_SEGV}, code[] = {-9, 3, -11};
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    for (int i = 0; i < 3; i++) {
        pid_t before[2];
        mp_async_result_t *r = NULL;
        worker_pids(p, before, 2, 2);
        ck_assert_mp(async_taking(p, die_by, mp_build("(i)", how[i]), NULL, &r), 0);
        pid_t dead = ck_worker_lost(r, 0, code[i], before, 2);
        ck_pool_recovered(p, dead, before, 2);
    }
    mp_pool_free(p);
}
END_TEST

/* Sends announce_then_sleep(30 s) to `p`; its result in *r. */
static void start_sleeper(mp_pool_t *p, char *path, size_t size, mp_async_result_t **r)
{
    snprintf(path, size, "/tmp/mp-pool-started-%d", (int)getpid());
    unlink(path);
    ck_assert_mp(async_taking(p, announce_then_sleep, mp_build("(sd)", path, 30.0), NULL, r), 0);
}

/* The pid of the worker that runs the sleeper, once it runs. */
static pid_t sleeper_pid(const char *path)
{
    int pid = 0;
    double deadline = now_s() + 10;
    FILE *f = NULL;
    while (!(f = fopen(path, "r")) && now_s() < deadline)
        sleep_s(0.005);
    ck_assert_msg(f != NULL, "the slow task did not start");
    ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
    fclose(f);
    unlink(path);
    return pid;
}

/* A worker killed from outside (SIGKILL to a pid of mp_pool_worker_pids) while it runs a slow
 * task: the same (CPython's get() never returns: the Python case of POOL-22 shows it with a
 * timeout). */
START_TEST(POOL_22_worker_killed_in_a_task)
{
    mp_pool_t *p = pool_open(2, MP_POOL_DEFAULT);
    pid_t before[2];
    worker_pids(p, before, 2, 2);
    char path[128];
    mp_async_result_t *r = NULL;
    start_sleeper(p, path, sizeof path, &r);
    pid_t pid = sleeper_pid(path);
    ck_assert(pid_in(pid, before, 2));
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_worker_lost(r, pid, -9, before, 2);
    ck_pool_recovered(p, pid, before, 2);
    mp_pool_free(p);
}
END_TEST

/* maxtasksperchild=10: 100 apply_async tasks need at least 10 workers in turn, none of which
 * ran more than 10 of them; the pids have changed. */
START_TEST(POOL_21_maxtasksperchild_replaces_workers)
{
    enum { N = 100 };
    mp_pool_t *p = pool_open(2, 10);
    pid_t before[2], after[2], seen[N];
    int runs[N] = {0};
    worker_pids(p, before, 2, 2);
    mp_async_result_t *r[N];
    for (int i = 0; i < N; i++)
        ck_assert_mp(async_taking(p, my_pid, mp_build("()"), NULL, &r[i]), 0);
    size_t distinct = 0;
    for (int i = 0; i < N; i++) {
        pid_t pid = (pid_t)get_int(r[i], 10);
        ck_assert_int_gt(pid, 0);
        size_t k = 0;
        while (k < distinct && seen[k] != pid)
            k++;
        if (k == distinct)
            seen[distinct++] = pid;
        runs[k]++;
        ck_assert_msg(runs[k] <= 10, "worker %d ran %d tasks", (int)pid, runs[k]);
    }
    ck_assert_msg(distinct >= N / 10, "%zu workers ran %d tasks", distinct, N);
    ck_assert_int_eq(mp_pool_processes(p), 2);
    ck_assert_int_eq(wait_workers(p, after, 2, 2, 2 * time_scale()), 2);
    ck_assert(!pid_in(after[0], before, 2) || !pid_in(after[1], before, 2));
    mp_pool_free(p);
}
END_TEST

/* The only worker holds a sleeping task and the calls sent after it, which it has not started:
 * killed from outside, it fails the sleeping one alone (MP_EWORKERLOST); the others go back to
 * the queue and run on its replacement. */
START_TEST(LIBMP_POOL_13_units_behind_a_lost_one_run_elsewhere)
{
    enum { N = 4 };
    mp_pool_t *p = pool_open(1, MP_POOL_DEFAULT);
    pid_t before[1];
    worker_pids(p, before, 1, 1);
    char path[128];
    mp_async_result_t *slow = NULL, *r[N];
    start_sleeper(p, path, sizeof path, &slow);
    for (int i = 0; i < N; i++)
        ck_assert_mp(async_taking(p, my_pid, mp_build("()"), NULL, &r[i]), 0);
    pid_t pid = sleeper_pid(path);
    ck_assert_int_eq(pid, before[0]);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_worker_lost(slow, pid, -9, before, 1);
    for (int i = 0; i < N; i++) {
        pid_t ran = (pid_t)get_int(r[i], 10);
        ck_assert_msg(ran > 0 && ran != pid, "call %d ran in %d, the lost worker", i, (int)ran);
    }
    mp_pool_free(p);
}
END_TEST

/* A pool freed without close() while its tasks run: free returns promptly and leaves no
 * process (/proc/PID/stat absent or a zombie); the result still held fails with MP_ECLOSED. */
START_TEST(LIBMP_POOL_04_free_while_running_leaves_no_process)
{
    pid_t pids[3];
    mp_async_result_t *r = NULL;
    mp_pool_t *p = pool_busy(3, 6, pids, &r);
    double t0 = now_s();
    mp_pool_free(p);
    double took = now_s() - t0;
    ck_assert_msg(took < 2 * time_scale(), "mp_pool_free took %.3f s", took);
    ck_all_gone(pids, 3);
    ck_assert_int_eq(mp_active_children(NULL, 0), 0);
    ck_closed_result(r);
}
END_TEST

TCase *mp_tcase_pool_workers(void)
{
    TCase *tc = mp_tcase("workers", 60);
    tcase_add_test(tc, LIBMP_POOL_01_task_kills_its_worker);
    tcase_add_test(tc, POOL_22_worker_killed_in_a_task);
    tcase_add_test(tc, POOL_21_maxtasksperchild_replaces_workers);
    tcase_add_test(tc, LIBMP_POOL_04_free_while_running_leaves_no_process);
    tcase_add_test(tc, LIBMP_POOL_13_units_behind_a_lost_one_run_elsewhere);
    return tc;
}
