/* Helpers of the Process and Daemon suites (test_process*.c, test_daemon.c), on top of
 * helpers.h: report lines that reach the test from children under every start method.
 *
 * helpers.h's report_t is a pipe a forked child inherits; a spawned child inherits nothing it
 * was not given. A chan_t is the same pipe made as a Connection pair (mp_pipe(duplex=0)), so
 * its write end travels in a child's arguments as a handle (mp_conn_obj). The child writes
 * report() lines on that end's descriptor, one write(2) each, as before: raw writes keep
 * report() async-signal-safe (the daemon suite reports from a SIGTERM handler) and let a child
 * send its stderr there with dup2. Nobody calls mp_conn_send or mp_conn_recv on a chan_t, so
 * the Connection framing never meets these bytes. */
#ifndef MP_CONFORMANCE_PROCESS_HELPERS_H
#define MP_CONFORMANCE_PROCESS_HELPERS_H

#include "helpers.h"

typedef struct {
    mp_conn_t *rd, *wr;
    report_t r; /* the two descriptors, for report_line() and report_collect() */
} chan_t;

static inline void chan_open(chan_t *c)
{
    ck_assert_mp(mp_pipe(&c->rd, &c->wr, 0), 0);
    c->r.rd = mp_conn_fileno(c->rd);
    c->r.wr = mp_conn_fileno(c->wr);
}

/* The write end as a value for a child's arguments (a new reference: pass it with "N"). */
static inline mp_obj_t *chan_obj(chan_t *c)
{
    return mp_conn_obj(c->wr);
}

/* The read end as a value, for a child that waits on the channel itself (DMN-11's owner). */
static inline mp_obj_t *chan_rd_obj(chan_t *c)
{
    return mp_conn_obj(c->rd);
}

/* Parent: drops its own write end once the children have theirs, so that the read end sees
 * EOF when every child's copy is gone. */
static inline void chan_drop_writer(chan_t *c)
{
    mp_conn_free(c->wr);
    c->wr = NULL;
    c->r.wr = -1;
}

/* Parent: everything written until EOF or `timeout` (report_collect, writer dropped first). */
static inline char *chan_collect(chan_t *c, double timeout)
{
    if (c->wr)
        chan_drop_writer(c);
    return report_collect(&c->r, timeout);
}

static inline void chan_close(chan_t *c)
{
    mp_conn_free(c->rd);
    mp_conn_free(c->wr);
    c->rd = c->wr = NULL;
    c->r.rd = c->r.wr = -1;
}

/* In a child: argument i, a Connection end, as a report_t to write on (wr -1 if it is not one:
 * report() then writes nothing and the test sees a missing line). */
static inline report_t arg_report(mp_obj_t *a, size_t i)
{
    mp_conn_t *c = arg_conn(a, i);
    report_t r = {-1, c ? mp_conn_fileno(c) : -1};
    return r;
}

/* In a child: argument i as a string ("" if it is not one). */
static inline const char *arg_str(mp_obj_t *a, size_t i)
{
    const char *s = NULL;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "s", &s) == 0 ? s : "";
}

/* In a child: starts a registered target with `args` (this takes the reference), without
 * asserting (a child never asserts). Returns the started Process, or NULL. */
static inline mp_process_t *child_go(mp_target_t target, mp_obj_t *args, int daemon)
{
    mp_process_t *p = NULL;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.daemon = daemon;
    if (!args)
        return NULL;
    int rc = mp_process_new(&p, target, args, &o);
    mp_obj_decref(args);
    if (rc < 0)
        return NULL;
    if (mp_process_start(p) < 0) {
        mp_process_free(p);
        return NULL;
    }
    return p;
}

/* Skips the running test under forkserver, for a fact about the test process being its
 * children's parent in the OS (fork and spawn children are; a fork server's are the server's,
 * which reaps them and relays their status). helpers.h's FORK_ONLY() would skip spawn too. */
#define OWN_CHILDREN_ONLY()                                                                        \
    do {                                                                                           \
        if (strcmp(start_method(), "forkserver") == 0) {                                           \
            mp_skip(__func__, "needs children the test process forks itself (fork, spawn)");       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif /* MP_CONFORMANCE_PROCESS_HELPERS_H */
