/* Start methods (CPython's TestStartMethod and the spawn-only cases of SPEC): the contexts, what
 * a spawned child is (a fresh image: none of the parent's memory, main() never runs), what
 * start() refuses in the parent with no child left behind, and the fork server's life. The
 * other suites run under each method (main.c --start-method); this one names the method of
 * each of its children itself. */
#include <sys/stat.h>

#include "helpers.h"

/* main.c sets it first thing in main(): a child that sees it set ran main(). */
extern int conformance_main_ran;

/* Set by the parent before start(): a forked child sees the copy, a fresh image does not. */
static int parent_marker;

static const mp_context_t *ctx_of(const char *method)
{
    const mp_context_t *c = NULL;
    ck_assert_mp(mp_get_context(method, &c), 0);
    return c;
}

/* Starts a registered target under `method` with args (reference taken). */
static mp_process_t *start_in(const char *method, mp_target_t fn, mp_obj_t *args, int daemon)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.context = ctx_of(method);
    o.daemon = daemon;
    ck_assert_mp(mp_process_new(&p, fn, args, &o), 0);
    mp_obj_decref(args);
    ck_assert_mp(mp_process_start(p), 0);
    return p;
}

/* The pids of the calling process's children, from /proc (every thread's list). */
static int count_children(void)
{
    char path[64];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", getpid(), getpid());
    FILE *f = fopen(path, "r");
    int pid;
    while (f && fscanf(f, "%d", &pid) == 1)
        n++;
    if (f)
        fclose(f);
    return n;
}

START_TEST(MISC_01_start_methods_and_the_default)
{
    const char *all[4] = {NULL};
    ck_assert_uint_eq(mp_get_all_start_methods(all, 4), 3);
    ck_assert_str_eq(all[0], "fork");
    ck_assert_str_eq(all[1], "spawn");
    ck_assert_str_eq(all[2], "forkserver");
    ck_assert_mp(mp_set_start_method(NULL, 1), 0); /* whatever the runner chose, forgotten */
    ck_assert_ptr_null(mp_get_start_method(1));
    ck_assert_str_eq(mp_context_start_method(ctx_of(NULL)), "fork");
    ck_assert_mp(mp_set_start_method("spawn", 0), 0);
    ck_assert_str_eq(mp_get_start_method(1), "spawn");
    ck_assert_str_eq(mp_context_start_method(ctx_of(NULL)), "spawn");
    ck_assert_mp(mp_set_start_method("fork", 0), MP_ERUNTIME);
    ck_assert_str_eq(mp_errmsg(), "context has already been set");
    ck_assert_mp(mp_set_start_method("forkserver", 1), 0);
    ck_assert_str_eq(mp_get_start_method(0), "forkserver");
    /* get_start_method() with allow_none=False fixes the default, as CPython's does. */
    ck_assert_mp(mp_set_start_method(NULL, 1), 0);
    ck_assert_str_eq(mp_get_start_method(0), "fork");
    ck_assert_mp(mp_set_start_method("spawn", 0), MP_ERUNTIME);
    const mp_context_t *c = NULL;
    ck_assert_mp(mp_get_context("bogus", &c), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "cannot find context for 'bogus'");
    ck_assert_mp(mp_set_start_method("bogus", 1), MP_EINVAL);
    ck_assert_ptr_null(mp_context_start_method(NULL));
}
END_TEST

/* Exit code 0 when the child is a fresh image: no copy of the parent's memory, and main()
 * never ran in it; 1 or 2 otherwise. */
static void t_fresh(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)a, (void)k, (void)c;
    mp_exit(parent_marker == 42 ? 1 : conformance_main_ran ? 2 : 0);
}
MP_TARGET(t_fresh);

START_TEST(START_02_spawned_child_is_a_fresh_image)
{
    parent_marker = 42;
    ck_assert_int_eq(finish(start_in("spawn", t_fresh, mp_build("()"), 0), 10), 0);
    ck_assert_int_eq(finish(start_in("forkserver", t_fresh, mp_build("()"), 0), 10), 0);
    /* Under fork the child is a copy: the same target sees the marker. */
    ck_assert_int_eq(finish(start_in("fork", t_fresh, mp_build("()"), 0), 10), 1);
}
END_TEST

/* Checks what a child receives: args, kwargs, its name, its parent, the authkey. */
static void t_received(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)c;
    long n = 0;
    const char *s = NULL, *key = NULL, *pname = NULL;
    size_t keylen = 0;
    mp_obj_t *kw = NULL;
    if (mp_parse(a, "(lsy#s)", &n, &s, &key, &keylen, &pname) < 0 || n != 12345 ||
        strcmp(s, "héllo") != 0)
        mp_exit(1);
    if (!(kw = mp_dict_get_str(k, "flag")) || !mp_obj_truth(kw))
        mp_exit(2);
    mp_process_t *me = mp_current_process(), *parent = mp_parent_process();
    if (strcmp(mp_process_name(me), "Named-Child") != 0)
        mp_exit(3);
    if (!parent || strcmp(mp_process_name(parent), pname) != 0)
        mp_exit(4);
    if (keylen != MP_AUTHKEY_LEN || memcmp(key, mp_process_authkey(me), keylen) != 0)
        mp_exit(5);
    mp_exit(0);
}
MP_TARGET(t_received);

static int received_under(const char *method)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.context = ctx_of(method);
    o.name = "Named-Child";
    o.kwargs = mp_build("{s:p}", "flag", 1);
    mp_process_t *me = mp_current_process();
    mp_obj_t *args = mp_build("(lsy#s)", 12345L, "héllo", mp_process_authkey(me),
                              (size_t)MP_AUTHKEY_LEN, mp_process_name(me));
    ck_assert_mp(mp_process_new(&p, t_received, args, &o), 0);
    mp_obj_decref(args);
    mp_obj_decref(o.kwargs);
    ck_assert_mp(mp_process_start(p), 0);
    return finish(p, 10);
}

START_TEST(START_03_args_kwargs_name_parent_authkey_arrive)
{
    ck_assert_int_eq(received_under("spawn"), 0);
    ck_assert_int_eq(received_under("forkserver"), 0);
    ck_assert_int_eq(received_under("fork"), 0);
}
END_TEST

static void t_exit_with(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)k, (void)c;
    long code = arg_long(a, 0);
    if (code < 0)
        raise((int)-code);
    if (code == 1000)
        sleep_s(30); /* until terminated */
    mp_exit((int)code);
}
MP_TARGET(t_exit_with);

/* The exit code, a death by signal and terminate() reach the parent under each method (the
 * fork server's children are its own: it relays their wait status). */
START_TEST(START_04_exit_codes_and_signals_relayed)
{
    static const char *const methods[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(finish(start_in(methods[i], t_exit_with, mp_build("(i)", 7), 0), 10), 7);
        ck_assert_int_eq(
            finish(start_in(methods[i], t_exit_with, mp_build("(i)", -SIGKILL), 0), 10), -SIGKILL);
        mp_process_t *p = start_in(methods[i], t_exit_with, mp_build("(i)", 1000), 0);
        ck_assert_int_eq(mp_process_is_alive(p), 1);
        ck_assert_mp(mp_process_terminate(p), 0);
        ck_assert_int_eq(child_exit_code(p, 10), -SIGTERM);
    }
}
END_TEST

static void t_unregistered(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)a, (void)k, (void)c;
}

static void run_override(mp_process_t *self)
{
    (void)self;
}

/* Starts p under `method` expecting MP_EENCODE with `words` in the message, and no child. */
static void refused(const char *method, mp_process_t *p, const char *words)
{
    int before = count_children();
    ck_assert_mp(mp_process_start(p), MP_EENCODE);
    ck_assert_msg(strstr(mp_errmsg(), words), "'%s' not in '%s'", words, mp_errmsg());
    ck_assert_int_eq(count_children(), before);
    ck_assert_int_eq(mp_process_is_alive(p), 0);
    ck_assert_mp(mp_process_free(p), 0);
    (void)method;
}

/* PROC-38 in C terms: what a fresh image could not receive fails start() in the parent, with a
 * message naming it, and no child is created (the /proc list of children is unchanged). */
START_TEST(PROC_38_unsendable_target_refused_in_parent)
{
    static const char *const methods[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        mp_process_t *p;
        mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
        o.context = ctx_of(methods[i]);
        ck_assert_mp(mp_process_new(&p, t_unregistered, NULL, &o), 0);
        refused(methods[i], p, "MP_TARGET");
        int local = 1;
        o.ctx = &local;
        ck_assert_mp(mp_process_new(&p, t_exit_with, NULL, &o), 0);
        refused(methods[i], p, "ctx");
        static const mp_process_vtable_t vt = {"Clock", run_override, NULL};
        struct {
            mp_process_t base;
        } clock;
        o.ctx = NULL;
        ck_assert_mp(mp_process_init(&clock.base, &vt, &o), 0);
        int before = count_children();
        ck_assert_mp(mp_process_start(&clock.base), MP_EENCODE);
        ck_assert_ptr_nonnull(strstr(mp_errmsg(), "run()"));
        ck_assert_int_eq(count_children(), before);
        ck_assert_mp(mp_process_free(&clock.base), 0);
    }
}
END_TEST

/* A Barrier's action not registered by name is a C pointer: it cannot go to a fresh image. */
static int barrier_action(void *arg)
{
    (void)arg;
    return 0;
}

START_TEST(START_05_barrier_with_action_refused)
{
    mp_barrier_t *b;
    ck_assert_mp(mp_barrier_new(&b, 2, barrier_action, NULL, MP_FOREVER), 0);
    static const char *const methods[] = {"spawn", "forkserver"};
    for (int i = 0; i < 2; i++) {
        mp_process_t *p;
        mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
        o.context = ctx_of(methods[i]);
        mp_obj_t *args = mp_build("(N)", mp_barrier_obj(b));
        ck_assert_mp(mp_process_new(&p, t_exit_with, args, &o), 0);
        mp_obj_decref(args);
        refused(methods[i], p, "Barrier");
    }
    mp_barrier_free(b);
}
END_TEST

/* Registered by name: fails when a libmp child runs it (the test process has no libmp parent),
 * so the code a party gets tells which process ran the action. */
static int action_in_child(void *arg)
{
    (void)arg;
    return mp_parent_process() ? MP_EOVERFLOW : 0;
}
MP_BARRIER_ACTION(action_in_child);

/* Arrives late at the barrier, so as to be the last party; exit 0 when its wait returned the
 * action's code, as the party that ran it. */
static void t_last_party(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)k, (void)c;
    mp_barrier_t *b = arg_barrier(a, 0);
    sleep_s(0.3);
    mp_exit(b && mp_barrier_wait(b, 10, NULL) == MP_EOVERFLOW ? 0 : 1);
}
MP_TARGET(t_last_party);

/* A Barrier whose action is registered by name (and has no arg) reaches a fresh image, which
 * runs the action as the last party; with an arg, the barrier cannot be sent. */
START_TEST(START_11_barrier_action_by_name)
{
    static const char *const methods[] = {"fork", "spawn", "forkserver"};
    for (int i = 0; i < 3; i++) {
        mp_barrier_t *b;
        ck_assert_mp(mp_barrier_new(&b, 2, action_in_child, NULL, MP_FOREVER), 0);
        mp_process_t *p = start_in(methods[i], t_last_party, mp_build("(N)", mp_barrier_obj(b)), 0);
        ck_assert_mp(mp_barrier_wait(b, 10, NULL), MP_EBROKEN);
        ck_assert_int_eq(finish(p, 10), 0);
        mp_barrier_free(b);
    }
    mp_barrier_t *b;
    int arg = 1;
    ck_assert_mp(mp_barrier_new(&b, 2, action_in_child, &arg, MP_FOREVER), 0);
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.context = ctx_of("spawn");
    mp_obj_t *args = mp_build("(N)", mp_barrier_obj(b));
    ck_assert_mp(mp_process_new(&p, t_last_party, args, &o), 0);
    mp_obj_decref(args);
    refused("spawn", p, "MP_BARRIER_ACTION");
    mp_barrier_free(b);
}
END_TEST

/* Writes getppid() to the file named by args[0], then exits or sleeps (args[1] seconds). */
static void t_report_ppid(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)k, (void)c;
    const char *path = NULL;
    double nap = 0;
    if (mp_parse(a, "(sd)", &path, &nap) < 0)
        mp_exit(1);
    FILE *f = fopen(path, "w");
    if (!f)
        mp_exit(2);
    fprintf(f, "%d %d\n", (int)getppid(), (int)getpid());
    fclose(f);
    sleep_s(nap);
    mp_exit(0);
}
MP_TARGET(t_report_ppid);

static void read_pids(const char *path, pid_t *ppid, pid_t *pid)
{
    int a = 0, b = 0;
    double deadline = now_s() + 10;
    for (;;) {
        FILE *f = fopen(path, "r");
        int n = f ? fscanf(f, "%d %d", &a, &b) : 0;
        if (f)
            fclose(f);
        if (n == 2)
            break;
        ck_assert_msg(now_s() < deadline, "no pids in %s", path);
        sleep_s(0.01);
    }
    *ppid = a;
    *pid = b;
    unlink(path);
}

static char *temp_path(const char *tag)
{
    static char buf[2][96];
    static int i;
    char *s = buf[i++ % 2];
    snprintf(s, sizeof buf[0], "/tmp/mp-start-%s-%d-%d", tag, (int)getpid(), i);
    unlink(s);
    return s;
}

/* One server per process, started on first use, serves every later child: the children's
 * parent is the server, the same one each time, and not us. */
START_TEST(START_06_one_fork_server_serves_every_child)
{
    pid_t ppid[2], pid[2];
    for (int i = 0; i < 2; i++) {
        char *path = temp_path("one");
        mp_process_t *p = start_in("forkserver", t_report_ppid, mp_build("(sd)", path, 0.0), 0);
        read_pids(path, &ppid[i], &pid[i]);
        ck_assert_int_eq(pid[i], mp_process_pid(p));
        ck_assert_int_eq(finish(p, 10), 0);
    }
    ck_assert_int_ne(ppid[0], getpid());
    ck_assert_int_eq(ppid[0], ppid[1]);
    ck_assert(!proc_gone(ppid[0]));
}
END_TEST

/* Started by a plain fork: a process that starts a daemon under forkserver, reports, then dies
 * by SIGKILL, without exit processing. It never asserts; the test reads what it wrote. */
static void __attribute__((noreturn)) start_and_die(const char *path)
{
    default_signals();
    mp_process_t *p = NULL;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    mp_get_context("forkserver", &o.context);
    o.daemon = 1;
    mp_obj_t *args = mp_build("(sd)", path, 30.0);
    if (mp_process_new(&p, t_report_ppid, args, &o) < 0 || mp_process_start(p) < 0)
        _exit(3);
    struct stat st;
    for (int i = 0; i < 1000 && stat(path, &st) != 0; i++)
        sleep_s(0.01);
    raise(SIGKILL);
    _exit(4);
}

/* The server dies with the process that started it, even one killed without exit processing,
 * and takes its daemonic children with it: nothing is left behind. */
START_TEST(START_07_fork_server_dies_with_its_parent)
{
    char *path = temp_path("dies");
    pid_t mid = fork_flushed();
    if (mid == 0)
        start_and_die(path);
    pid_t server, kid;
    read_pids(path, &server, &kid);
    ck_assert_int_eq(status_code(pid_wait(mid)), 128 + SIGKILL);
    ck_assert(proc_wait_gone(server, 10));
    ck_assert(proc_wait_gone(kid, 10));
}
END_TEST

/* A server killed by someone: its running child is still watched (through its pidfd: alive,
 * then terminated, its status unknown since no one could reap it for us), and the next start()
 * starts a new server. */
START_TEST(START_08_killed_server_replaced)
{
    char *path = temp_path("killed");
    mp_process_t *p = start_in("forkserver", t_report_ppid, mp_build("(sd)", path, 30.0), 0);
    pid_t server, kid;
    read_pids(path, &server, &kid);
    ck_assert_int_eq(kill(server, SIGKILL), 0);
    ck_assert(proc_wait_gone(server, 10));
    ck_assert_int_eq(mp_process_is_alive(p), 1);
    ck_assert_mp(mp_process_terminate(p), 0);
    ck_assert_mp(mp_process_join(p, 10), 0);
    ck_assert(proc_wait_gone(kid, 10));
    int code = 0;
    ck_assert_mp(mp_process_exitcode(p, &code), MP_ECHILD);
    mp_process_free(p);
    char *path2 = temp_path("again");
    p = start_in("forkserver", t_report_ppid, mp_build("(sd)", path2, 0.0), 0);
    pid_t server2, kid2;
    read_pids(path2, &server2, &kid2);
    ck_assert_int_ne(server2, server);
    ck_assert_int_eq(finish(p, 10), 0);
}
END_TEST

/* A child of a fresh image starts its own child the same way: three levels give 9 + 1 + 1. */
static void t_nested(mp_obj_t *a, mp_obj_t *k, void *c)
{
    (void)k, (void)c;
    long depth = arg_long(a, 0);
    if (depth == 0)
        mp_exit(9);
    mp_process_t *p = NULL;
    mp_obj_t *args = mp_build("(l)", depth - 1);
    int code = -1;
    if (mp_process_new(&p, t_nested, args, NULL) < 0 || mp_process_start(p) < 0 ||
        mp_process_join(p, 10) < 0 || mp_process_exitcode(p, &code) < 0)
        mp_exit(1);
    mp_exit(code + 1);
}
MP_TARGET(t_nested);

START_TEST(START_09_children_of_children)
{
    /* The child's default context is ours: each level starts the next one the same way. */
    ck_assert_mp(mp_set_start_method("spawn", 1), 0);
    ck_assert_int_eq(finish(start_in("spawn", t_nested, mp_build("(i)", 2), 0), 20), 11);
    ck_assert_mp(mp_set_start_method("forkserver", 1), 0);
    ck_assert_int_eq(finish(start_in("forkserver", t_nested, mp_build("(i)", 2), 0), 20), 11);
}
END_TEST

/* The sentinel turns ready when the child ends, under every method. */
START_TEST(START_10_sentinel_ready_at_the_end)
{
    static const char *const methods[] = {"fork", "spawn", "forkserver"};
    for (int i = 0; i < 3; i++) {
        mp_process_t *p = start_in(methods[i], t_exit_with, mp_build("(i)", 1000), 0);
        mp_waitable_t w = MP_WAIT_FD(mp_process_sentinel(p));
        unsigned char ready = 0;
        ck_assert_int_eq(mp_wait(&w, 1, 0.2, &ready), 0);
        ck_assert_mp(mp_process_kill(p), 0);
        ck_assert_int_eq(mp_wait(&w, 1, 10, &ready), 1);
        ck_assert_int_eq(child_exit_code(p, 5), -SIGKILL);
    }
}
END_TEST

Suite *mp_suite_start_method(void)
{
    Suite *s = suite_create("StartMethod");
    TCase *tc = mp_tcase("contexts", 60);
    tcase_add_test(tc, MISC_01_start_methods_and_the_default);
    tcase_add_test(tc, START_02_spawned_child_is_a_fresh_image);
    tcase_add_test(tc, START_03_args_kwargs_name_parent_authkey_arrive);
    tcase_add_test(tc, START_04_exit_codes_and_signals_relayed);
    tcase_add_test(tc, PROC_38_unsendable_target_refused_in_parent);
    tcase_add_test(tc, START_05_barrier_with_action_refused);
    tcase_add_test(tc, START_06_one_fork_server_serves_every_child);
    tcase_add_test(tc, START_07_fork_server_dies_with_its_parent);
    tcase_add_test(tc, START_08_killed_server_replaced);
    tcase_add_test(tc, START_09_children_of_children);
    tcase_add_test(tc, START_10_sentinel_ready_at_the_end);
    tcase_add_test(tc, START_11_barrier_action_by_name);
    suite_add_tcase(s, tc);
    return s;
}
