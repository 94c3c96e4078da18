/* Suite "Daemon": the DMN ids of the catalogue (docs/pages/spec.md), the daemon flag and exit
 * processing, plus libmp's deviation (docs/pages/deviations.md): a daemon never outlives a
 * parent that died abnormally.
 *
 * Exit processing is seen from outside: a "scenario" process (a plain fork of the test
 * process, as a program's main process would be) starts children and exits; the children
 * report on a pipe, with CLOCK_MONOTONIC times, what happened to them and when. */
#include <signal.h>
#include <sys/wait.h>

#include "helpers.h"

struct scene {
    report_t *out;   /* what the test reads */
    report_t *ready; /* children say "ready" here once their signal handling is in place */
    double sleep;    /* how long a child sleeps */
    int ignore_term; /* the daemon ignores SIGTERM */
};

static report_t *term_report;

static void on_term(int sig)
{
    report(term_report, "TERM %d %.6f", sig, now_s());
    _exit(0);
}

/* A child that reports SIGTERM (or ignores it), sleeps, and says whether it finished. */
static void t_sleeper(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    struct scene *s = ctx;
    term_report = s->out;
    signal(SIGTERM, s->ignore_term ? SIG_IGN : on_term);
    report(s->ready, "ready");
    sleep_s(s->sleep);
    report(s->out, "%s finished %.6f", mp_process_daemon(mp_current_process()) ? "D" : "N",
           now_s());
}

static mp_process_t *start_child(struct scene *s, int daemon, double sleep)
{
    struct scene mine = *s;
    mine.sleep = sleep;
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = &mine;
    o.daemon = daemon;
    /* ctx is copied into the child by fork at start(), so a local is fine here. */
    if (mp_process_new(&p, t_sleeper, NULL, &o) < 0 || mp_process_start(p) < 0)
        return NULL;
    /* Kept for the program's lifetime, as a script keeps its Process objects: exit processing
     * still refers to them (and a leak checker sees them as reachable). */
    static mp_process_t *kept[128];
    static size_t nkept;
    if (nkept < sizeof kept / sizeof *kept)
        kept[nkept++] = p;
    char line[16];
    report_line(s->ready, line, sizeof line, 5);
    return p;
}

/* Runs `body` in a plain forked process that then leaves with exit(code), as a main program
 * would: libmp's atexit handler does the exit processing. */
static pid_t scenario(void (*body)(struct scene *), struct scene *s, int code)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        body(s);
        report(s->out, "end %.6f", now_s());
        if (code < 0) { /* an uncaught exception in the main program */
            dup2(s->out->wr, 2);
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
    report_t out, ready;
    report_open(&out);
    report_open(&ready);
    struct scene s = {&out, &ready, 0, 0};
    pid_t pid = scenario(body, &s, code);
    ck_assert_int_gt(pid, 0);
    close(ready.wr);
    ready.wr = -1;
    char *text = report_collect(&out, 10);
    *status = wait_status(pid, exit_at);
    report_close(&out);
    report_close(&ready);
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

static void t_in_daemon(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    mp_process_t *c, *d;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    mp_process_new(&c, NULL, NULL, NULL);
    o.daemon = 0;
    mp_process_new(&d, NULL, NULL, &o);
    int s1 = mp_process_start(c), s2 = mp_process_start(d);
    report(ctx, "me=%d new=%d start=%s,%s children=%d", mp_process_daemon(mp_current_process()),
           mp_process_daemon(c), mp_err_name(s1), mp_err_name(s2), mp_active_children(NULL, 0));
    mp_exit(0); /* the daemon keeps running after the refusal and ends normally */
}

START_TEST(DMN_03_04_inside_a_daemon)
{
    report_t r;
    report_open(&r);
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.daemon = 1;
    o.ctx = &r;
    ck_assert_mp(mp_process_new(&p, t_in_daemon, NULL, &o), 0);
    ck_assert_mp(mp_process_start(p), 0);
    ck_assert_mp(mp_process_join(p, 5), 0);
    int code;
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, 0);
    char *got = report_collect(&r, 5);
    ck_assert_str_eq(got, "me=1 new=1 start=MP_EDAEMON,MP_EDAEMON children=0\n");
    free(got);
    report_close(&r);
    mp_process_free(p);
}
END_TEST

START_TEST(DMN_06_daemon_terminated_at_exit)
{
    int st;
    double exit_at;
    char *text = run_scene(body_daemon, 0, &st, &exit_at);
    double end = field_time(text, "end "), term = field_time(text, "TERM 15 ");
    ck_assert_msg(end > 0 && term > 0, "reports: %s", text);
    ck_assert_msg(term - end >= 0 && term - end < 0.1 * time_scale(), "SIGTERM %.3f s after the end", term - end);
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
    ck_assert_msg(term - end < 0.1 * time_scale(), "daemon's SIGTERM %.3f s after the end", term - end);
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

/* The non-daemon child C owns a daemonic grandchild G; C's run() returns. */
static void t_owner(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    struct scene *s = ctx;
    start_child(s, 1, 10);
    report(s->out, "end %.6f", now_s());
}

START_TEST(DMN_11_rule_applies_one_level_down)
{
    report_t out, ready;
    report_open(&out);
    report_open(&ready);
    struct scene s = {&out, &ready, 0, 0};
    mp_process_t *c;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = &s;
    ck_assert_mp(mp_process_new(&c, t_owner, NULL, &o), 0);
    ck_assert_mp(mp_process_start(c), 0);
    close(ready.wr);
    ready.wr = -1;
    ck_assert_mp(mp_process_join(c, 5), 0);
    char *text = report_collect(&out, 5);
    double end = field_time(text, "end "), term = field_time(text, "TERM 15 ");
    ck_assert_msg(end > 0 && term > 0 && term - end < 0.1 * time_scale(), "reports: %s", text);
    free(text);
    report_close(&out);
    report_close(&ready);
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
    report(s->out, "pids %d %d", (int)mp_process_pid(d), (int)mp_process_pid(n));
    sleep_s(30);
}

/* The scenario reports its children's pids, then dies by `sig` without any exit processing. */
static void check_no_orphan(int sig)
{
    report_t out, ready;
    report_open(&out);
    report_open(&ready);
    struct scene s = {&out, &ready, 0, 0};
    pid_t pid = scenario(body_report_pids, &s, 0);
    close(ready.wr);
    ready.wr = -1;
    char line[64];
    int d = 0, n = 0;
    report_line(&out, line, sizeof line, 5);
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
    report_close(&out);
    report_close(&ready);
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
