/* Suite "Connection", tcase "wait": multiprocessing.connection.wait() over ends and process
 * sentinels, its timeouts, and more descriptors than select() can take. Catalogue WAIT (the
 * docs' Spec page). */
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conn_helpers.h"

START_TEST(WAIT_01_timeouts)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_waitable_t objs[] = {MP_WAIT_CONN(a)};
    unsigned char ready[1];
    double t0 = now_s();
    ck_assert_int_eq(mp_wait(objs, 1, 0.2, ready), 0);
    ck_assert_elapsed(now_s() - t0, 0.2);
    t0 = now_s();
    ck_assert_int_eq(mp_wait(objs, 1, -1, ready), 0);
    ck_assert_immediate(now_s() - t0);
    ck_assert_int_eq(ready[0], 0);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

/* Sleeps 1 s after the go of the flag in argument 0. */
static int conn_sleep1(mp_obj_t *a)
{
    if (wait_go(a, 0) < 0)
        return 1;
    sleep_s(1.0);
    return 0;
}
JOB(conn_sleep1);

START_TEST(WAIT_02_sentinel_and_ends)
{
    mp_conn_t *a, *b;
    ck_assert_mp(mp_pipe(&a, &b, 1), 0);
    mp_sem_t *go = flag_new();
    mp_process_t *p = START_CHILD(conn_sleep1, mp_build("(N)", mp_sem_obj(go)), NULL);
    mp_waitable_t objs[] = {MP_WAIT_CONN(a), MP_WAIT_FD(mp_process_sentinel(p)), MP_WAIT_CONN(b)};
    unsigned char ready[3];
    double t0 = now_s();
    ck_assert_mp(flag_raise(go), 0);
    ck_assert_int_eq(mp_wait(objs, 3, 23, ready), 1);
    ck_assert_elapsed(now_s() - t0, 1.0);
    ck_assert(!ready[0] && ready[1] && !ready[2]);
    ck_assert_mp(mp_conn_send_bytes(a, "x", 1), 0);
    t0 = now_s();
    ck_assert_int_eq(mp_wait(objs, 3, 23, ready), 2);
    ck_assert(!ready[0] && ready[1] && ready[2]);
    ck_assert_mp(mp_conn_send_bytes(b, "y", 1), 0);
    ck_assert_int_eq(mp_wait(objs, 3, 23, ready), 3);
    ck_assert_msg(now_s() - t0 < 0.4, "took %.3f s", now_s() - t0);
    finish_child(p);
    mp_sem_free(go);
    mp_conn_free(a);
    mp_conn_free(b);
}
END_TEST

/* Sends "<id>:0" to "<id>:9" on the end in argument 0 (id: argument 1), then closes it. */
static int conn_send_ten(mp_obj_t *a)
{
    mp_conn_t *c = arg_conn(a, 0);
    long id = arg_long(a, 1);
    for (int i = 0; i < 10; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "%ld:%d", id, i);
        if (mp_conn_send_bytes(c, msg, (size_t)n) < 0)
            return 1;
        if (i % 4 == 0)
            sleep_s(0.01);
    }
    return mp_conn_close(c) < 0 ? 1 : 0;
}
JOB(conn_send_ten);

START_TEST(WAIT_03_collect_from_four)
{
    enum { N = 4 };
    mp_conn_t *r[N], *w[N];
    mp_process_t *p[N];
    for (int i = 0; i < N; i++) {
        ck_assert_mp(mp_pipe(&r[i], &w[i], 0), 0);
        p[i] = START_CHILD(conn_send_ten, mp_build("(N i)", mp_conn_obj(w[i]), i), w[i]);
    }
    int next[N] = {0}, open = N, total = 0;
    while (open > 0) {
        mp_waitable_t objs[N];
        int idx[N], n = 0;
        for (int i = 0; i < N; i++)
            if (!mp_conn_closed(r[i])) {
                idx[n] = i;
                objs[n++] = MP_WAIT_CONN(r[i]);
            }
        unsigned char ready[N];
        ck_assert_int_gt(mp_wait(objs, (size_t)n, 10, ready), 0);
        for (int j = 0; j < n; j++) {
            if (!ready[j])
                continue;
            int i = idx[j];
            void *data;
            size_t len;
            int rc = mp_conn_recv_bytes(r[i], &data, &len, MP_SIZE_NONE);
            if (rc == MP_EOF) {
                mp_conn_close(r[i]);
                open--;
                continue;
            }
            ck_assert_mp(rc, 0);
            char want[16];
            snprintf(want, sizeof want, "%d:%d", i, next[i]++);
            ck_assert_uint_eq(len, strlen(want));
            ck_assert_int_eq(memcmp(data, want, len), 0);
            free(data);
            total++;
        }
    }
    ck_assert_int_eq(total, 40);
    for (int i = 0; i < N; i++) {
        finish_child(p[i]);
        mp_conn_free(r[i]);
        mp_conn_free(w[i]);
    }
}
END_TEST

/* poll(2), not select(2): no FD_SETSIZE limit. 1,100 pipes, the last one ready. */
START_TEST(LIBMP_14_wait_on_1100)
{
    enum { N = 1100 };
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < 2 * N + 64) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < 2 * N + 64) {
        mp_skip("LIBMP_14_wait_on_1100", "the file descriptor limit is below 2,264");
        return;
    }
    mp_conn_t **r = calloc(N, sizeof *r), **w = calloc(N, sizeof *w);
    mp_waitable_t *objs = calloc(N, sizeof *objs);
    unsigned char *ready = calloc(N, 1);
    for (int i = 0; i < N; i++) {
        ck_assert_mp(mp_pipe(&r[i], &w[i], 0), 0);
        objs[i] = MP_WAIT_CONN(r[i]);
    }
    ck_assert_int_gt(mp_conn_fileno(r[N - 1]), 1024);
    ck_assert_mp(mp_conn_send_bytes(w[N - 1], "last", 4), 0);
    ck_assert_int_eq(mp_wait(objs, N, 1, ready), 1);
    ck_assert_int_eq(ready[N - 1], 1);
    ck_assert_int_eq(ready[0], 0);
    for (int i = 0; i < N; i++) {
        mp_conn_free(r[i]);
        mp_conn_free(w[i]);
    }
    free(r);
    free(w);
    free(objs);
    free(ready);
}
END_TEST

TCase *mp_tcase_connection_wait(void)
{
    TCase *tc = mp_tcase("wait", 60);
    tcase_add_test(tc, WAIT_01_timeouts);
    tcase_add_test(tc, WAIT_02_sentinel_and_ends);
    tcase_add_test(tc, WAIT_03_collect_from_four);
    tcase_add_test(tc, LIBMP_14_wait_on_1100);
    return tc;
}
