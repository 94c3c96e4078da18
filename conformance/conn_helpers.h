/* Helpers of the Connection suite: children that send, and assertions on what arrives.
 *
 * Children run under every start method (helpers.h, "children under every start method"): a
 * child gets its end of a pipe in its arguments (mp_conn_obj()), never through `ctx`. Job names
 * are program-wide (MP_TARGET), so each file defines its own jobs, named conn_*. */
#ifndef MP_CONFORMANCE_CONN_HELPERS_H
#define MP_CONFORMANCE_CONN_HELPERS_H

#include "helpers.h"

/* The tcases of test_connection_wire.c and test_connection_wait.c. */
TCase *mp_tcase_connection_wire(void);
TCase *mp_tcase_connection_wait(void);

/* In a child: argument i as bytes (borrowed from the arguments); NULL if it is not bytes. */
static inline const char *arg_bytes(mp_obj_t *a, size_t i, size_t *len)
{
    const char *s = NULL;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "y#", &s, len) == 0 ? s : NULL;
}

/* In a child: waits (30 s at most) for the go of the flag in argument i; 0 once given. A child
 * whose delay a test measures starts it only then: the test reads its clock and then raises the
 * flag, so the delay it sees is never shortened by the time start() took to return (under
 * forkserver the child runs before the server's reply reaches the parent). */
static inline int wait_go(mp_obj_t *a, size_t i)
{
    return mp_sem_acquire(arg_sem(a, i), 1, 30);
}

/* Starts a JOB with `args` (GO()); then closes the parent's copy of `child_end` (if any), as
 * every CPython test does, so that end of file can be seen. The child has its own copy: the
 * end went to it in `args` when it started. */
static inline mp_process_t *start_child_args(mp_target_t job, mp_obj_t *args, mp_conn_t *child_end)
{
    mp_process_t *p = go_args(job, args, 0);
    if (child_end)
        mp_conn_close(child_end);
    return p;
}
#define START_CHILD(fn, args, child_end) start_child_args(fn##__job, (args), (child_end))

/* Joins the child and asserts it exited 0. */
static inline void finish_child(mp_process_t *p)
{
    ck_assert_int_eq(child_exit_code(p, 30), 0);
}

static inline void expect_bytes(mp_conn_t *c, const void *want, size_t n)
{
    void *data = NULL;
    size_t len = 0;
    ck_assert_mp(mp_conn_recv_bytes(c, &data, &len, MP_SIZE_NONE), 0);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(memcmp(data, want, n), 0);
    free(data);
}

static inline void expect_obj(mp_conn_t *c, const mp_obj_t *want)
{
    mp_obj_t *got = NULL;
    ck_assert_mp(mp_conn_recv(c, &got), 0);
    char *gr = mp_repr(got), *wr = mp_repr(want);
    ck_assert_msg(mp_obj_equal(got, want), "received %s, expected %s", gr, wr);
    free(gr);
    free(wr);
    mp_obj_decref(got);
}

#endif /* MP_CONFORMANCE_CONN_HELPERS_H */
