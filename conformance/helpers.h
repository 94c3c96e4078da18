/* Helpers shared by the conformance suites.
 *
 * The rule they serve: a forked child never calls ck_assert (Check would lose it). Children
 * report through a pipe (report_*) or their exit status, and the test process asserts. */
#ifndef MP_CONFORMANCE_HELPERS_H
#define MP_CONFORMANCE_HELPERS_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mp.h>

/* The timing tolerances of conformance/catalogue.md (Timings). The sanitizer and coverage runs
 * set MP_TIME_SCALE (e.g. 4): their processes start and exit several times slower, and those
 * runs look for memory errors and coverage, not for timing; the plain run keeps the catalogue's
 * figures. */
static inline double time_scale(void)
{
    const char *s = getenv("MP_TIME_SCALE");
    double k = s ? atof(s) : 1.0;
    return k >= 1.0 ? k : 1.0;
}
#define TOL_EARLY 0.010
#define TOL_LATE (0.250 * time_scale())
#define IMMEDIATE (0.050 * time_scale())

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Asserts that `elapsed` is `expected` seconds within the catalogue's tolerance. */
#define ck_assert_elapsed(elapsed, expected)                                                      \
    do {                                                                                          \
        double e_ = (elapsed), x_ = (expected);                                                   \
        ck_assert_msg(e_ >= x_ - TOL_EARLY && e_ <= x_ + TOL_LATE,                                \
                      "took %.3f s, expected %.3f s (-10 ms/+250 ms)", e_, x_);                   \
    } while (0)

#define ck_assert_immediate(elapsed)                                                              \
    ck_assert_msg((elapsed) < IMMEDIATE, "took %.3f s, expected < 50 ms", (double)(elapsed))

/* Asserts that a libmp call returned `code`, printing both names and the detail if not. */
#define ck_assert_mp(call, code)                                                                  \
    do {                                                                                          \
        int rc_ = (call), want_ = (code);                                                         \
        ck_assert_msg(rc_ == want_, "%s returned %s (%s), expected %s", #call, mp_err_name(rc_),   \
                      mp_errmsg(), mp_err_name(want_));                                           \
    } while (0)

/* Asserts the NULL policy of errors.h: the call refused a NULL argument with MP_EINVAL, and
 * mp_errmsg() is exactly `msg` ("<function>: <argument> is NULL"). */
#define ck_assert_null_refused(call, msg)                                                         \
    do {                                                                                          \
        ck_assert_mp(call, MP_EINVAL);                                                            \
        ck_assert_str_eq(mp_errmsg(), msg);                                                       \
    } while (0)

/* ---- reports from children over a pipe ---------------------------------------------------- */

typedef struct {
    int rd, wr;
} report_t;

static inline void report_open(report_t *r)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    r->rd = fds[0];
    r->wr = fds[1];
}

/* Child side: one line, written in one write(2) so lines of several children never mix. */
static inline void report(const report_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void report(const report_t *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(r->wr, buf, (size_t)n);
    (void)w;
}

/* Parent side: closes its write end, then reads everything the children write until EOF (all
 * writers gone) or `timeout` seconds pass. Returns a malloc'd NUL-terminated string. */
static inline char *report_collect(report_t *r, double timeout)
{
    if (r->wr >= 0)
        close(r->wr);
    r->wr = -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    double deadline = now_s() + timeout;
    for (;;) {
        double left = deadline - now_s();
        struct pollfd p = {.fd = r->rd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) == 0)
            break;
        if (len + 512 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(r->rd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* Parent side: reads one line (up to '\n'), waiting at most `timeout`. "" on timeout/EOF. */
static inline void report_line(report_t *r, char *line, size_t size, double timeout)
{
    size_t len = 0;
    double deadline = now_s() + timeout;
    while (len + 1 < size) {
        double left = deadline - now_s();
        struct pollfd p = {.fd = r->rd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            break;
        char c;
        if (read(r->rd, &c, 1) != 1 || c == '\n')
            break;
        line[len++] = c;
    }
    line[len] = '\0';
}

static inline void report_close(report_t *r)
{
    if (r->rd >= 0)
        close(r->rd);
    if (r->wr >= 0)
        close(r->wr);
    r->rd = r->wr = -1;
}

/* ---- processes as the OS sees them ---------------------------------------------------------- */

/* The state letter of /proc/PID/stat, or 0 when the pid is gone. A zombie ('Z') counts as gone:
 * an orphan may stay a zombie for a while under the machine's init (a container's init may
 * reap late, or never). */
static inline char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : 0;
}

static inline pid_t proc_ppid(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    int ppid = -1;
    if (rp)
        sscanf(rp + 2, "%*c %d", &ppid);
    return ppid;
}

static inline int proc_gone(pid_t pid)
{
    char s = proc_state(pid);
    return s == 0 || s == 'Z' || s == 'X';
}

/* Waits up to `timeout` for the pid to be gone; returns 1 if it is. */
static inline int proc_wait_gone(pid_t pid, double timeout)
{
    double deadline = now_s() + timeout;
    while (!proc_gone(pid)) {
        if (now_s() > deadline)
            return 0;
        sleep_s(0.01);
    }
    return 1;
}

/* ---- children ------------------------------------------------------------------------------ */

/* The one way the suites start and end children. A child is a libmp Process (so fork goes
 * through mp_process_start, as in a user's program) and never asserts: it reports through a
 * report_t above or through its exit code, and the test asserts on what it gets.
 *   child_start(target, ctx, daemon)  a Process running target(NULL, NULL, ctx)
 *   go(fn, arg)                       a Process whose exit code is fn(arg) (0: as expected)
 *   child_exit_code(p, timeout)       join (asserted to end in time), free; the exit code
 *   finish(p, timeout)                join, or kill past the timeout; free; the exit code
 *   kill_now(p)                       SIGKILL, and wait until the OS has it gone
 * A program that is not a Process (a Python peer, a main program that exits) is forked with
 * fork_flushed() and waited for with pid_wait(). */

/* Starts target(NULL, NULL, ctx) in a new Process. `ctx` is read in the child's copy of memory:
 * a pointer to the parent's stack is fine (fork copies it inside mp_process_start), pointers to
 * shared memory are shared. */
static inline mp_process_t *child_start(mp_target_t target, void *ctx, int daemon)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.ctx = ctx;
    o.daemon = daemon;
    ck_assert_mp(mp_process_new(&p, target, NULL, &o), 0);
    ck_assert_mp(mp_process_start(p), 0);
    return p;
}

typedef int (*job_fn)(void *arg);

struct job {
    job_fn fn;
    void *arg;
};

static inline void job_target(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k;
    const struct job *j = ctx;
    mp_exit(j->fn(j->arg));
}

/* Starts fn(arg) in a child, which exits with what fn returns. */
static inline mp_process_t *go(job_fn fn, void *arg)
{
    struct job j = {fn, arg}; /* copied into the child by fork, inside mp_process_start */
    return child_start(job_target, &j, 0);
}

/* Joins the child, asserting that it ends within `timeout`, and frees it. Returns its exit code
 * (negative: the signal that ended it). */
static inline int child_exit_code(mp_process_t *p, double timeout)
{
    int code = 1000;
    ck_assert_mp(mp_process_join(p, timeout), 0);
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    mp_process_free(p);
    return code;
}

/* Joins the child within `timeout` (killing it past that) and frees it. Returns its exit code
 * (negative: the signal that ended it), or 999 when it had to be killed. */
static inline int finish(mp_process_t *p, double timeout)
{
    int code = 999;
    if (mp_process_join(p, timeout) == MP_ETIMEDOUT) {
        mp_process_kill(p);
        mp_process_join(p, 5);
    } else {
        mp_process_exitcode(p, &code);
    }
    mp_process_free(p);
    return code;
}

/* SIGKILLs the child and waits until it is gone (it stays a zombie: nobody reaps it yet, which
 * is the hardest case for a liveness check); the handle is freed later with finish(). */
static inline void kill_now(mp_process_t *p)
{
    ck_assert_mp(mp_process_kill(p), 0);
    ck_assert(proc_wait_gone(mp_process_pid(p), 5));
}

/* fork(2) for a child that is not a Process, after flushing stdio (else what sits in a buffer
 * would be written twice, by both processes). */
static inline pid_t fork_flushed(void)
{
    fflush(NULL);
    return fork();
}

/* waitpid(2) until it answers: the wait status of `pid` (WIFEXITED and the others read it). */
static inline int pid_wait(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* A wait status as a shell says it: the exit code, or 128 + the signal that ended it. */
static inline int status_code(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- skips ---------------------------------------------------------------------------------- */

/* Marks the running test as skipped, with the reason: main.c counts it as a skip, not a pass,
 * and prints the reason (the test must then return without asserting anything else). */
static inline void mp_skip(const char *test, const char *why)
{
    const char *path = getenv("MP_SKIPS");
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0600) : -1;
    size_t n = strlen(test);
    if (n > 3 && strcmp(test + n - 3, "_fn") == 0) /* __func__ in a START_TEST body */
        n -= 3;
    if (fd >= 0) {
        dprintf(fd, "%.*s: %s\n", (int)n, test, why);
        close(fd);
    }
}

/* ---- children under every start method -------------------------------------------------------
 *
 * The suites of processes, daemons, connections, synchronisation and queues run under each
 * start method (main.c: `mp-conformance --start-method=spawn ...` makes it the default). A
 * child that must run under spawn and forkserver cannot read the parent's memory: its function
 * is registered by name and gets values and handles in its arguments:
 *
 *   static int release_it(mp_obj_t *a) { return mp_lock_release(arg_lock(a, 0)) == 0 ? 0 : 1; }
 *   JOB(release_it);
 *   ...  finish(GO(release_it, mp_build("(N)", mp_lock_obj(l))), 5)
 *
 * A child reports by its exit code (0: as expected), a flag (a Semaphore used as a counter,
 * below) or a Queue or Connection handed to it. A test that needs what only fork gives (a
 * pointer into the parent's memory, a plain fork()) starts with FORK_ONLY(), which skips it,
 * counted and said, under the other methods. */

/* Registers `int fn(mp_obj_t *args)` as a child job: the child's exit code is what it returns. */
#define JOB(fn)                                                                                    \
    static void fn##__job(mp_obj_t *a_, mp_obj_t *k_, void *c_)                                    \
    {                                                                                              \
        (void)k_, (void)c_;                                                                        \
        mp_exit(fn(a_));                                                                           \
    }                                                                                              \
    MP_TARGET(fn##__job)

/* Starts a JOB in a new Process, with `args` (a tuple, whose reference this takes: pass
 * mp_build()'s result directly). */
static inline mp_process_t *go_args(mp_target_t target, mp_obj_t *args, int daemon)
{
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.daemon = daemon;
    ck_assert_ptr_nonnull(args);
    ck_assert_mp(mp_process_new(&p, target, args, &o), 0);
    mp_obj_decref(args);
    ck_assert_mp(mp_process_start(p), 0);
    return p;
}
#define GO(fn, args) go_args(fn##__job, (args), 0)
#define GO_DAEMON(fn, args) go_args(fn##__job, (args), 1)

/* In a child: argument i as a number or a handle. A wrong argument gives 0 or NULL, and the
 * job's next call fails with MP_EINVAL, which the job reports. */
static inline mp_obj_t *arg_at(mp_obj_t *a, size_t i)
{
    size_t n = 0;
    return mp_obj_len(a, &n) == 0 && i < n ? mp_tuple_get(a, i) : NULL;
}
static inline long arg_long(mp_obj_t *a, size_t i)
{
    long v = 0;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "l", &v) == 0 ? v : 0;
}
static inline double arg_double(mp_obj_t *a, size_t i)
{
    double v = 0;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "d", &v) == 0 ? v : 0;
}
#define MP__ARG_HANDLE(name, type, as)                                                             \
    static inline type *arg_##name(mp_obj_t *a, size_t i)                                          \
    {                                                                                              \
        type *h = NULL;                                                                            \
        mp_obj_t *o = arg_at(a, i);                                                                \
        return o && as(o, &h) == 0 ? h : NULL;                                                     \
    }
MP__ARG_HANDLE(lock, mp_lock_t, mp_obj_as_lock)
MP__ARG_HANDLE(sem, mp_sem_t, mp_obj_as_sem)
MP__ARG_HANDLE(cond, mp_cond_t, mp_obj_as_cond)
MP__ARG_HANDLE(event, mp_event_t, mp_obj_as_event)
MP__ARG_HANDLE(barrier, mp_barrier_t, mp_obj_as_barrier)
MP__ARG_HANDLE(queue, mp_queue_t, mp_obj_as_queue)
MP__ARG_HANDLE(squeue, mp_squeue_t, mp_obj_as_squeue)
MP__ARG_HANDLE(conn, mp_conn_t, mp_obj_as_conn)

/* The start method the suites run under ("fork" unless main.c was told otherwise). */
static inline const char *start_method(void)
{
    const mp_context_t *c = NULL;
    mp_get_context(NULL, &c);
    return mp_context_start_method(c);
}

/* Skips the running test unless the suites run under fork: for what only fork can do. */
#define FORK_ONLY()                                                                                \
    do {                                                                                           \
        if (strcmp(start_method(), "fork") != 0) {                                                 \
            mp_skip(__func__, "needs the fork start method");                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Skips a test of data volume (gigabytes through a pipe or a ring) unless the suites run under
 * fork: what it checks does not depend on how the child started, and the fork run covers it,
 * at a cost of seconds each time. */
#define VOLUME_FORK_ONLY()                                                                         \
    do {                                                                                           \
        if (strcmp(start_method(), "fork") != 0) {                                                 \
            mp_skip(__func__, "a test of data volume, which the start method does not change: "    \
                              "the fork run covers it");                                           \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A progress flag children reach under every start method: a Semaphore used as a counter
 * (flag_raise adds one; flag_wait waits until it counts `value`). Pass it with mp_sem_obj(). */
static inline mp_sem_t *flag_new(void)
{
    mp_sem_t *s = NULL;
    ck_assert_mp(mp_sem_new(&s, 0), 0);
    return s;
}
static inline int flag_raise(mp_sem_t *s)
{
    return mp_sem_release(s);
}
static inline int flag_wait(mp_sem_t *s, long value, double timeout)
{
    double deadline = now_s() + timeout;
    int v;
    while ((v = mp_sem_get_value(s)) >= 0 && v < value) {
        if (now_s() > deadline)
            return 0;
        sleep_s(0.001);
    }
    return v >= value;
}

/* ---- fixtures -------------------------------------------------------------------------------- */

/* Check's runner catches SIGTERM and SIGINT to kill the whole test group, and a forked test
 * inherits that handler, as do the children the test starts. A child terminated on purpose
 * would then take the test down with it; so each test starts with the default dispositions, as
 * a fresh program does. */
static inline void default_signals(void)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
}

/* A tcase with the fixture above and a timeout. */
static inline TCase *mp_tcase(const char *name, double timeout)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, default_signals, NULL);
    tcase_set_timeout(tc, timeout);
    return tc;
}

#endif /* MP_CONFORMANCE_HELPERS_H */
