/* Suite "Process" (CPython's _TestProcess and _TestSubclassingProcess): the PROC ids of the
 * catalogue (docs/pages/spec.md), lifecycle, join and exit codes. Each test's name starts with
 * the catalogue id it checks. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "process_helpers.h"

/* Returns at once: the child ends with 0 because its target returned. */
static void proc_nothing(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
}
MP_TARGET(proc_nothing);

/* Sleeps args[0] seconds, then returns (exit code 0). */
static int proc_sleep_for(mp_obj_t *a)
{
    sleep_s(arg_double(a, 0));
    return 0;
}
JOB(proc_sleep_for);

/* Ends with the exit code args[0] (mp_exit, as sys.exit(n)). */
static int proc_exit_with(mp_obj_t *a)
{
    return (int)arg_long(a, 0);
}
JOB(proc_exit_with);

static mp_process_t *start_sleeper(double seconds)
{
    return GO(proc_sleep_for, mp_build("(d)", seconds));
}

static mp_process_t *start_exit(int code)
{
    return GO(proc_exit_with, mp_build("(i)", code));
}

static int in_active_children(mp_process_t *p)
{
    mp_process_t *buf[64];
    int n = mp_active_children(buf, 64);
    for (int i = 0; i < n && i < 64; i++)
        if (buf[i] == p)
            return 1;
    return 0;
}

static void stop(mp_process_t *p)
{
    mp_process_kill(p);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_free(p), 0);
}

START_TEST(PROC_01_fresh_object)
{
    mp_process_t *p;
    int code;
    ck_assert_mp(mp_process_new(&p, proc_nothing, NULL, NULL), 0);
    ck_assert_int_eq(mp_process_pid(p), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), MP_EAGAIN);
    ck_assert_int_eq(mp_process_is_alive(p), 0);
    ck_assert(!in_active_children(p));
    ck_assert_int_eq(mp_process_daemon(p), 0);
    ck_assert_mp(mp_process_free(p), 0);
}
END_TEST

START_TEST(PROC_02_started)
{
    mp_process_t *p = start_sleeper(5.0);
    int code;
    ck_assert_int_eq(mp_process_is_alive(p), 1);
    ck_assert_mp(mp_process_exitcode(p, &code), MP_EAGAIN);
    ck_assert(in_active_children(p));
    ck_assert_int_gt(mp_process_pid(p), 0);
    ck_assert_int_ne(mp_process_pid(p), getpid());
    stop(p);
}
END_TEST

/* kwargs without its "report" item (the channel the test added to reach this child), in
 * order: what the test gave, to compare. */
static mp_obj_t *kwargs_without_report(mp_obj_t *k)
{
    size_t n = mp_dict_size(k), m = 0;
    mp_obj_t *keys[8], *values[8];
    for (size_t i = 0; i < n && m < 8; i++) {
        const char *name = NULL;
        mp_dict_item(k, i, &keys[m], &values[m]);
        if (mp_parse(keys[m], "s", &name) != 0 || strcmp(name, "report") != 0)
            m++;
    }
    return mp_dict_new(m, keys, values);
}

/* The child checks what it received and reports it; the parent compares. The report channel
 * comes in kwargs, the one place where the test can add it without changing the args under
 * test (a tuple, a list, none). */
static void proc_args(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)ctx;
    mp_conn_t *c = NULL;
    mp_obj_as_conn(mp_dict_get_str(k, "report"), &c);
    report_t r = {-1, c ? mp_conn_fileno(c) : -1};
    mp_obj_t *given = kwargs_without_report(k);
    char *ra = mp_repr(a), *rk = mp_repr(given);
    const unsigned char *key = mp_process_authkey(mp_current_process());
    report(&r, "args=%s kwargs=%s name=%s pid=%d key=%02x%02x%02x%02x", ra, rk,
           mp_process_name(mp_current_process()), (int)getpid(), key[0], key[1], key[30], key[31]);
    free(ra);
    free(rk);
    mp_obj_decref(given);
}
MP_TARGET(proc_args);

static void check_args(mp_obj_t *args, const char *expect_args)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.kwargs = mp_build("{s:i,s:s,s:N}", "x", 1, "y", "z", "report", chan_obj(&r));
    ck_assert_ptr_nonnull(o.kwargs);
    ck_assert_mp(mp_process_new(&p, proc_args, args, &o), 0);
    mp_obj_decref(o.kwargs);
    ck_assert_mp(mp_process_start(p), 0);
    ck_assert_mp(mp_process_join(p, 5), 0);
    char *got = chan_collect(&r, 5);
    const unsigned char *key = mp_process_authkey(mp_current_process());
    char want[512];
    snprintf(want, sizeof want,
             "args=%s kwargs={'x': 1, 'y': 'z'} name=%s pid=%d key=%02x%02x%02x%02x\n", expect_args,
             mp_process_name(p), (int)mp_process_pid(p), key[0], key[1], key[30], key[31]);
    ck_assert_str_eq(got, want);
    free(got);
    chan_close(&r);
    ck_assert_mp(mp_process_free(p), 0);
}

START_TEST(PROC_03_args_kwargs_name_pid_authkey)
{
    mp_obj_t *tuple = mp_build("(is[i])", 1, "two", 3);
    mp_obj_t *list = mp_build("[is]", 1, "two");
    check_args(tuple, "(1, 'two', [3])");
    check_args(list, "(1, 'two')"); /* a list is accepted and made a tuple, as tuple(args) */
    check_args(NULL, "()");
    mp_obj_decref(tuple);
    mp_obj_decref(list);
    mp_obj_t *bad = mp_build("i", 3);
    mp_process_t *p;
    ck_assert_mp(mp_process_new(&p, proc_nothing, bad, NULL), MP_EINVAL);
    mp_obj_decref(bad);
}
END_TEST

START_TEST(PROC_04_after_join)
{
    mp_process_t *p = go_args(proc_nothing, mp_build("()"), 0);
    int code = -1;
    ck_assert_mp(mp_process_join(p, MP_FOREVER), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 0);
    ck_assert_int_eq(mp_process_is_alive(p), 0);
    ck_assert(!in_active_children(p));
    ck_assert_mp(mp_process_free(p), 0);
}
END_TEST

static int proc_name_children(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    mp_process_t *c1, *c2;
    mp_process_new(&c1, proc_nothing, NULL, NULL);
    mp_process_new(&c2, proc_nothing, NULL, NULL);
    report(&r, "%s %s %s", mp_process_name(mp_current_process()), mp_process_name(c1),
           mp_process_name(c2));
    return 0;
}
JOB(proc_name_children);

START_TEST(PROC_06_nested_default_names)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(proc_name_children, mp_build("(N)", chan_obj(&r)));
    ck_assert_mp(mp_process_join(p, 5), 0);
    char *got = chan_collect(&r, 5);
    char want[128];
    const char *n = mp_process_name(p);
    ck_assert_int_eq(strncmp(n, "Process-", 8), 0);
    snprintf(want, sizeof want, "%s %s:1 %s:2\n", n, n, n);
    ck_assert_str_eq(got, want);
    free(got);
    chan_close(&r);
    mp_process_free(p);
}
END_TEST

START_TEST(PROC_07_names)
{
    mp_process_t *a, *b, *c;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.name = "worker";
    ck_assert_mp(mp_process_new(&a, NULL, NULL, &o), 0);
    ck_assert_str_eq(mp_process_name(a), "worker");
    o.name = "";
    ck_assert_mp(mp_process_new(&b, NULL, NULL, &o), 0);
    ck_assert_int_eq(strncmp(mp_process_name(b), "Process-", 8), 0);
    /* The counter was consumed by `a` even though it has an explicit name. */
    ck_assert_mp(mp_process_new(&c, NULL, NULL, NULL), 0);
    int nb = atoi(mp_process_name(b) + 8), nc = atoi(mp_process_name(c) + 8);
    ck_assert_int_eq(nc, nb + 1);
    ck_assert_mp(mp_process_set_name(a, NULL), MP_EINVAL);
    ck_assert_str_eq(mp_process_name(a), "worker");
    ck_assert_mp(mp_process_set_name(a, "renamed"), 0);
    ck_assert_str_eq(mp_process_name(a), "renamed");
    mp_process_free(a);
    mp_process_free(b);
    mp_process_free(c);
}
END_TEST

START_TEST(PROC_08_start_twice)
{
    mp_process_t *p = start_sleeper(5.0);
    ck_assert_mp(mp_process_start(p), MP_ESTATE);
    ck_assert_str_eq(mp_errmsg(), "cannot start a process twice");
    ck_assert_int_eq(mp_active_children(NULL, 0), 1);
    stop(p);
}
END_TEST

START_TEST(PROC_09_join_before_start)
{
    mp_process_t *p;
    ck_assert_mp(mp_process_new(&p, proc_nothing, NULL, NULL), 0);
    ck_assert_mp(mp_process_join(p, MP_FOREVER), MP_ESTATE);
    ck_assert_str_eq(mp_errmsg(), "can only join a started process");
    ck_assert_mp(mp_process_join(p, NAN), MP_EINVAL);
    mp_process_free(p);
}
END_TEST

START_TEST(PROC_11_join_blocks)
{
    mp_process_t *p = start_sleeper(0.5);
    double t0 = now_s();
    ck_assert_mp(mp_process_join(p, MP_FOREVER), 0);
    ck_assert_elapsed(now_s() - t0, 0.5);
    int code;
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 0);
    mp_process_free(p);
}
END_TEST

START_TEST(PROC_12_join_timeout)
{
    mp_process_t *p = start_sleeper(5.0);
    int code;
    double t0 = now_s();
    ck_assert_mp(mp_process_join(p, 0.3), MP_ETIMEDOUT);
    ck_assert_elapsed(now_s() - t0, 0.3);
    ck_assert_mp(mp_process_exitcode(p, &code), MP_EAGAIN);
    ck_assert_int_eq(mp_process_is_alive(p), 1);
    stop(p);
}
END_TEST

START_TEST(PROC_13_join_zero_and_negative)
{
    mp_process_t *p = start_sleeper(5.0);
    double t0 = now_s();
    ck_assert_mp(mp_process_join(p, 0), MP_ETIMEDOUT);
    ck_assert_mp(mp_process_join(p, -1), MP_ETIMEDOUT);
    ck_assert_immediate(now_s() - t0);
    ck_assert_int_eq(mp_process_is_alive(p), 1);
    stop(p);
}
END_TEST

START_TEST(PROC_14_join_again)
{
    mp_process_t *p = go_args(proc_nothing, mp_build("()"), 0);
    ck_assert_mp(mp_process_join(p, MP_FOREVER), 0);
    double t0 = now_s();
    for (int i = 0; i < 5; i++)
        ck_assert_mp(mp_process_join(p, i % 2 ? 0.5 : MP_FOREVER), 0);
    ck_assert_immediate(now_s() - t0);
    mp_process_free(p);
}
END_TEST

START_TEST(PROC_16_kill_and_terminate_codes)
{
    int code;
    mp_process_t *p = start_sleeper(5.0);
    ck_assert_mp(mp_process_kill(p), 0);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, -SIGKILL);
    mp_process_free(p);
    p = start_sleeper(5.0);
    ck_assert_mp(mp_process_terminate(p), 0);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, -SIGTERM);
    char repr[256];
    mp_process_repr(p, repr, sizeof repr);
    ck_assert_msg(strstr(repr, " stopped exitcode=-SIGTERM>") != NULL, "repr: %s", repr);
    mp_process_free(p);
}
END_TEST

START_TEST(PROC_17_terminate_after_reap)
{
    int code;
    mp_process_t *p = start_exit(7);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_terminate(p), 0);
    ck_assert_mp(mp_process_kill(p), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 7);
    mp_process_free(p);
    ck_assert_mp(mp_process_new(&p, proc_nothing, NULL, NULL), 0);
    ck_assert_mp(mp_process_terminate(p), MP_ESTATE); /* not AttributeError (deviations.md) */
    mp_process_free(p);
}
END_TEST

static report_t cleanup_report; /* the child's: atexit handlers take no argument */
static void cleanup_handler(void)
{
    report(&cleanup_report, "cleanup ran");
}

static int proc_cleanup_then_sleep(mp_obj_t *a)
{
    cleanup_report = arg_report(a, 0);
    atexit(cleanup_handler);
    report(&cleanup_report, "ready");
    sleep_s(5);
    return 0;
}
JOB(proc_cleanup_then_sleep);

START_TEST(PROC_18_terminate_skips_cleanup)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(proc_cleanup_then_sleep, mp_build("(N)", chan_obj(&r)));
    char line[64];
    chan_drop_writer(&r);
    report_line(&r.r, line, sizeof line, 5);
    ck_assert_str_eq(line, "ready");
    ck_assert_mp(mp_process_terminate(p), 0);
    ck_assert_mp(mp_process_join(p, 5), 0);
    char *rest = chan_collect(&r, 2);
    ck_assert_str_eq(rest, ""); /* EOF with nothing: the atexit handler never ran */
    free(rest);
    chan_close(&r);
    mp_process_free(p);
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
}

/* PEP 475: a signal with a handler does not break a blocking join. */
START_TEST(LIBMP_03_join_survives_signals)
{
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: ppoll sees EINTR */
    sigaction(SIGALRM, &sa, NULL);
    mp_process_t *p = start_sleeper(0.5);
    struct itimerval it = {{0, 50000}, {0, 50000}}; /* SIGALRM every 50 ms */
    setitimer(ITIMER_REAL, &it, NULL);
    double t0 = now_s();
    int rc = mp_process_join(p, MP_FOREVER);
    double took = now_s() - t0;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    ck_assert_mp(rc, 0);
    ck_assert_elapsed(took, 0.5);
    mp_process_free(p);
    setitimer(ITIMER_REAL, &it, NULL);
    p = start_sleeper(5.0);
    t0 = now_s();
    rc = mp_process_join(p, 0.3); /* a timed join keeps its deadline across signals */
    took = now_s() - t0;
    setitimer(ITIMER_REAL, &off, NULL);
    ck_assert_mp(rc, MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.3);
    stop(p);
}
END_TEST

/* A program that sets SIGCHLD to SIG_IGN lets the kernel reap its children: the exit code is
 * gone, and libmp says so instead of hanging or inventing one. Under forkserver the child is
 * the server's, not ours: our SIGCHLD disposition cannot take its status. */
START_TEST(LIBMP_04_status_taken_elsewhere)
{
    OWN_CHILDREN_ONLY();
    signal(SIGCHLD, SIG_IGN);
    int code = 1000;
    mp_process_t *p = start_exit(7);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), MP_ECHILD);
    ck_assert_int_eq(code, 1000);
    ck_assert_int_eq(mp_process_is_alive(p), 0);
    signal(SIGCHLD, SIG_DFL);
    mp_process_free(p);
}
END_TEST

static void *join_in_thread(void *arg)
{
    return (void *)(intptr_t)mp_process_join(arg, 5);
}

/* Two threads joining one child: both see it end, and the exit code survives the race. */
START_TEST(LIBMP_06_concurrent_joins)
{
    for (int round = 0; round < 20; round++) {
        int code = 0;
        mp_process_t *p = start_exit(7);
        pthread_t a, b;
        void *ra, *rb;
        pthread_create(&a, NULL, join_in_thread, p);
        pthread_create(&b, NULL, join_in_thread, p);
        pthread_join(a, &ra);
        pthread_join(b, &rb);
        ck_assert_int_eq((int)(intptr_t)ra, 0);
        ck_assert_int_eq((int)(intptr_t)rb, 0);
        ck_assert_mp(mp_process_exitcode(p, &code), 0);
        ck_assert_int_eq(code, 7);
        mp_process_free(p);
    }
}
END_TEST

/* The NULL policy of errors.h for every call of process.h: a NULL handle or out-pointer is
 * refused with MP_EINVAL (or the "none" value process.h gives) and a message naming the call;
 * mp_process_free(NULL) does nothing. mp_exit_msg() and mp_raise() never return: their NULL
 * cases are LIBMP_PROC_NULL_exit_msg_and_raise in test_process_tree.c. */
#define ck_assert_refused(call, code, fn)                                                          \
    do {                                                                                           \
        ck_assert_mp(call, code);                                                                  \
        ck_assert_msg(strncmp(mp_errmsg(), fn ": ", strlen(fn) + 2) == 0,                          \
                      "%s: message '%s' does not name " fn, #call, mp_errmsg());                   \
    } while (0)

START_TEST(LIBMP_PROC_NULL_every_call)
{
    mp_process_t *p;
    int code = 0;
    char buf[128];
    ck_assert_refused(mp_process_new(NULL, proc_nothing, NULL, NULL), MP_EINVAL, "mp_process_new");
    ck_assert_refused(mp_process_init(NULL, NULL, NULL), MP_EINVAL, "mp_process_init");
    ck_assert_refused(mp_process_start(NULL), MP_EINVAL, "mp_process_start");
    ck_assert_refused(mp_process_join(NULL, 0), MP_EINVAL, "mp_process_join");
    ck_assert_refused(mp_process_is_alive(NULL), MP_EINVAL, "mp_process_is_alive");
    ck_assert_refused(mp_process_terminate(NULL), MP_EINVAL, "mp_process_terminate");
    ck_assert_refused(mp_process_kill(NULL), MP_EINVAL, "mp_process_kill");
    ck_assert_refused(mp_process_close(NULL), MP_EINVAL, "mp_process_close");
    ck_assert_refused(mp_process_exitcode(NULL, &code), MP_EINVAL, "mp_process_exitcode");
    ck_assert_refused(mp_process_set_name(NULL, "x"), MP_EINVAL, "mp_process_set_name");
    ck_assert_refused((int)mp_process_pid(NULL), MP_EINVAL, "mp_process_pid");
    ck_assert_refused(mp_process_set_daemon(NULL, 1), MP_EINVAL, "mp_process_set_daemon");
    ck_assert_refused(mp_process_sentinel(NULL), MP_EINVAL, "mp_process_sentinel");
    ck_assert_refused(mp_process_repr(NULL, buf, sizeof buf), MP_EINVAL, "mp_process_repr");
    /* The calls that return no code give their "none" value and set the same message. */
    ck_assert_refused(mp_process_name(NULL) == NULL ? 0 : -1, 0, "mp_process_name");
    ck_assert_refused(mp_process_daemon(NULL), 0, "mp_process_daemon");
    ck_assert_refused(mp_process_authkey(NULL) == NULL ? 0 : -1, 0, "mp_process_authkey");
    mp_process_run(NULL);
    ck_assert_refused(0, 0, "mp_process_run");
    ck_assert_mp(mp_process_free(NULL), 0);
    /* A NULL out-pointer or argument next to a valid handle. */
    ck_assert_mp(mp_process_new(&p, proc_nothing, NULL, NULL), 0);
    ck_assert_refused(mp_process_exitcode(p, NULL), MP_EINVAL, "mp_process_exitcode");
    ck_assert_refused(mp_process_set_name(p, NULL), MP_EINVAL, "mp_process_set_name");
    ck_assert_refused(mp_process_repr(p, NULL, sizeof buf), MP_EINVAL, "mp_process_repr");
    /* What is not NULL-refused: a length query, and counting the children without a buffer. */
    ck_assert_int_eq(mp_process_repr(p, NULL, 0), mp_process_repr(p, buf, sizeof buf));
    ck_assert_int_ge(mp_active_children(NULL, 0), 0);
    ck_assert_mp(mp_process_free(p), 0);
}
END_TEST

TCase *mp_tcase_process_tree(void);
TCase *mp_tcase_process_threads(void);
TCase *mp_tcase_process_targets(void);

Suite *mp_suite_process(void)
{
    Suite *s = suite_create("Process");
    TCase *tc = mp_tcase("lifecycle", 20);
    tcase_add_test(tc, PROC_01_fresh_object);
    tcase_add_test(tc, PROC_02_started);
    tcase_add_test(tc, PROC_03_args_kwargs_name_pid_authkey);
    tcase_add_test(tc, PROC_04_after_join);
    tcase_add_test(tc, PROC_06_nested_default_names);
    tcase_add_test(tc, PROC_07_names);
    tcase_add_test(tc, PROC_08_start_twice);
    tcase_add_test(tc, PROC_09_join_before_start);
    tcase_add_test(tc, PROC_11_join_blocks);
    tcase_add_test(tc, PROC_12_join_timeout);
    tcase_add_test(tc, PROC_13_join_zero_and_negative);
    tcase_add_test(tc, PROC_14_join_again);
    tcase_add_test(tc, PROC_16_kill_and_terminate_codes);
    tcase_add_test(tc, PROC_17_terminate_after_reap);
    tcase_add_test(tc, PROC_18_terminate_skips_cleanup);
    tcase_add_test(tc, LIBMP_03_join_survives_signals);
    tcase_add_test(tc, LIBMP_04_status_taken_elsewhere);
    tcase_add_test(tc, LIBMP_06_concurrent_joins);
    tcase_add_test(tc, LIBMP_PROC_NULL_every_call);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, mp_tcase_process_tree());
    suite_add_tcase(s, mp_tcase_process_threads());
    suite_add_tcase(s, mp_tcase_process_targets());
    return s;
}
