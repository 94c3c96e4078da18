/* Suite "Queue", tcase "extensions": what libmp's queues promise beyond CPython's (queues.h):
 * nothing lost when a producer exits at once, no join-before-drain deadlock, 256 MiB values, an
 * "unbounded" queue of 1 GiB that costs only what it holds, the end of the producers (MP_EOF), raw
 * byte messages, and the argument checks. */
#include <signal.h>

#include "queue_helpers.h"

#define MiB ((size_t)1 << 20)

/* Child, args of range_args(): put_range() of queue_helpers.h. */
static int qx_put_range(mp_obj_t *a)
{
    return put_range(a);
}
JOB(qx_put_range);

/* Child, args of range_args(): puts its items, then dies at once by SIGKILL: no exit processing
 * of any kind runs. */
static int qx_put_range_and_die(mp_obj_t *a)
{
    if (put_range(a) != 0)
        return 1;
    raise(SIGKILL);
    return 2;
}
JOB(qx_put_range_and_die);

START_TEST(LIBMP_Q01_producer_that_exits_at_once_loses_nothing)
{
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_int_eq(finish(GO(qx_put_range_and_die, range_args(q, 0, 0, 1000)), 10), -SIGKILL);
    ck_assert_int_eq(finish(GO(qx_put_range, range_args(q, 0, 1000, 1000)), 10), 0);
    for (int i = 0; i < 2000; i++)
        ck_get_int(q, i, 0);
    ck_assert_int_eq(mp_queue_empty(q), 1);
    mp_queue_free(q);
}
END_TEST

/* The arguments of a child that puts `n` messages of `size` bytes. */
static mp_obj_t *blob_args(mp_queue_t *q, long n, size_t size)
{
    return mp_build("(Nlk)", mp_queue_obj(q), n, (unsigned long)size);
}

/* Child, args of blob_args(): puts `n` blobs of `size` bytes (byte j of blob i is
 * (i + j) & 0xff), then `n` ints. */
static int qx_put_blobs(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    long n = arg_long(a, 1);
    size_t size = (size_t)arg_long(a, 2);
    unsigned char *buf = malloc(size);
    if (!buf)
        return 1;
    for (long i = 0; i < n; i++) {
        for (size_t j = 0; j < size; j++)
            buf[j] = (unsigned char)(i + (int64_t)j);
        mp_obj_t *o = mp_bytes(buf, size);
        int rc = mp_queue_put(q, o, 1, 30);
        mp_obj_decref(o);
        if (rc != 0)
            return 2;
    }
    free(buf);
    for (long i = 0; i < n; i++)
        if (qput_int(q, i, 1, 30) != 0)
            return 3;
    return 0;
}
JOB(qx_put_blobs);

static void ck_blob(mp_queue_t *q, int64_t i, size_t size)
{
    mp_obj_t *o;
    size_t n;
    ck_assert_mp(mp_queue_get(q, &o, 1, 30), 0);
    const unsigned char *d = mp_bytes_data(o, &n);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, size);
    size_t bad = 0;
    for (size_t j = 0; j < n; j++)
        bad += d[j] != (unsigned char)(i + (int64_t)j);
    ck_assert_uint_eq(bad, 0);
    mp_obj_decref(o);
}

START_TEST(LIBMP_Q02_joining_a_child_before_draining_its_queue_does_not_deadlock)
{
    /* CPython: the child cannot exit until its feeder has flushed 16 MiB into a 64 KiB pipe,
     * so p.join() before q.get() waits for ever (CPython's
     * programming guidelines, "Joining processes that use queues"). */
    mp_queue_t *q;
    double took;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(qx_put_blobs, blob_args(q, 4, 4 * MiB));
    ck_assert_int_eq(TIMED(took, finish(p, 10)), 0);
    ck_assert_msg(took < 5, "join took %.2f s", took);
    for (int i = 0; i < 4; i++)
        ck_blob(q, i, 4 * MiB);
    for (int i = 0; i < 4; i++)
        ck_get_int(q, i, 0);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q03_a_value_of_256_MiB_passes)
{
    VOLUME_FORK_ONLY();
    mp_queue_t *q;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(qx_put_blobs, blob_args(q, 1, 256 * MiB));
    ck_blob(q, 0, 256 * MiB);
    ck_get_int(q, 0, 10);
    ck_assert_int_eq(finish(p, 30), 0);
    mp_queue_stats_t st;
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_msg(st.memory <= 2 * MiB, "the drained queue still holds %zu bytes", st.memory);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q04_a_message_larger_than_the_ring_is_refused)
{
    mp_queue_t *q;
    mp_queue_opts_t o = MP_QUEUE_OPTS_INIT;
    o.ring_bytes = 1000; /* rounded up to the smallest ring */
    ck_assert_mp(mp_queue_new_ex(&q, 0, &o), 0);
    mp_queue_stats_t st;
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_eq(st.ring_bytes, MP_QUEUE_RING_MIN);
    size_t most = MP_QUEUE_RING_MIN - 8; /* the ring holds one message of its size less 8 */
    char *buf = calloc(1, most + 1);
    void *got;
    size_t len;
    ck_assert_mp(mp_queue_put_bytes(q, buf, most + 1, 1, 1), MP_EMSGSIZE);
    ck_assert_msg(strstr(mp_errmsg(), "does not fit in the queue's ring"), "%s", mp_errmsg());
    ck_qsize(q, 0);
    ck_assert_mp(mp_queue_put_bytes(q, buf, most, 0, 0), 0);
    ck_assert_mp(mp_queue_put_bytes(q, "x", 1, 0, 0), MP_EFULL); /* the ring is full */
    ck_assert_mp(mp_queue_get_bytes(q, &got, &len, 0, 0), 0);
    ck_assert_uint_eq(len, most);
    free(got);
    ck_assert_mp(mp_queue_put_bytes(q, "x", 1, 0, 0), 0); /* still usable */
    ck_qsize(q, 1);
    free(buf);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q05_unbounded_queue_holds_1_GiB_and_costs_only_what_is_pending)
{
    VOLUME_FORK_ONLY();
    enum { N = 64 };
    size_t size = 16 * MiB;
    mp_queue_t *q;
    mp_queue_stats_t st;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_ge(st.ring_bytes, 1024 * MiB);
    ck_assert_msg(st.memory <= 8192, "a new queue holds %zu bytes", st.memory);
    char *buf = malloc(size);
    for (int i = 0; i < N; i++) {
        memset(buf, 'a' + i % 26, size);
        ck_assert_mp(mp_queue_put_bytes(q, buf, size, 0, 0), 0); /* never full, never waits */
    }
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_eq(st.items, N);
    ck_assert_uint_eq(st.bytes, N * (size + 8));
    ck_assert_msg(st.memory >= N * size && st.memory <= N * size + 3 * MiB,
                  "1 GiB pending holds %zu bytes", st.memory);
    for (int i = 0; i < N; i++) {
        void *got;
        size_t len;
        ck_assert_mp(mp_queue_get_bytes(q, &got, &len, 0, 0), 0);
        ck_assert_uint_eq(len, size);
        ck_assert_int_eq(((char *)got)[size - 1], 'a' + i % 26);
        free(got);
        if (i == N / 2) {
            ck_assert_mp(mp_queue_stats(q, &st), 0);
            ck_assert_msg(st.memory <= (N - i) * size + 3 * MiB, "%d MiB pending hold %zu bytes",
                          (N - i - 1) * 16, st.memory);
        }
    }
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_msg(st.memory <= MiB + 4096, "the drained queue holds %zu bytes", st.memory);
    free(buf);
    mp_queue_free(q);
}
END_TEST

/* Child, args of blob_args(): streams `n` messages of `size` bytes through a queue of
 * maxsize 4. */
static int qx_stream_blobs(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    long n = arg_long(a, 1);
    size_t size = (size_t)arg_long(a, 2);
    char *buf = calloc(1, size);
    for (long i = 0; i < n; i++)
        if (mp_queue_put_bytes(q, buf, size, 1, 30) != 0)
            return 1;
    free(buf);
    return 0;
}
JOB(qx_stream_blobs);

START_TEST(LIBMP_Q06_streaming_memory_follows_what_is_pending)
{
    mp_queue_t *q;
    mp_queue_stats_t st;
    size_t most = 0;
    ck_assert_mp(mp_queue_new(&q, 4), 0);
    mp_process_t *p = GO(qx_stream_blobs, blob_args(q, 300, MiB));
    for (int i = 0; i < 300; i++) {
        void *got;
        size_t len;
        ck_assert_mp(mp_queue_get_bytes(q, &got, &len, 1, 30), 0);
        free(got);
        ck_assert_mp(mp_queue_stats(q, &st), 0);
        most = st.memory > most ? st.memory : most;
    }
    ck_assert_int_eq(finish(p, 30), 0);
    /* 4 pending MiB, the MiB being written, the MiB kept, whole-MiB rounding and the header */
    ck_assert_msg(most <= 9 * MiB, "300 MiB streamed 4 at a time held up to %zu bytes", most);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q07_get_reports_the_end_of_every_producer)
{
    mp_queue_t *q;
    double took;
    int64_t v;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *pa = GO(qx_put_range, range_args(q, 0, 0, 10));
    mp_process_t *pb = GO(qx_put_range_and_die, range_args(q, 0, 10, 10));
    mp_process_t *pc = GO(qx_put_range, range_args(q, 0.5, 20, 10));
    ck_assert_mp(mp_queue_close_put(q), 0); /* the consumer will not put: the end can come */
    ck_assert_mp(qput_int(q, 99, 1, 0), MP_ECLOSED);
    int seen[30] = {0};
    double t0 = now_s();
    for (int i = 0; i < 30; i++) {
        ck_assert_mp(qget_int(q, &v, 1, 10), 0);
        ck_assert(v >= 0 && v < 30 && !seen[v]);
        seen[v] = 1;
    }
    ck_assert_mp(TIMED(took, qget_int(q, &v, 1, 10)), MP_EOF);
    ck_assert_msg(now_s() - t0 >= 0.49, "MP_EOF before the last producer had put");
    ck_assert_msg(took < 0.3, "MP_EOF took %.3f s after the last message", took);
    ck_assert_str_eq(mp_exception_name(MP_EOF), "EOFError");
    ck_assert_mp(qget_int(q, &v, 0, 0), MP_EOF);
    ck_assert_int_eq(finish(pa, 10), 0);
    ck_assert_int_eq(finish(pb, 10), -SIGKILL);
    ck_assert_int_eq(finish(pc, 10), 0);
    mp_queue_free(q);
}
END_TEST

/* Child, args (queue): exit 0 when a put is refused with MP_ECLOSED (the put side was closed
 * before the child started). */
static int qx_put_is_refused(mp_obj_t *a)
{
    return qput_int(arg_queue(a, 0), 1, 1, 0) == MP_ECLOSED ? 0 : 1;
}
JOB(qx_put_is_refused);

START_TEST(LIBMP_Q08_the_put_side_is_inherited_like_a_pipe_end)
{
    mp_queue_t *q;
    int64_t v;
    double took;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    /* started while we hold the put side */
    mp_process_t *before = GO(qx_put_range, range_args(q, 0.3, 7, 1));
    ck_assert_mp(mp_queue_close_put(q), 0);
    ck_assert_mp(mp_queue_close_put(q), 0);
    ck_assert_int_eq(finish(GO(qx_put_is_refused, mp_build("(N)", mp_queue_obj(q))), 10), 0);
    ck_assert_mp(TIMED(took, qget_int(q, &v, 1, 5)), 0); /* not MP_EOF: `before` may put */
    ck_assert_int_eq(v, 7);
    ck_assert_msg(took > 0.2, "the get did not wait for the child's put");
    ck_assert_int_eq(finish(before, 10), 0);
    ck_assert_mp(qget_int(q, &v, 1, 5), MP_EOF);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q09_byte_messages)
{
    mp_queue_t *q;
    void *got;
    size_t len;
    mp_obj_t *o;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_queue_put_bytes(q, NULL, 0, 1, 0), 0);
    ck_assert_mp(mp_queue_put_bytes(q, "hello", 5, 1, 0), 0);
    ck_assert_mp(mp_queue_put_bytes(q, "junk", 4, 1, 0), 0);
    o = mp_int(5);
    ck_assert_mp(mp_queue_put(q, o, 1, 0), 0);
    mp_obj_decref(o);
    ck_assert_mp(mp_queue_get_bytes(q, &got, &len, 1, 0), 0);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, 0);
    free(got);
    char small[8];
    ck_assert_mp(mp_queue_get_bytes_into(q, small, 4, &len, 1, 0), MP_EMSGSIZE);
    ck_assert_uint_eq(len, 5); /* the room it needs; it stays in the queue */
    ck_assert_mp(mp_queue_get_bytes_into(q, small, sizeof small, &len, 1, 0), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(small, "hello", 5), 0);
    ck_assert_mp(mp_queue_get(q, &o, 1, 0), MP_EDECODE); /* not a pickle: consumed anyway */
    ck_assert_ptr_null(o);
    ck_assert_mp(mp_queue_get_bytes(q, &got, &len, 1, 0), 0); /* the pickle of 5 */
    ck_assert_uint_ge(len, 4);
    ck_assert_int_eq(((unsigned char *)got)[0], 0x80);
    ck_assert_int_eq(((unsigned char *)got)[len - 1], '.');
    free(got);
    ck_assert_int_eq(mp_queue_empty(q), 1);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q10_argument_checks)
{
    mp_queue_t *q, *jq, *bad = (mp_queue_t *)1;
    mp_obj_t *o, *one = mp_int(1);
    void *got;
    size_t len;
    mp_queue_opts_t opts = MP_QUEUE_OPTS_INIT;
    ck_assert_mp(mp_queue_new(NULL, 0), MP_EINVAL);
    opts.ring_bytes = (size_t)2 << 40;
    ck_assert_mp(mp_queue_new_ex(&bad, 0, &opts), MP_EINVAL);
    ck_assert_ptr_null(bad);
    opts.ring_bytes = 0;
    opts.protocol = 6;
    ck_assert_mp(mp_queue_new_ex(&bad, 0, &opts), MP_EINVAL);
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_jqueue_new(&jq, 0), 0);
    ck_assert_mp(mp_queue_put(NULL, one, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_put(q, NULL, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_put(q, one, 1, NAN), MP_EINVAL);
    ck_assert_mp(mp_queue_put(q, one, 0, NAN), 0); /* block 0 ignores the timeout */
    ck_assert_mp(mp_queue_get(q, NULL, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_get(q, &o, 1, NAN), MP_EINVAL);
    ck_assert_mp(mp_queue_get(q, &o, 0, NAN), 0);
    mp_obj_decref(o);
    ck_assert_mp(mp_queue_put_bytes(q, NULL, 1, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_get_bytes(q, &got, NULL, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_get_bytes(q, NULL, &len, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_get_bytes_into(q, NULL, 1, &len, 1, 0), MP_EINVAL);
    ck_assert_mp(mp_queue_get_bytes_into(q, &len, sizeof len, NULL, 1, 0), MP_EINVAL);
    ck_assert_int_eq(mp_queue_qsize(NULL), MP_EINVAL);
    ck_assert_mp(mp_queue_empty(NULL), MP_EINVAL);
    ck_assert_mp(mp_queue_close(NULL), MP_EINVAL);
    ck_assert_mp(mp_queue_close_put(NULL), MP_EINVAL);
    ck_assert_mp(mp_queue_stats(q, NULL), MP_EINVAL);
    ck_assert_mp(mp_jqueue_task_done(q), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "not a JoinableQueue");
    ck_assert_mp(mp_jqueue_join(q, 0), MP_EINVAL);
    ck_assert_mp(mp_jqueue_join(jq, NAN), MP_EINVAL);
    mp_queue_free(NULL);
    mp_queue_free(q);
    mp_queue_free(jq);
    mp_obj_decref(one);
}
END_TEST

/* Child, args (joinable queue): gets one task, works 0.3 s, marks it done. */
static int qx_slow_task(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    int64_t v;
    if (qget_int(q, &v, 1, 10) != 0)
        return 1;
    sleep_s(0.3);
    return mp_jqueue_task_done(q) == 0 ? 0 : 2;
}
JOB(qx_slow_task);

START_TEST(LIBMP_Q11_joinable_join_with_a_timeout)
{
    mp_queue_t *q;
    double took;
    mp_queue_stats_t st;
    ck_assert_mp(mp_jqueue_new(&q, 0), 0);
    /* The child waits for the task first: the 0.3 s of work then start at our put, not at the
     * child's start, which a forkserver child may reach before mp_process_start() returns. */
    mp_process_t *p = GO(qx_slow_task, mp_build("(N)", mp_queue_obj(q)));
    ck_assert_mp(qput_int(q, 1, 1, 0), 0);
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_eq(st.unfinished, 1); /* a task taken is unfinished until task_done */
    ck_assert_mp(TIMED(took, mp_jqueue_join(q, 0.1)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.1);
    ck_assert_mp(TIMED(took, mp_jqueue_join(q, 5)), 0);
    ck_assert_elapsed(took, 0.2);
    ck_assert_int_eq(finish(p, 10), 0);
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_eq(st.unfinished, 0);
    mp_queue_free(q);
}
END_TEST

/* Child, args (queue): gets one message; 0 if it got one. */
static int qx_get_report(mp_obj_t *a)
{
    int64_t v;
    return qget_int(arg_queue(a, 0), &v, 1, 5) == 0 ? 0 : 1;
}
JOB(qx_get_report);

START_TEST(LIBMP_Q12_a_burst_wakes_every_sleeping_getter_and_putter)
{
    enum { N = 4 };
    mp_queue_t *q;
    mp_process_t *p[N];
    int64_t v;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    for (int i = 0; i < N; i++)
        p[i] = GO(qx_get_report, mp_build("(N)", mp_queue_obj(q)));
    sleep_s(0.2); /* every getter asleep */
    double t0 = now_s();
    for (int i = 0; i < N; i++) /* one burst: each woken getter wakes the next */
        ck_assert_mp(qput_int(q, i, 1, 5), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_msg(now_s() - t0 < 0.5, "four getters took %.3f s", now_s() - t0);
    mp_queue_free(q);
    ck_assert_mp(mp_queue_new(&q, 1), 0);
    ck_assert_mp(qput_int(q, 0, 1, 0), 0); /* full: now the putters sleep, the getter is us */
    for (int i = 0; i < N; i++)
        p[i] = GO(qx_put_range, range_args(q, 0, 0, 1));
    sleep_s(0.2);
    t0 = now_s();
    for (int i = 0; i < N + 1; i++)
        ck_assert_mp(qget_int(q, &v, 1, 5), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
    ck_assert_msg(now_s() - t0 < 0.5, "four putters took %.3f s", now_s() - t0);
    mp_queue_free(q);
}
END_TEST

/* A blob whose bytes depend on its index and place, so a wrapped copy that went wrong shows. */
static size_t wrap_fill(unsigned char *b, int64_t i)
{
    size_t size = 1 + (size_t)(i * 7919 % (300 << 10));
    for (size_t j = 0; j < size; j++)
        b[j] = (unsigned char)(i * 13 + (int64_t)(j >> 3));
    return size;
}

START_TEST(LIBMP_Q13_a_ring_that_wraps_round_keeps_every_byte_and_gives_memory_back)
{
    /* 4 MiB ring, never empty: every message after the first few straddles or follows the end
     * of the ring, and the memory behind the consumer is handed back as it goes. */
    mp_queue_t *q;
    mp_queue_opts_t o = MP_QUEUE_OPTS_INIT;
    mp_queue_stats_t st;
    o.ring_bytes = 4 * MiB;
    ck_assert_mp(mp_queue_new_ex(&q, 0, &o), 0);
    unsigned char *want = malloc(300 << 10), *got;
    int64_t put = 0, taken = 0;
    size_t len, most = 0;
    while (taken < 2000) {
        ck_assert_mp(mp_queue_stats(q, &st), 0);
        most = st.memory - st.bytes > most ? st.memory - st.bytes : most;
        if (put < 2000 && st.bytes < 3 * MiB) { /* keep 2-3 MiB pending */
            size_t n = wrap_fill(want, put++);
            ck_assert_mp(mp_queue_put_bytes(q, want, n, 0, 0), 0);
            continue;
        }
        ck_assert_mp(mp_queue_get_bytes(q, (void **)&got, &len, 0, 0), 0);
        ck_assert_uint_eq(len, wrap_fill(want, taken++));
        ck_assert_int_eq(memcmp(got, want, len), 0);
        free(got);
    }
    /* beyond what is pending: the kept MiB, the header page, whole-MiB rounding at each end */
    ck_assert_msg(most <= 3 * MiB + 4096, "up to %zu bytes held beyond the pending ones", most);
    ck_assert_mp(mp_queue_stats(q, &st), 0);
    ck_assert_uint_le(st.memory, MiB + 4096);
    free(want);
    mp_queue_free(q);
}
END_TEST

/* Puts `o` and takes it back twice, as bytes and as a value: the message is what
 * mp_pickle_dumps() writes at the queue's protocol, and the value equals `o`, type included. */
static void ck_message_is_its_pickle(mp_queue_t *q, int protocol, mp_obj_t *o)
{
    void *want, *got;
    size_t want_len, got_len;
    mp_obj_t *back;
    ck_assert_mp(mp_pickle_dumps(o, protocol, &want, &want_len), 0);
    ck_assert_mp(mp_queue_put(q, o, 0, 0), 0);
    ck_assert_mp(mp_queue_get_bytes(q, &got, &got_len, 0, 0), 0);
    ck_assert_msg(got_len == want_len && memcmp(got, want, got_len) == 0,
                  "protocol %d: a message of %zu bytes where mp_pickle_dumps wrote %zu", protocol,
                  got_len, want_len);
    ck_assert_mp(mp_queue_put(q, o, 0, 0), 0);
    ck_assert_mp(mp_queue_get(q, &back, 0, 0), 0);
    ck_assert_int_eq(mp_obj_type(back), mp_obj_type(o));
    ck_assert_int_eq(mp_obj_equal(back, o), 1);
    mp_obj_decref(back);
    free(want);
    free(got);
    mp_obj_decref(o);
}

START_TEST(LIBMP_Q14_ints_and_short_bytes_travel_as_their_pickles_at_every_protocol)
{
    /* put() writes small ints and short bytes without the general encoder, and get() reads them
     * without the general decoder: every width of each opcode, its edges and the values next to
     * it must still be exactly the general codec's bytes. */
    static const int64_t edges[] = {0,
                                    255,
                                    256,
                                    65535,
                                    65536,
                                    INT32_MAX,
                                    INT32_MIN,
                                    (int64_t)1 << 39,
                                    -((int64_t)1 << 39),
                                    (int64_t)1 << 47,
                                    (int64_t)1 << 55,
                                    INT64_MAX,
                                    INT64_MIN};
    unsigned char body[300];
    for (size_t j = 0; j < sizeof body; j++)
        body[j] = (unsigned char)(j * 13);
    for (int protocol = -1; protocol <= MP_PICKLE_HIGHEST_PROTOCOL; protocol++) {
        mp_queue_t *q;
        mp_queue_opts_t o = MP_QUEUE_OPTS_INIT;
        o.protocol = protocol;
        ck_assert_mp(mp_queue_new_ex(&q, 0, &o), 0);
        for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
            for (int64_t d = -2; d <= 2; d++)
                if ((d >= 0 || edges[i] >= INT64_MIN - d) && (d <= 0 || edges[i] <= INT64_MAX - d))
                    ck_message_is_its_pickle(q, protocol, mp_int(edges[i] + d));
        for (size_t n = 0; n <= sizeof body; n += n < 250 ? 25 : 1)
            ck_message_is_its_pickle(q, protocol, mp_bytes(body, n));
        ck_message_is_its_pickle(q, protocol, mp_bool(1));
        ck_message_is_its_pickle(q, protocol, mp_int_from_u64(UINT64_MAX));
        mp_queue_free(q);
    }
}
END_TEST

TCase *mp_tcase_queue_extensions(void)
{
    TCase *tc = mp_tcase("extensions", 60);
    tcase_add_test(tc, LIBMP_Q01_producer_that_exits_at_once_loses_nothing);
    tcase_add_test(tc, LIBMP_Q02_joining_a_child_before_draining_its_queue_does_not_deadlock);
    tcase_add_test(tc, LIBMP_Q03_a_value_of_256_MiB_passes);
    tcase_add_test(tc, LIBMP_Q04_a_message_larger_than_the_ring_is_refused);
    tcase_add_test(tc, LIBMP_Q05_unbounded_queue_holds_1_GiB_and_costs_only_what_is_pending);
    tcase_add_test(tc, LIBMP_Q06_streaming_memory_follows_what_is_pending);
    tcase_add_test(tc, LIBMP_Q07_get_reports_the_end_of_every_producer);
    tcase_add_test(tc, LIBMP_Q08_the_put_side_is_inherited_like_a_pipe_end);
    tcase_add_test(tc, LIBMP_Q09_byte_messages);
    tcase_add_test(tc, LIBMP_Q10_argument_checks);
    tcase_add_test(tc, LIBMP_Q11_joinable_join_with_a_timeout);
    tcase_add_test(tc, LIBMP_Q12_a_burst_wakes_every_sleeping_getter_and_putter);
    tcase_add_test(tc, LIBMP_Q13_a_ring_that_wraps_round_keeps_every_byte_and_gives_memory_back);
    tcase_add_test(tc, LIBMP_Q14_ints_and_short_bytes_travel_as_their_pickles_at_every_protocol);
    return tc;
}
