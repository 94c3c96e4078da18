/* Suite "Process", continued: exit codes, sentinel, close, the process tree (grandchildren,
 * parent_process, recursion), isolation and fork-only targets: PROC ids of docs/pages/spec.md. */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "process_helpers.h"

TCase *mp_tcase_process_tree(void);

/* Returns at once: the child ends with 0 because its target returned. */
static void tree_nothing(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
}
MP_TARGET(tree_nothing);

static void tree_sleep5(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
    sleep_s(5);
}
MP_TARGET(tree_sleep5);

/* A registered target with no arguments, started as a child of the test. */
static mp_process_t *start_plain(mp_target_t target)
{
    return go_args(target, mp_build("()"), 0);
}

/* ---- PROC-19: terminate() orphans the grandchildren ------------------------------------------ */

static int tree_spawn_grandchild(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    mp_process_t *g = child_go(tree_sleep5, mp_build("()"), 0);
    if (g)
        report(&r, "%d", (int)mp_process_pid(g));
    sleep_s(10);
    return 0;
}
JOB(tree_spawn_grandchild);

START_TEST(PROC_19_terminate_orphans_grandchild)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(tree_spawn_grandchild, mp_build("(N)", chan_obj(&r)));
    char line[32];
    report_line(&r.r, line, sizeof line, 5);
    pid_t g = atoi(line);
    ck_assert_int_gt(g, 0);
    pid_t child = mp_process_pid(p);
    ck_assert_mp(mp_process_terminate(p), 0);
    ck_assert_int_eq(child_exit_code(p, 10), -SIGTERM);
    sleep_s(0.1);
    ck_assert_msg(!proc_gone(g), "the grandchild died with its parent");
    ck_assert_int_ne(proc_ppid(g), child); /* re-parented to init or a subreaper */
    kill(g, SIGKILL);                      /* ours to stop: the test started it */
    chan_close(&r);
}
END_TEST

/* ---- PROC-21..24: exit codes ------------------------------------------------------------------ */

/* Ends with mp_exit(args[0]), as sys.exit(n). */
static int tree_exit_code(mp_obj_t *a)
{
    return (int)arg_long(a, 0);
}
JOB(tree_exit_code);

static int tree_os_exit7(mp_obj_t *a)
{
    (void)a;
    _exit(7);
}
JOB(tree_os_exit7);

START_TEST(PROC_21_exit_codes)
{
    int codes[] = {0, 3, 8, 255, 1};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        ck_assert_int_eq(child_exit_code(GO(tree_exit_code, mp_build("(i)", codes[i])), 10),
                         codes[i]);
    ck_assert_int_eq(child_exit_code(start_plain(tree_nothing), 10), 0); /* return: 0 */
}
END_TEST

/* The child sends its stderr into the report channel (args[0]), then ends as args[1] says. */
static int tree_stderr_case(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    long how = arg_long(a, 1);
    dup2(r.wr, 2);
    if (how == 0)
        mp_exit_msg("msg");
    if (how == 2)
        mp_exit_msg(NULL);
    if (how == 3)
        mp_raise(NULL, NULL);
    mp_raise("ValueError", "bad value %d", 42);
}
JOB(tree_stderr_case);

static char *run_stderr_case(int how, int *code, char *name, size_t size)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(tree_stderr_case, mp_build("(Ni)", chan_obj(&r), how));
    snprintf(name, size, "%s", mp_process_name(p));
    *code = child_exit_code(p, 10);
    char *out = chan_collect(&r, 5);
    chan_close(&r);
    return out;
}

START_TEST(PROC_22_exit_with_message)
{
    int code;
    char name[64];
    char *out = run_stderr_case(0, &code, name, sizeof name);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(out, "msg\n");
    free(out);
}
END_TEST

/* The NULL cases of the two calls that never return (LIBMP_PROC_NULL_every_call in
 * test_process.c has the others): process.h says what each prints. */
START_TEST(LIBMP_PROC_NULL_exit_msg_and_raise)
{
    int code;
    char name[64], tail[160];
    char *out = run_stderr_case(2, &code, name, sizeof name);
    ck_assert_int_eq(code, 1);
    ck_assert_str_eq(out, "None\n");
    free(out);
    out = run_stderr_case(3, &code, name, sizeof name);
    ck_assert_int_eq(code, 1);
    snprintf(tail, sizeof tail, "in %s\nException\n", name);
    ck_assert_msg(strstr(out, tail) != NULL, "stderr was: %s", out);
    free(out);
}
END_TEST

START_TEST(PROC_23_exit_code_masked)
{
    ck_assert_int_eq(child_exit_code(GO(tree_exit_code, mp_build("(i)", 256)), 10), 0);
    ck_assert_int_eq(child_exit_code(GO(tree_exit_code, mp_build("(i)", -1)), 10), 255);
    ck_assert_int_eq(child_exit_code(GO(tree_os_exit7, mp_build("()")), 10), 7);
}
END_TEST

START_TEST(PROC_24_uncaught_exception)
{
    int code;
    char name[64], head[160];
    char *out = run_stderr_case(1, &code, name, sizeof name);
    ck_assert_int_eq(code, 1);
    snprintf(head, sizeof head, "Process %s:\nTraceback (most recent call last):\n", name);
    ck_assert_msg(strncmp(out, head, strlen(head)) == 0, "stderr was: %s", out);
    ck_assert_msg(strstr(out, "\nValueError: bad value 42\n") != NULL, "stderr was: %s", out);
    free(out);
}
END_TEST

/* ---- PROC-26..29 ------------------------------------------------------------------------------ */

START_TEST(PROC_26_sentinel)
{
    mp_process_t *p;
    ck_assert_mp(mp_process_new(&p, tree_nothing, NULL, NULL), 0);
    ck_assert_mp(mp_process_sentinel(p), MP_ESTATE);
    ck_assert_str_eq(mp_errmsg(), "process not started");
    mp_process_free(p);
    p = start_plain(tree_sleep5);
    int fd = mp_process_sentinel(p);
    ck_assert_int_ge(fd, 0);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 200), 0); /* not ready while the child runs */
    mp_process_terminate(p);
    ck_assert_int_eq(poll(&pf, 1, 1000), 1); /* ready once it has ended, before any join */
    ck_assert_int_eq(child_exit_code(p, 10), -SIGTERM);
}
END_TEST

START_TEST(PROC_27_close)
{
    int code;
    mp_process_t *p = start_plain(tree_sleep5);
    ck_assert_mp(mp_process_close(p), MP_EBUSY);
    ck_assert_mp(mp_process_free(p), MP_EBUSY);
    mp_process_terminate(p);
    ck_assert_mp(mp_process_join(p, 5), 0);
    ck_assert_mp(mp_process_close(p), 0);
    ck_assert_mp(mp_process_is_alive(p), MP_ECLOSED);
    ck_assert_str_eq(mp_errmsg(), "process object is closed");
    ck_assert_mp(mp_process_join(p, 0), MP_ECLOSED);
    ck_assert_mp(mp_process_terminate(p), MP_ECLOSED);
    ck_assert_mp(mp_process_exitcode(p, &code), MP_ECLOSED);
    ck_assert_mp(mp_process_sentinel(p), MP_ECLOSED);
    ck_assert_mp(mp_process_pid(p), MP_ECLOSED);
    ck_assert_mp(mp_process_start(p), MP_ECLOSED);
    ck_assert_mp(mp_process_close(p), 0);
    ck_assert_mp(mp_process_free(p), 0);
}
END_TEST

START_TEST(PROC_28_active_children)
{
    mp_process_t *quick = start_plain(tree_nothing), *slow = start_plain(tree_sleep5);
    mp_process_t *buf[8];
    ck_assert_int_le(mp_active_children(buf, 8), 2);
    ck_assert_mp(mp_process_join(quick, 5), 0);
    int n = mp_active_children(buf, 8);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_eq(buf[0], slow);
    mp_process_terminate(slow);
    while (mp_process_is_alive(slow) == 1) /* is_alive() reaps it: no join needed */
        sleep_s(0.01);
    ck_assert_int_eq(mp_active_children(buf, 8), 0);
    mp_process_free(quick);
    mp_process_free(slow);
}
END_TEST

START_TEST(PROC_29_current_process_in_main)
{
    mp_process_t *me = mp_current_process();
    int code;
    ck_assert_str_eq(mp_process_name(me), "MainProcess");
    ck_assert_int_eq(mp_process_daemon(me), 0);
    ck_assert_int_eq(mp_process_is_alive(me), 1);
    ck_assert_int_eq(mp_process_pid(me), getpid());
    ck_assert_mp(mp_process_exitcode(me, &code), MP_EAGAIN);
    ck_assert_ptr_null(mp_parent_process());
    ck_assert_mp(mp_process_join(me, 0), MP_ESTATE); /* can only join a child process */
    const unsigned char *k = mp_process_authkey(me);
    int nonzero = 0;
    for (int i = 0; i < MP_AUTHKEY_LEN; i++)
        nonzero |= k[i];
    ck_assert(nonzero);
    char repr[128];
    mp_process_repr(me, repr, sizeof repr);
    ck_assert_str_eq(repr, "<_MainProcess name='MainProcess' parent=None started>");
}
END_TEST

/* ---- PROC-31: parent_process() in a grandchild -------------------------------------------- */

static int tree_watch_parent(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    mp_process_t *par = mp_parent_process();
    report(&r, "parent %s alive=%d", par ? mp_process_name(par) : "none",
           par ? mp_process_is_alive(par) : -1);
    double deadline = now_s() + 5;
    while (par && mp_process_is_alive(par) == 1 && now_s() < deadline)
        sleep_s(0.01);
    report(&r, "alive=%d", par ? mp_process_is_alive(par) : -1);
    return 0;
}
JOB(tree_watch_parent);

/* Starts the watcher with the report channel it was given (args[0]), then sleeps. */
static int tree_parent_of_watcher(mp_obj_t *a)
{
    child_go(tree_watch_parent__job, mp_build("(O)", arg_at(a, 0)), 0);
    sleep_s(10);
    return 0;
}
JOB(tree_parent_of_watcher);

START_TEST(PROC_31_parent_process_dies)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(tree_parent_of_watcher, mp_build("(N)", chan_obj(&r)));
    char line[128], want[128];
    report_line(&r.r, line, sizeof line, 5);
    snprintf(want, sizeof want, "parent %s alive=1", mp_process_name(p));
    ck_assert_str_eq(line, want);
    mp_process_terminate(p);
    report_line(&r.r, line, sizeof line, 5);
    ck_assert_str_eq(line, "alive=0");
    ck_assert_int_eq(child_exit_code(p, 10), -SIGTERM);
    chan_close(&r);
}
END_TEST

/* ---- PROC-32: an object is the creator's ---------------------------------------------------- */

static void t_use_foreign(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    mp_process_t *foreign = ctx;
    int s = mp_process_start(foreign);
    int alive = mp_process_is_alive(foreign);
    mp_exit(s == MP_ESTATE && alive == MP_ESTATE ? 0 : 1);
}

/* Needs fork: the child reaches the parent's Process object through a pointer into its copy of
 * the parent's memory. No value carries a Process object to a spawned child (it is no handle
 * of reduction.h), so under spawn and forkserver there is no foreign object to misuse. */
START_TEST(PROC_32_not_the_creator)
{
    FORK_ONLY();
    mp_process_t *foreign;
    ck_assert_mp(mp_process_new(&foreign, tree_nothing, NULL, NULL), 0);
    ck_assert_int_eq(child_exit_code(child_start(t_use_foreign, foreign, 0), 10), 0);
    mp_process_free(foreign);
}
END_TEST

/* ---- PROC-33: a recursive tree, ids in DFS order -------------------------------------------- */

static void tree_recurse__job(mp_obj_t *a, mp_obj_t *k,
                              void *ctx); /* JOB(tree_recurse), below: recursive */

/* args: (report channel, id, depth). Reports its id, then runs its two subtrees in turn. */
static int tree_recurse(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    const char *id = arg_str(a, 1);
    long depth = arg_long(a, 2);
    report(&r, "[%s]", id);
    if (depth == 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        char sub[32];
        snprintf(sub, sizeof sub, "%.24s%s%c", id, id[0] ? "," : "", i ? '1' : '0');
        mp_process_t *c =
            child_go(tree_recurse__job, mp_build("(Osl)", arg_at(a, 0), sub, depth - 1), 0);
        if (c) {
            mp_process_join(c, MP_FOREVER);
            mp_process_free(c);
        }
    }
    return 0;
}
JOB(tree_recurse);

START_TEST(PROC_33_recursion)
{
    chan_t r;
    chan_open(&r);
    mp_process_t *p = GO(tree_recurse, mp_build("(Nsi)", chan_obj(&r), "", 2));
    ck_assert_int_eq(child_exit_code(p, 10), 0);
    char *got = chan_collect(&r, 5);
    ck_assert_str_eq(got, "[]\n[0]\n[0,0]\n[0,1]\n[1]\n[1,0]\n[1,1]\n");
    free(got);
    chan_close(&r);
}
END_TEST

/* ---- PROC-34: many processes ---------------------------------------------------------------- */

START_TEST(PROC_34_many_processes)
{
    enum { N = 100 };
    mp_process_t *ps[N];
    for (int i = 0; i < N; i++)
        ps[i] = start_plain(tree_nothing);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(child_exit_code(ps[i], 10), 0);
    for (int i = 0; i < N; i++)
        ps[i] = start_plain(tree_sleep5);
    for (int i = 0; i < N; i++)
        ck_assert_mp(mp_process_terminate(ps[i]), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(child_exit_code(ps[i], 10), -SIGTERM);
}
END_TEST

/* ---- PROC-36: separate memory, another thread ------------------------------------------------ */

static int global_value;

static int tree_isolated(mp_obj_t *a)
{
    report_t r = arg_report(a, 0);
    global_value = 42;
    report(&r, "%d %ld %d", global_value, (long)syscall(SYS_gettid), (int)getpid());
    return 0;
}
JOB(tree_isolated);

START_TEST(PROC_36_separate_memory)
{
    chan_t r;
    chan_open(&r);
    global_value = 0;
    mp_process_t *p = GO(tree_isolated, mp_build("(N)", chan_obj(&r)));
    pid_t pid = mp_process_pid(p);
    ck_assert_int_eq(child_exit_code(p, 10), 0);
    char *got = chan_collect(&r, 5);
    int v, cpid;
    long tid;
    ck_assert_int_eq(sscanf(got, "%d %ld %d", &v, &tid, &cpid), 3);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(global_value, 0);
    ck_assert_int_eq(cpid, pid);
    ck_assert_int_ne(tid, (long)syscall(SYS_gettid));
    ck_assert_int_eq(tid, cpid); /* the target runs in the child's main thread */
    free(got);
    chan_close(&r);
}
END_TEST

/* ---- PROC-37: under fork any target works: closures and bound methods via ctx ---------------- */

struct counter {
    int base;
    int (*add)(struct counter *self, int n); /* a "bound method" */
    FILE *unpicklable;
    report_t *r;
};

static int counter_add(struct counter *self, int n)
{
    return self->base + n;
}

static void t_closure(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)k;
    struct counter *c = ctx;
    int n = 0;
    mp_parse(a, "(i)", &n);
    report(c->r, "%d %d", c->add(c, n), c->unpicklable == stderr);
}

/* Needs fork by definition (PROC-37 is "under fork"): the target gets a struct with a function
 * pointer and a FILE * through ctx, which only a copy of the parent's memory can honour; spawn
 * and forkserver refuse a ctx pointer at start() (PROC-38's side). */
START_TEST(PROC_37_closures_under_fork)
{
    FORK_ONLY();
    report_t r;
    report_open(&r);
    struct counter c = {40, counter_add, stderr, &r};
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = &c;
    mp_obj_t *args = mp_build("(i)", 2);
    ck_assert_mp(mp_process_new(&p, t_closure, args, &o), 0);
    mp_obj_decref(args);
    ck_assert_mp(mp_process_start(p), 0);
    ck_assert_int_eq(child_exit_code(p, 10), 0);
    char *got = report_collect(&r, 5);
    ck_assert_str_eq(got, "42 1\n");
    free(got);
    report_close(&r);
}
END_TEST

TCase *mp_tcase_process_tree(void)
{
    TCase *tc = mp_tcase("tree", 30);
    tcase_add_test(tc, PROC_19_terminate_orphans_grandchild);
    tcase_add_test(tc, PROC_21_exit_codes);
    tcase_add_test(tc, PROC_22_exit_with_message);
    tcase_add_test(tc, LIBMP_PROC_NULL_exit_msg_and_raise);
    tcase_add_test(tc, PROC_23_exit_code_masked);
    tcase_add_test(tc, PROC_24_uncaught_exception);
    tcase_add_test(tc, PROC_26_sentinel);
    tcase_add_test(tc, PROC_27_close);
    tcase_add_test(tc, PROC_28_active_children);
    tcase_add_test(tc, PROC_29_current_process_in_main);
    tcase_add_test(tc, PROC_31_parent_process_dies);
    tcase_add_test(tc, PROC_32_not_the_creator);
    tcase_add_test(tc, PROC_33_recursion);
    tcase_add_test(tc, PROC_34_many_processes);
    tcase_add_test(tc, PROC_36_separate_memory);
    tcase_add_test(tc, PROC_37_closures_under_fork);
    return tc;
}
