/* Suite "Daemon": the DMN ids of the catalogue (docs/pages/spec.md), the daemon flag and exit
 * processing, plus libmp's deviation (docs/pages/deviations.md): a daemon never outlives a
 * parent that died abnormally.
 *
 * Exit processing is seen from outside: a "scenario" process (a plain fork of the test
 * process, as a program's main process would be) starts children and exits; the children
 * report on a pipe, with CLOCK_MONOTONIC times, what happened to them and when. The scenario
 * is the program under test, not one of its children, so it stays a plain fork under every
 * start method; its children are started with the method the suites run under, and get the
 * pipes as Connection handles in their arguments (process_helpers.h). */
#include <signal.h>
#include <sys/wait.h>

#include "process_helpers.h"

struct scene {
    chan_t *out;     /* what the test reads */
    chan_t *ready;   /* children say "ready" here once their signal handling is in place */
    int ignore_term; /* the daemon ignores SIGTERM */
};

static report_t term_report;

static void on_term(int sig)
{
    report(&term_report, "TERM %d %.6f", sig, now_s());
    _exit(0);
}

/* A child that reports SIGTERM (or ignores it), sleeps, and says whether it finished. args:
 * (out, ready, seconds to sleep, ignore SIGTERM). */
static int dmn_sleeper(mp_obj_t *a)
{
    term_report = arg_report(a, 0);
    report_t ready = arg_report(a, 1);
    signal(SIGTERM, arg_long(a, 3) ? SIG_IGN : on_term);
    report(&ready, "ready");
    sleep_s(arg_double(a, 2));
    report(&term_report, "%s finished %.6f", mp_process_daemon(mp_current_process()) ? "D" : "N",
           now_s());
    return 0;
}
JOB(dmn_sleeper);

static mp_process_t *start_child(struct scene *s, int daemon, double sleep)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.daemon = daemon;
    mp_obj_t *args =
        mp_build("(NNdi)", chan_obj(s->out), chan_obj(s->ready), sleep, s->ignore_term);
    int rc = args ? mp_process_new(&p, dmn_sleeper__job, args, &o) : -1;
    if (args)
        mp_obj_decref(args);
    if (rc < 0 || mp_process_start(p) < 0)
        return NULL;
    /* Kept for the program's lifetime, as a script keeps its Process objects: exit processing
     * still refers to them (and a leak checker sees them as reachable). */
    static mp_process_t *kept[128];
    static size_t nkept;
    if (nkept < sizeof kept / sizeof *kept)
        kept[nkept++] = p;
    char line[16];
    report_line(&s->ready->r, line, sizeof line, 5);
    return p;
}

/* Runs `body` in a plain forked process that then leaves with exit(code), as a main program
 * would: libmp's atexit handler does the exit processing. */
static pid_t scenario(void (*body)(struct scene *), struct scene *s, int code)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        body(s);
        report(&s->out->r, "end %.6f", now_s());
        if (code < 0) { /* an uncaught exception in the main program */
            dup2(s->out->r.wr, 2);
            mp_raise("RuntimeError", "boom");
        }
        exit(code);
    }
    return pid;
}

static double field_time(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    return at ? atof(at + strlen(prefix)) : -1;
}

static int wait_status(pid_t pid, double *when)
{
    int st = pid_wait(pid);
    *when = now_s();
    return st;
}

static void body_daemon(struct scene *s)
{
    start_child(s, 1, 10);
}

static void body_both(struct scene *s)
{
    start_child(s, 1, 10);
    start_child(s, 0, 1.0);
}

static void body_ignoring_daemon(struct scene *s)
{
    s->ignore_term = 1;
    start_child(s, 1, 1.5);
}

/* Runs one scenario and returns everything reported, with the scenario's exit status. */
static char *run_scene(void (*body)(struct scene *), int code, int *status, double *exit_at)
{
    chan_t out, ready;
    chan_open(&out);
    chan_open(&ready);
    struct scene s = {&out, &ready, 0};
    pid_t pid = scenario(body, &s, code);
    ck_assert_int_gt(pid, 0);
    chan_drop_writer(&ready);
    char *text = chan_collect(&out, 10);
    *status = wait_status(pid, exit_at);
    chan_close(&out);
    chan_close(&ready);
    return text;
}

START_TEST(DMN_01_default_and_inherit)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    ck_assert_mp(mp_process_new(&p, NULL, NULL, NULL), 0);
    ck_assert_int_eq(mp_process_daemon(p), 0); /* inherited from MainProcess */
    mp_process_free(p);
    o.daemon = 1;
    ck_assert_mp(mp_process_new(&p, NULL, NULL, &o), 0);
    ck_assert_int_eq(mp_process_daemon(p), 1);
    ck_assert_mp(mp_process_set_daemon(p, 0), 0);
    ck_assert_int_eq(mp_process_daemon(p), 0);
    ck_assert_mp(mp_process_start(p), 0);
    ck_assert_mp(mp_process_set_daemon(p, 1), MP_ESTATE);
    ck_assert_str_eq(mp_errmsg(), "process has already started");
    ck_assert_mp(mp_process_join(p, 5), 0);
    mp_process_free(p);
}
END_TEST

static int dmn_in_daemon(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    mp_process_t *c, *d;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    mp_process_new(&c, NULL, NULL, NULL);
    o.daemon = 0;
    mp_process_new(&d, NULL, NULL, &o);
    int s1 = mp_process_start(c), s2 = mp_process_start(d);
    report(&r, "me=%d new=%d start=%s,%s children=%d", mp_process_daemon(mp_current_process()),
           mp_process_daemon(c), mp_err_name(s1), mp_err_name(s2), mp_active_children(NULL, 0));
    return 0; /* the daemon keeps running after the refusal and ends normally */
}
JOB(dmn_in_daemon);

START_TEST(DMN_03_04_inside_a_daemon)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO_DAEMON(dmn_in_daemon, mp_build("(N)", chan_obj(&r)));
    ck_assert_mp(mp_process_join(p, 5), 0);
    int code;
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 0);
    char *got = chan_collect(&r, 5);
    ck_assert_str_eq(got, "me=1 new=1 start=MP_EDAEMON,MP_EDAEMON children=0\n");
    free(got);
    chan_close(&r);
    mp_process_free(p);
}
END_TEST

/* In a daemon child: Pool() fails as start() does (MP_EDAEMON), and no worker exists. */
static int dmn_pool_in_daemon(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    mp_pool_t *pool = NULL;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = 2;
    int rc = mp_pool_new(&pool, &o);
    report(&r, "pool=%s children=%d", mp_err_name(rc), mp_active_children(NULL, 0));
    if (rc == 0)
        mp_pool_free(pool);
    return 0;
}
JOB(dmn_pool_in_daemon);

START_TEST(DMN_05_pool_inside_a_daemon)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO_DAEMON(dmn_pool_in_daemon, mp_build("(N)", chan_obj(&r)));
    ck_assert_int_eq(child_exit_code(p, 10), 0);
    char *got = chan_collect(&r, 5);
    ck_assert_str_eq(got, "pool=MP_EDAEMON children=0\n");
    free(got);
    chan_close(&r);
}
END_TEST

START_TEST(DMN_06_daemon_terminated_at_exit)
{
    int st;
    double exit_at;
    char *text = run_scene(body_daemon, 0, &st, &exit_at);
    double end = field_time(text, "end "), term = field_time(text, "TERM 15 ");
    ck_assert_msg(end > 0 && term > 0, "reports: %s", text);
    ck_assert_msg(term - end >= 0 && term - end < 0.1 * time_scale(),
                  "SIGTERM %.3f s after the end", term - end);
    ck_assert_msg(!strstr(text, "finished"), "the daemon finished its sleep: %s", text);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(text);
}
END_TEST

START_TEST(DMN_08_daemons_before_siblings)
{
    int st;
    double exit_at;
    char *text = run_scene(body_both, 0, &st, &exit_at);
    double end = field_time(text, "end "), term = field_time(text, "TERM 15 ");
    double sibling = field_time(text, "N finished ");
    ck_assert_msg(end > 0 && term > 0 && sibling > 0, "reports: %s", text);
    ck_assert_msg(term - end < 0.1 * time_scale(), "daemon's SIGTERM %.3f s after the end",
                  term - end);
    ck_assert_msg(term < sibling, "the daemon was terminated after the sibling finished");
    ck_assert_msg(exit_at >= sibling, "the parent did not wait for its non-daemon child");
    free(text);
}
END_TEST

START_TEST(DMN_09_daemon_ignoring_sigterm_delays_exit)
{
    int st;
    double exit_at;
    char *text = run_scene(body_ignoring_daemon, 0, &st, &exit_at);
    double end = field_time(text, "end ");
    ck_assert_msg(end > 0, "reports: %s", text);
    ck_assert_msg(strstr(text, "D finished"), "the daemon did not finish: %s", text);
    ck_assert_elapsed(exit_at - end, 1.5);
    free(text);
}
END_TEST

START_TEST(DMN_10_exit_status_kept)
{
    int st;
    double exit_at;
    char *text = run_scene(body_both, 5, &st, &exit_at);
    ck_assert_msg(strstr(text, "TERM 15 ") && strstr(text, "N finished"), "reports: %s", text);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 5);
    free(text);
    text = run_scene(body_both, -1, &st, &exit_at);
    ck_assert_msg(strstr(text, "TERM 15 ") && strstr(text, "N finished"), "reports: %s", text);
    ck_assert_msg(strstr(text, "\nRuntimeError: boom\n"), "no traceback: %s", text);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 1);
    free(text);
}
END_TEST

enum { NO_END = 64 }; /* an argument position no child has: that end is missing */

/* A chan_t made of the ends a child received: the Connections belong to its arguments. */
static chan_t arg_chan(mp_obj_t *a, size_t rd, size_t wr)
{
    chan_t c = {arg_conn(a, rd), arg_conn(a, wr), {-1, -1}};
    c.r.rd = c.rd ? mp_conn_fileno(c.rd) : -1;
    c.r.wr = c.wr ? mp_conn_fileno(c.wr) : -1;
    return c;
}

/* The non-daemon child C owns a daemonic grandchild G; C's run() returns. args: (out's write
 * end, ready's read and write ends): C starts G as a scenario does, and waits for its "ready". */
static int dmn_owner(mp_obj_t *a)
{
    chan_t out = arg_chan(a, NO_END, 0), ready = arg_chan(a, 1, 2);
    struct scene s = {&out, &ready, 0};
    start_child(&s, 1, 10);
    report(&out.r, "end %.6f", now_s());
    return 0;
}
JOB(dmn_owner);

START_TEST(DMN_11_rule_applies_one_level_down)
{
    chan_t out, ready;
    chan_open(&out);
    chan_open(&ready);
    mp_process_t *c =
        GO(dmn_owner, mp_build("(NNN)", chan_obj(&out), chan_rd_obj(&ready), chan_obj(&ready)));
    chan_drop_writer(&ready);
    ck_assert_mp(mp_process_join(c, 5), 0);
    char *text = chan_collect(&out, 5);
    double end = field_time(text, "end "), term = field_time(text, "TERM 15 ");
    ck_assert_msg(end > 0 && term > 0 && term - end < 0.1 * time_scale(), "reports: %s", text);
    free(text);
    chan_close(&out);
    chan_close(&ready);
    mp_process_free(c);
}
END_TEST

START_TEST(DMN_13_side_channel_carries_sigterm)
{
    int st;
    double exit_at;
    char *text = run_scene(body_daemon, 0, &st, &exit_at);
    int sig = 0;
    const char *at = strstr(text, "TERM ");
    ck_assert_msg(at && sscanf(at, "TERM %d", &sig) == 1, "reports: %s", text);
    ck_assert_int_eq(sig, SIGTERM);
    free(text);
}
END_TEST

/* ---- libmp's deviation: no orphaned daemons ------------------------------------------------- */

static void body_report_pids(struct scene *s)
{
    mp_process_t *d = start_child(s, 1, 30), *n = start_child(s, 0, 30);
    report(&s->out->r, "pids %d %d", (int)mp_process_pid(d), (int)mp_process_pid(n));
    sleep_s(30);
}

/* The scenario reports its children's pids, then dies by `sig` without any exit processing. */
static void check_no_orphan(int sig)
{
    chan_t out, ready;
    chan_open(&out);
    chan_open(&ready);
    struct scene s = {&out, &ready, 0};
    pid_t pid = scenario(body_report_pids, &s, 0);
    chan_drop_writer(&ready);
    char line[64];
    int d = 0, n = 0;
    report_line(&out.r, line, sizeof line, 5);
    ck_assert_msg(sscanf(line, "pids %d %d", &d, &n) == 2, "report: %s", line);
    kill(pid, sig);
    double when;
    int st = wait_status(pid, &when);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig);
    int daemon_gone = proc_wait_gone(d, 1.0);
    int other_alive = !proc_gone(n);
    kill(n, SIGKILL); /* ours: the non-daemon is left running, as in CPython; stop it now */
    if (!daemon_gone)
        kill(d, SIGKILL);
    ck_assert_msg(daemon_gone, "the daemonic child outlived its parent (killed by %d)", sig);
    ck_assert_msg(other_alive, "the non-daemonic child was killed with its parent");
    chan_close(&out);
    chan_close(&ready);
}

START_TEST(LIBMP_01_no_orphan_daemon_after_sigkill)
{
    check_no_orphan(SIGKILL);
}
END_TEST

START_TEST(LIBMP_02_no_orphan_daemon_after_sigterm)
{
    check_no_orphan(SIGTERM);
}
END_TEST

static void body_many_daemons(struct scene *s)
{
    for (int i = 0; i < 80; i++)
        start_child(s, 1, 10);
}

/* Exit processing terminates every daemon before joining any, however many there are. */
START_TEST(LIBMP_05_exit_with_many_daemons)
{
    int st;
    double exit_at;
    char *text = run_scene(body_many_daemons, 0, &st, &exit_at);
    double end = field_time(text, "end ");
    int terms = 0;
    for (const char *at = text; (at = strstr(at, "TERM 15 ")); at++)
        terms++;
    ck_assert_int_eq(terms, 80);
    ck_assert_msg(exit_at - end < 1.0 * time_scale(), "exit took %.3f s", exit_at - end);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    free(text);
}
END_TEST

Suite *mp_suite_daemon(void)
{
    Suite *s = suite_create("Daemon");
    TCase *tc = mp_tcase("flag", 10);
    tcase_add_test(tc, DMN_01_default_and_inherit);
    tcase_add_test(tc, DMN_03_04_inside_a_daemon);
    tcase_add_test(tc, DMN_05_pool_inside_a_daemon);
    suite_add_tcase(s, tc);
    tc = mp_tcase("exit", 20);
    tcase_add_test(tc, DMN_06_daemon_terminated_at_exit);
    tcase_add_test(tc, DMN_08_daemons_before_siblings);
    tcase_add_test(tc, DMN_09_daemon_ignoring_sigterm_delays_exit);
    tcase_add_test(tc, DMN_10_exit_status_kept);
    tcase_add_test(tc, DMN_11_rule_applies_one_level_down);
    tcase_add_test(tc, DMN_13_side_channel_carries_sigterm);
    tcase_add_test(tc, LIBMP_05_exit_with_many_daemons);
    suite_add_tcase(s, tc);
    tc = mp_tcase("orphans", 20);
    tcase_add_test(tc, LIBMP_01_no_orphan_daemon_after_sigkill);
    tcase_add_test(tc, LIBMP_02_no_orphan_daemon_after_sigterm);
    suite_add_tcase(s, tc);
    return s;
}
