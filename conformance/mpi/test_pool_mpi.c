/* Suite "PoolMPI": the Pool suite's ordering and error cases on a pool whose workers are MPI
 * ranks (LIBMP_MPI_01 to 10 in conformance/catalogue.md). Run by scripts/conformance-mpi under
 * mpirun; the cases of a rank that dies (LIBMP_MPI_11) and of a hostfile (LIBMP_MPI_12) are runs
 * of their own there. Check runs in CK_NOFORK mode: a forked copy of an MPI process may not
 * use MPI, so each case runs in rank 0 itself, bounded by the script's timeout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi_helpers.h"

START_TEST(LIBMP_MPI_01_map_order)
{
    mp_pool_t *p = mpi_pool(NULL);
    ck_assert_int_eq(mp_pool_processes(p), mp_mpi_size() - 1);
    pid_t ids[64];
    int n = mp_pool_worker_pids(p, ids, 64);
    ck_assert_int_eq(n, mp_mpi_size() - 1);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(ids[i], i + 1); /* a worker's "pid" is its rank */
    mp_obj_t *items = mpi_range(200), *out = NULL;
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        ck_assert_int_eq(mp_pool_map(p, mpi_sqr, items, chunk, &out), 0);
        ck_assert_uint_eq(mp_list_size(out), 200);
        for (long long i = 0; i < 200; i++)
            ck_assert_int_eq(mpi_ll(mp_list_get(out, (size_t)i)), i * i);
        mp_obj_decref(out);
    }
    mp_obj_decref(items);
    mpi_pool_end(p);
}
END_TEST

START_TEST(LIBMP_MPI_02_imap_order)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *items = mpi_range(30), *v;
    mp_imap_t *it;
    ck_assert_int_eq(mp_pool_imap(p, mpi_uneven, items, 1, &it), 0);
    for (long long i = 0; i < 30; i++) {
        ck_assert_int_eq(mp_imap_next(it, MP_FOREVER, &v), 0);
        ck_assert_int_eq(mpi_ll(v), i * i);
        mp_obj_decref(v);
    }
    ck_assert_int_eq(mp_imap_next(it, MP_FOREVER, &v), MP_ESTOP);
    mp_imap_free(it);
    mp_obj_decref(items);
    mp_pool_free(p);
}
END_TEST

START_TEST(LIBMP_MPI_03_imap_unordered_set)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *items = mpi_range(30), *v;
    mp_imap_t *it;
    int seen[30] = {0};
    ck_assert_int_eq(mp_pool_imap_unordered(p, mpi_uneven, items, 1, &it), 0);
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(mp_imap_next(it, MP_FOREVER, &v), 0);
        long long sq = mpi_ll(v), root = 0;
        while (root * root < sq)
            root++;
        ck_assert_int_eq(root * root, sq);
        ck_assert_int_lt(root, 30);
        seen[root]++;
        mp_obj_decref(v);
    }
    ck_assert_int_eq(mp_imap_next(it, MP_FOREVER, &v), MP_ESTOP);
    for (int i = 0; i < 30; i++)
        ck_assert_int_eq(seen[i], 1);
    mp_imap_free(it);
    mp_obj_decref(items);
    mp_pool_free(p);
}
END_TEST

START_TEST(LIBMP_MPI_04_starmap)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *pairs = mp_build("[(ii)(ii)(ii)(ii)]", 1, 2, 3, 4, 5, 6, 7, 8), *out;
    ck_assert_int_eq(mp_pool_starmap(p, mpi_mul, pairs, 0, &out), 0);
    long long want[] = {2, 12, 30, 56};
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(mpi_ll(mp_list_get(out, i)), want[i]);
    mp_obj_decref(out);
    mp_obj_decref(pairs);
    mp_pool_free(p);
}
END_TEST

static int callback_calls;
static void on_result(mp_obj_t *result, void *ctx)
{
    (void)ctx;
    if (mpi_ll(result) == 23)
        __atomic_add_fetch(&callback_calls, 1, __ATOMIC_RELEASE);
}

START_TEST(LIBMP_MPI_05_apply_async_get)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *args = mp_build("(ii)", 3, 2), *kwargs = mp_build("{si}", "scale", 10), *v;
    mp_pool_callbacks_t cb = {on_result, NULL, NULL};
    mp_async_result_t *r;
    ck_assert_int_eq(mp_pool_apply_async(p, mpi_scaled, args, kwargs, &cb, &r), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &v), 0);
    ck_assert_int_eq(mpi_ll(v), 23);
    mp_obj_decref(v);
    int ok = 0;
    ck_assert_int_eq(mp_async_result_successful(r, &ok), 0);
    ck_assert_int_eq(ok, 1);
    mp_async_result_free(r);
    ck_assert_int_eq(mp_pool_apply(p, mpi_scaled, args, NULL, &v), 0);
    ck_assert_int_eq(mpi_ll(v), 5);
    mp_obj_decref(v);
    ck_assert_int_eq(mp_pool_close(p), 0);
    ck_assert_int_eq(mp_pool_join(p), 0); /* the callback ran before join returned */
    ck_assert_int_eq(__atomic_load_n(&callback_calls, __ATOMIC_ACQUIRE), 1);
    mp_obj_decref(args);
    mp_obj_decref(kwargs);
    mp_pool_free(p);
}
END_TEST

START_TEST(LIBMP_MPI_06_task_raises)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *args = mp_build("(s)", "the-key"), *v = NULL;
    mp_async_result_t *r;
    ck_assert_int_eq(mp_pool_apply_async(p, mpi_raise_key, args, NULL, NULL, &r), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &v), MP_ETASK);
    mp_task_error_t e;
    ck_assert_int_eq(mp_async_result_error(r, &e), 0);
    ck_assert_str_eq(e.exc_type, "KeyError");
    ck_assert_str_eq(e.message, "the-key");
    ck_assert_int_ge(e.worker_pid, 1); /* the rank that ran it */
    mp_async_result_free(r);
    mp_obj_decref(args);
    /* The pool goes on: a map after the failure gives every result. */
    mpi_ck_serves(p, 10, 0);
    mp_pool_free(p);
}
END_TEST

START_TEST(LIBMP_MPI_07_unpicklable_result)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *v = NULL;
    mp_async_result_t *r;
    ck_assert_int_eq(mp_pool_apply_async(p, mpi_unpicklable, NULL, NULL, NULL, &r), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &v), MP_EENCODE);
    mp_task_error_t e;
    ck_assert_int_eq(mp_async_result_error(r, &e), 0);
    ck_assert_str_eq(e.exc_type, "MaybeEncodingError");
    ck_assert_ptr_nonnull(strstr(e.message, "Error sending result"));
    mp_async_result_free(r);
    mp_obj_t *seven = mp_build("(i)", 7);
    ck_assert_int_eq(mp_pool_apply(p, mpi_sqr, seven, NULL, &v), 0);
    ck_assert_int_eq(mpi_ll(v), 49);
    mp_obj_decref(v);
    mp_obj_decref(seven);
    mp_pool_free(p);
}
END_TEST

START_TEST(LIBMP_MPI_08_initializer_maxtasks)
{
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.initializer = mpi_init_value;
    o.initargs = mp_build("(i)", 42);
    o.maxtasksperchild = 2;
    mp_pool_t *p = mpi_pool(&o);
    mp_obj_t *items = mpi_range(12), *out;
    ck_assert_int_eq(mp_pool_map(p, mpi_read_init, items, 1, &out), 0);
    for (size_t i = 0; i < 12; i++) {
        long long value;
        int calls;
        ck_assert_int_eq(mp_parse(mp_list_get(out, i), "(Li)", &value, &calls), 0);
        ck_assert_int_eq(value, 42);
        ck_assert_int_le(calls, 2); /* a fresh session on the rank after every two tasks */
    }
    mp_obj_decref(out);
    mp_obj_decref(items);
    mp_obj_decref(o.initargs);
    mpi_pool_end(p);
}
END_TEST

START_TEST(LIBMP_MPI_09_terminate_then_new_pool)
{
    mp_pool_t *p = mpi_pool(NULL);
    mp_obj_t *args = mp_build("(d)", 0.3), *v = NULL;
    mp_async_result_t *r;
    ck_assert_int_eq(mp_pool_apply_async(p, mpi_sleep, args, NULL, NULL, &r), 0);
    ck_assert_int_eq(mp_pool_terminate(p), 0);
    ck_assert_int_eq(mp_async_result_get(r, MP_FOREVER, &v), MP_ECLOSED);
    mp_async_result_free(r);
    mp_obj_decref(args);
    mp_pool_free(p);
    /* terminate() killed the task's server (LIBMP_MPI_14): the ranks serve the next pool. */
    p = mpi_pool(NULL);
    mp_obj_t *nine = mp_build("(i)", 9);
    ck_assert_int_eq(mp_pool_apply(p, mpi_sqr, nine, NULL, &v), 0);
    ck_assert_int_eq(mpi_ll(v), 81);
    mp_obj_decref(v);
    mp_obj_decref(nine);
    mp_pool_free(p);
}
END_TEST

/* The pid written to `path` by mpi_pid_sleep, once the file is there (0 after `seconds`). */
static pid_t pid_in(const char *path, double seconds)
{
    for (double waited = 0; waited < seconds; waited += 0.01) {
        FILE *f = fopen(path, "r");
        int pid = 0;
        if (f) {
            int got = fscanf(f, "%d", &pid);
            fclose(f);
            if (got == 1 && pid > 0)
                return (pid_t)pid;
        }
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return 0;
}

/* Whether `pid` is gone (not even a zombie: its rank reaps it) within `seconds`. */
static int gone_within(pid_t pid, double seconds)
{
    for (double waited = 0; waited < seconds; waited += 0.01) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return 1;
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return 0;
}

/* terminate() kills the process that runs a task on its rank, as the process Pool's terminate()
 * ends its workers: a task of 60 s does not run on after its pool, and the next pool has every
 * rank at once. (The ranks share this host in the suite's runs, so the test sees those pids.) */
START_TEST(LIBMP_MPI_14_terminate_kills_running_tasks)
{
    enum { N = 3 };
    char dir[] = "/tmp/mp-mpi14-XXXXXX", path[N][64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_ge(mp_mpi_size() - 1, N);
    mp_pool_t *p = mpi_pool(NULL);
    mp_async_result_t *r[N];
    pid_t pid[N];
    for (int i = 0; i < N; i++) {
        snprintf(path[i], sizeof path[i], "%s/%d", dir, i);
        mp_obj_t *args = mp_build("(sd)", path[i], 60.0);
        ck_assert_int_eq(mp_pool_apply_async(p, mpi_pid_sleep, args, NULL, NULL, &r[i]), 0);
        mp_obj_decref(args);
    }
    for (int i = 0; i < N; i++) {
        pid[i] = pid_in(path[i], 20);
        ck_assert_msg(pid[i] > 0, "task %d did not start within 20 s", i);
    }
    ck_assert_int_eq(mp_pool_terminate(p), 0);
    for (int i = 0; i < N; i++) {
        mp_obj_t *v = NULL;
        ck_assert_int_eq(mp_async_result_get(r[i], MP_FOREVER, &v), MP_ECLOSED);
        mp_async_result_free(r[i]);
    }
    mp_pool_free(p);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(gone_within(pid[i], 10), "task %d (pid %d) runs 10 s after terminate()", i,
                      (int)pid[i]);
        unlink(path[i]);
    }
    rmdir(dir);
    p = mpi_pool(NULL);
    mpi_ck_serves(p, N, 1);
    mpi_pool_end(p);
}
END_TEST

static void nothing(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs, (void)ctx;
}

START_TEST(LIBMP_MPI_10_refusals)
{
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    ck_assert_int_eq(mp_mpi_context(&o.context), 0);
    ck_assert_str_eq(mp_context_start_method(o.context), "mpi");
    o.processes = mp_mpi_size(); /* one more than there are worker ranks */
    mp_pool_t *p = NULL;
    ck_assert_int_eq(mp_pool_new(&p, &o), MP_EINVAL);
    ck_assert_ptr_null(p);
    /* Two pools at once would share ranks: the second is refused, not queued. */
    p = mpi_pool(NULL);
    mp_pool_t *q = NULL;
    ck_assert_int_eq(
        mp_pool_new(&q, &(mp_pool_opts_t){MP_POOL_DEFAULT, NULL, NULL, MP_POOL_DEFAULT, o.context}),
        MP_EBUSY);
    mp_pool_free(p);
    /* The context starts Pool workers only. */
    mp_process_t *proc = NULL;
    mp_process_opts_t po = MP_PROCESS_OPTS_INIT;
    po.context = o.context;
    ck_assert_int_eq(mp_process_new(&proc, nothing, NULL, &po), 0);
    ck_assert_int_eq(mp_process_start(proc), MP_EINVAL);
    mp_process_free(proc);
}
END_TEST

/* A task that ends its server (SIGKILL, as a crash would; _exit(3); _exit(0)) fails its call
 * with MP_EWORKERLOST naming how, and the pool goes on with a new server on that rank: the rank
 * itself lives, so Open MPI has nothing to abort. */
START_TEST(LIBMP_MPI_13_task_kills_its_server)
{
    static const int hows[] = {-1, 3, 0};
    static const char *const said[] = {"SIGKILL", "exited with code 3", "exited with code 0"};
    mp_pool_t *p = mpi_pool(NULL);
    for (size_t i = 0; i < sizeof hows / sizeof *hows; i++) {
        mp_obj_t *items = mp_build("[i]", hows[i]), *v = NULL;
        ck_assert_int_eq(mp_pool_map(p, mpi_die, items, 1, &v), MP_EWORKERLOST);
        ck_assert_msg(strstr(mp_errmsg(), said[i]) != NULL, "%s: %s", said[i], mp_errmsg());
        mp_obj_decref(items);
        mpi_ck_serves(p, 30, 1);
    }
    mpi_pool_end(p);
}
END_TEST

Suite *mp_suite_pool_mpi(void)
{
    Suite *s = suite_create("PoolMPI");
    TCase *tc = tcase_create("mpi");
    tcase_add_test(tc, LIBMP_MPI_01_map_order);
    tcase_add_test(tc, LIBMP_MPI_02_imap_order);
    tcase_add_test(tc, LIBMP_MPI_03_imap_unordered_set);
    tcase_add_test(tc, LIBMP_MPI_04_starmap);
    tcase_add_test(tc, LIBMP_MPI_05_apply_async_get);
    tcase_add_test(tc, LIBMP_MPI_06_task_raises);
    tcase_add_test(tc, LIBMP_MPI_07_unpicklable_result);
    tcase_add_test(tc, LIBMP_MPI_08_initializer_maxtasks);
    tcase_add_test(tc, LIBMP_MPI_09_terminate_then_new_pool);
    tcase_add_test(tc, LIBMP_MPI_10_refusals);
    tcase_add_test(tc, LIBMP_MPI_13_task_kills_its_server);
    tcase_add_test(tc, LIBMP_MPI_14_terminate_kills_running_tasks);
    suite_add_tcase(s, tc);
    return s;
}
