/* Helpers of the Connection suite: children that send, and assertions on what arrives. */
#ifndef MP_CONFORMANCE_CONN_HELPERS_H
#define MP_CONFORMANCE_CONN_HELPERS_H

#include "helpers.h"

/* The tcases of test_connection_wire.c and test_connection_wait.c. */
TCase *mp_tcase_connection_wire(void);
TCase *mp_tcase_connection_wait(void);

/* What t_send_later sends: `len` bytes of `text` after `delay` seconds, `times` times. */
struct sender {
    mp_conn_t *conn;
    double delay;
    const char *text;
    int times;
    size_t len; /* 0: strlen(text) */
};

static inline void t_send_later(mp_obj_t *args, mp_obj_t *kw, void *ctx)
{
    (void)args, (void)kw;
    struct sender *s = ctx;
    sleep_s(s->delay);
    for (int i = 0; i < s->times; i++)
        if (mp_conn_send_bytes(s->conn, s->text, s->len ? s->len : strlen(s->text)) < 0)
            mp_exit(1);
}

/* Starts a child running target(ctx); then closes the parent's copy of `child_end` (if any),
 * as every CPython test does, so that end of file can be seen. */
static inline mp_process_t *start_child(mp_target_t target, void *ctx, mp_conn_t *child_end)
{
    mp_process_t *p = child_start(target, ctx, 0);
    if (child_end)
        mp_conn_close(child_end);
    return p;
}

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
