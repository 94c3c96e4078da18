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
#include <time.h>
#include <unistd.h>

#include <mp.h>

/* SPEC 0.3 tolerances. The sanitizer and coverage runs set MP_TIME_SCALE (e.g. 4): their
 * processes start and exit several times slower, and those runs look for memory errors and
 * coverage, not for timing; the plain run keeps SPEC's figures. */
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

/* Asserts that `elapsed` is `expected` seconds within SPEC's tolerance. */
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
 * an orphan may stay a zombie for a while under the machine's init (DESIGN.md, Tests). */
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


/* ---- skips ---------------------------------------------------------------------------------- */

/* Marks the running test as skipped, with the reason: main.c counts it as a skip, not a pass,
 * and prints the reason (the test must then return without asserting anything else). */
static inline void mp_skip(const char *test, const char *why)
{
    const char *path = getenv("MP_SKIPS");
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0600) : -1;
    if (fd >= 0) {
        dprintf(fd, "%s: %s\n", test, why);
        close(fd);
    }
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
