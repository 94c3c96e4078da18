/* Suite "Queue", tcases "faults" and "stress": processes SIGKILLed at the worst moments of a put
 * or a get (MP_FAULT, queues.h), then at random moments, and N producers x M consumers moving a
 * million items. What is checked each time: no message half-written, none duplicated, none lost
 * that a put had committed (except the one a consumer killed after its commit took with it),
 * each producer's order kept, and the queue still usable. CPython deadlocks on the first case
 * (a process killed holding a queue's lock). */
#include <signal.h>
#include <stdlib.h>

#include "queue_helpers.h"

/* ---- children ------------------------------------------------------------------------------- */

/* A message that says which it is: its index, then words that depend on the index and their
 * place, and a tail of bytes likewise; a half-written or mixed-up message fails blob_check(). */
static uint64_t blob_word(int64_t i, size_t j)
{
    return (uint64_t)i * 0x9E3779B97F4A7C15u + j;
}

static void blob_fill(unsigned char *b, size_t size, int64_t i)
{
    memcpy(b, &i, sizeof i);
    for (size_t j = 8; j + 8 <= size; j += 8) {
        uint64_t w = blob_word(i, j);
        memcpy(b + j, &w, 8);
    }
    for (size_t j = size & ~(size_t)7; j < size; j++)
        b[j] = (unsigned char)blob_word(i, j);
}

/* The index a blob carries, or -1 if any byte is not what blob_fill() wrote. */
static int64_t blob_check(const unsigned char *b, size_t size)
{
    int64_t i;
    if (size < sizeof i)
        return -1;
    memcpy(&i, b, sizeof i);
    for (size_t j = 8; j + 8 <= size; j += 8) {
        uint64_t w;
        memcpy(&w, b + j, 8);
        if (w != blob_word(i, j))
            return -1;
    }
    for (size_t j = size & ~(size_t)7; j < size; j++)
        if (b[j] != (unsigned char)blob_word(i, j))
            return -1;
    return i;
}

/* The arguments of a producer of blobs: the queue, its MP_FAULT (NULL: none), the first index,
 * how many, and bytes per blob. */
static mp_obj_t *producer_args(mp_queue_t *q, const char *fault, long first, long n, size_t size)
{
    return mp_build("(Nzllk)", mp_queue_obj(q), fault, first, n, (unsigned long)size);
}

/* Child, args of producer_args(): puts blobs first .. first+n-1. */
static int qi_put_blobs(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    const char *fault = q_arg_str(a, 1);
    long first = arg_long(a, 2), n = arg_long(a, 3);
    size_t size = (size_t)arg_long(a, 4);
    if (fault)
        setenv("MP_FAULT", fault, 1);
    unsigned char *b = malloc(size);
    for (int64_t i = first; i < first + n; i++) {
        blob_fill(b, size, i);
        if (mp_queue_put_bytes(q, b, size, 1, 10) != 0)
            return 1;
    }
    free(b);
    return 0;
}
JOB(qi_put_blobs);

/* The arguments of a consumer of blobs: the queue, its MP_FAULT (NULL: none), how many it gets,
 * and the queue it reports to. */
static mp_obj_t *consumer_args(mp_queue_t *q, const char *fault, long n, mp_queue_t *report)
{
    return mp_build("(NzlN)", mp_queue_obj(q), fault, n, mp_queue_obj(report));
}

/* Child, args of consumer_args(): gets n blobs, putting each one's index into the report queue
 * as soon as it has it (a consumer may be killed at any moment: what it reported stays). */
static int qi_get_blobs(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0), *report = arg_queue(a, 3);
    const char *fault = q_arg_str(a, 1);
    long n = arg_long(a, 2);
    if (fault)
        setenv("MP_FAULT", fault, 1);
    for (long k = 0; k < n; k++) {
        void *d;
        size_t len;
        if (mp_queue_get_bytes(q, &d, &len, 1, 10) != 0)
            return 1;
        int rc = qput_int(report, blob_check(d, len), 1, 10);
        free(d);
        if (rc != 0)
            return 2;
    }
    return 0;
}
JOB(qi_get_blobs);

/* Test side, once the consumer has ended: what it reported, in order, in got[1..]; got[0]
 * counts (all of it, though only cap - 1 are kept). */
static void collect_got(mp_queue_t *report, int64_t *got, size_t cap)
{
    int64_t v;
    int rc;
    got[0] = 0;
    while ((rc = qget_int(report, &v, 0, 0)) == 0) {
        if ((size_t)got[0] + 1 < cap)
            got[1 + got[0]] = v;
        got[0]++;
    }
    ck_assert_mp(rc, MP_EEMPTY);
}

/* Test side: the next message is blob `i`, whole. */
static void ck_blob(mp_queue_t *q, int64_t i)
{
    void *d;
    size_t len;
    ck_assert_mp(mp_queue_get_bytes(q, &d, &len, 1, 5), 0);
    ck_assert_int_eq(blob_check(d, len), i);
    free(d);
}

static unsigned recoveries(mp_queue_t *q)
{
    mp_queue_stats_t st;
    ck_assert_mp(mp_queue_stats(q, &st), 0); /* takes the lock: recovers if its holder died */
    return st.recoveries;
}

/* ---- deaths at the fault points -------------------------------------------------------------- */

START_TEST(LIBMP_Q20_killed_half_way_through_a_put_while_holding_the_lock)
{
    mp_queue_t *q;
    void *d;
    size_t len;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(qi_put_blobs, producer_args(q, "queue.put.copy:6", 0, 10, 256 << 10));
    ck_assert_int_eq(finish(p, 10), -SIGKILL);
    ck_assert_uint_eq(recoveries(q), 1); /* it died holding the lock, and the lock came back */
    ck_qsize(q, 5);                      /* the half-written sixth is not in the queue */
    for (int i = 0; i < 5; i++)
        ck_blob(q, i);
    ck_assert_mp(mp_queue_get_bytes(q, &d, &len, 0, 0), MP_EEMPTY);
    /* writes over the half message */
    ck_assert_int_eq(finish(GO(qi_put_blobs, producer_args(q, NULL, 100, 3, 1000)), 10), 0);
    for (int i = 100; i < 103; i++)
        ck_blob(q, i);
    ck_assert_uint_eq(recoveries(q), 1);
    mp_queue_free(q);
}
END_TEST

START_TEST(LIBMP_Q21_killed_after_a_put_committed_but_before_unlocking)
{
    mp_queue_t *q;
    void *d;
    size_t len;
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    mp_process_t *p = GO(qi_put_blobs, producer_args(q, "queue.put.commit:6", 0, 10, 4096));
    ck_assert_int_eq(finish(p, 10), -SIGKILL);
    ck_assert_uint_eq(recoveries(q), 1);
    ck_qsize(q, 6); /* the sixth was committed: it is whole and there once */
    for (int i = 0; i < 6; i++)
        ck_blob(q, i);
    ck_assert_mp(mp_queue_get_bytes(q, &d, &len, 0, 0), MP_EEMPTY);
    mp_queue_free(q);
}
END_TEST

/* A consumer killed in its third get: before the commit (`copy`) or after it (`commit`). */
static void killed_consumer(const char *fault, int lost)
{
    mp_queue_t *q, *report;
    void *d;
    size_t len;
    int64_t got[16];
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_queue_new(&report, 0), 0);
    ck_assert_int_eq(finish(GO(qi_put_blobs, producer_args(q, NULL, 0, 10, 64 << 10)), 10), 0);
    ck_assert_int_eq(finish(GO(qi_get_blobs, consumer_args(q, fault, 10, report)), 10), -SIGKILL);
    collect_got(report, got, 16);
    ck_assert_int_eq(got[0], 2);
    ck_assert_int_eq(got[1], 0);
    ck_assert_int_eq(got[2], 1);
    ck_assert_uint_eq(recoveries(q), 1);
    ck_qsize(q, 8 - lost);
    for (int i = 2 + lost; i < 10; i++) /* the third is there unless its get had committed */
        ck_blob(q, i);
    ck_assert_mp(mp_queue_get_bytes(q, &d, &len, 0, 0), MP_EEMPTY);
    mp_queue_free(q);
    mp_queue_free(report);
}

START_TEST(LIBMP_Q22_consumer_killed_half_way_through_a_get_loses_nothing)
{
    killed_consumer("queue.get.copy:3", 0);
}
END_TEST

START_TEST(LIBMP_Q23_consumer_killed_after_its_get_committed_takes_that_item_only)
{
    killed_consumer("queue.get.commit:3", 1);
}
END_TEST

START_TEST(LIBMP_Q24_a_sleeping_getter_survives_a_producer_dying_in_the_lock)
{
    /* The producer commits and dies before it can wake anyone: the getter asleep in get() must
     * still get the item (from its slice, through the recovery's wake-up), and soon. */
    mp_queue_t *q, *report;
    int64_t got[4];
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_queue_new(&report, 0), 0);
    mp_process_t *consumer = GO(qi_get_blobs, consumer_args(q, NULL, 1, report));
    sleep_s(0.2); /* the consumer sleeps in get() */
    mp_process_t *producer = GO(qi_put_blobs, producer_args(q, "queue.put.commit:1", 7, 1, 100));
    ck_assert_int_eq(finish(producer, 10), -SIGKILL);
    double t0 = now_s();
    ck_assert_int_eq(finish(consumer, 5), 0);
    ck_assert_msg(now_s() - t0 < 0.5, "the getter took %.3f s to wake", now_s() - t0);
    collect_got(report, got, 4);
    ck_assert_int_eq(got[0], 1);
    ck_assert_int_eq(got[1], 7);
    ck_assert_uint_eq(recoveries(q), 1);
    mp_queue_free(q);
    mp_queue_free(report);
}
END_TEST

/* ---- deaths at random moments --------------------------------------------------------------- */

enum { RP = 3, RC = 2, RMAX = 3000 }; /* producers, consumers, items per producer */

/* The test's record of a round, filled from what the children leave behind (their flags and
 * reports outlive a SIGKILL). */
struct rnd {
    int64_t committed[RP];    /* the last index whose put returned, per producer */
    int64_t last[RC + 1][RP]; /* the last index each consumer (and the test) saw per producer */
    unsigned char seen[RP][RMAX];
    int errors;
};

/* Messages of the random rounds: the id, a body whose bytes depend on their place, the id again.
 * The body is made once, so that a producer spends its time copying, inside the lock, where a
 * kill hurts most; a half-written or mixed-up message still shows (ids or body disagree). */
enum { RBODY = 32768 };

static size_t rnd_size(int64_t i)
{
    return 16 + (size_t)(i * 397 % RBODY);
}

static int64_t rnd_check(const unsigned char *b, size_t len)
{
    int64_t head, tail;
    if (len < 16)
        return -1;
    memcpy(&head, b, 8);
    memcpy(&tail, b + len - 8, 8);
    if (head != tail || head < 0 || rnd_size(head / RP) != len)
        return -1;
    for (size_t j = 8; j < len - 8; j++)
        if (b[j] != (unsigned char)(j * 7))
            return -1;
    return head;
}

/* Child, args (queue, who, flag): producer `who` puts the messages of ids i * RP + who,
 * i = 0 .. RMAX-1, raising its flag after each put returns (the flag counts its commits). */
static int qi_rnd_producer(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    long who = arg_long(a, 1);
    mp_sem_t *committed = arg_sem(a, 2);
    static unsigned char b[RBODY + 16];
    for (size_t j = 0; j < sizeof b; j++)
        b[j] = (unsigned char)(j * 7);
    for (int64_t i = 0; i < RMAX; i++) {
        int64_t id = i * RP + who;
        size_t size = rnd_size(i);
        memcpy(b, &id, 8);
        memcpy(b + size - 8, &id, 8);
        if (mp_queue_put_bytes(q, b, size, 1, 10) != 0)
            return 1;
        for (size_t j = size - 8; j < size; j++)
            b[j] = (unsigned char)(j * 7);
        if (flag_raise(committed) != 0)
            return 2;
    }
    return 0;
}
JOB(qi_rnd_producer);

/* Records one message's id (-1: damaged): from a known producer, after that producer's last
 * one as consumer `who` saw them. */
static void rnd_record(struct rnd *r, int who, int64_t id)
{
    int k = (int)(id % RP);
    int64_t i = id / RP;
    if (id < 0 || i >= RMAX || i <= r->last[who][k]) {
        r->errors++;
        return;
    }
    r->last[who][k] = i;
    r->seen[k][i]++;
}

/* Child, args (queue, who, report queue): gets until the end of the producers, reporting
 * {who, id} for each message as soon as it has it (what a consumer reported before its death
 * stays; the one message it held unreported is the loss a killed consumer may cause). */
static int qi_rnd_consumer(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0), *report = arg_queue(a, 2);
    int64_t m[2] = {arg_long(a, 1), 0};
    void *d;
    size_t len;
    mp_queue_close_put(q);
    while (mp_queue_get_bytes(q, &d, &len, 1, 10) == 0) {
        m[1] = rnd_check(d, len);
        free(d);
        if (mp_queue_put_bytes(report, m, sizeof m, 1, 10) != 0)
            return 1;
    }
    return 0;
}
JOB(qi_rnd_consumer);

/* Test side, once every child has ended: the commits the producers' flags counted, and the
 * messages the consumers reported. */
static void rnd_collect(struct rnd *r, mp_sem_t **committed, mp_queue_t *report)
{
    int64_t m[2];
    size_t len;
    int rc;
    for (int k = 0; k < RP; k++)
        r->committed[k] = mp_sem_get_value(committed[k]) - 1;
    while ((rc = mp_queue_get_bytes_into(report, m, sizeof m, &len, 0, 0)) == 0) {
        if (len != sizeof m || m[0] < 0 || m[0] >= RC)
            r->errors++;
        else
            rnd_record(r, (int)m[0], m[1]);
    }
    ck_assert_mp(rc, MP_EEMPTY);
}

/* Starts the round's children: producers 0 .. RP-1, then consumers RP .. RP+RC-1. */
static void rnd_start(mp_process_t **p, mp_queue_t *q, mp_sem_t **committed, mp_queue_t *report)
{
    for (int k = 0; k < RP; k++)
        p[k] = GO(qi_rnd_producer, mp_build("(NiN)", mp_queue_obj(q), k, mp_sem_obj(committed[k])));
    for (int c = 0; c < RC; c++)
        p[RP + c] =
            GO(qi_rnd_consumer, mp_build("(NiN)", mp_queue_obj(q), c, mp_queue_obj(report)));
}

/* The checks of a round, once it is recorded. */
static void rnd_verify(const struct rnd *r, int round, int consumer_kills)
{
    ck_assert_msg(r->errors == 0, "round %d: %d damaged, foreign or out-of-order messages", round,
                  r->errors);
    int missing = 0;
    for (int k = 0; k < RP; k++) {
        for (int64_t i = 0; i < RMAX; i++) {
            ck_assert_msg(r->seen[k][i] <= 1, "round %d: message %d/%lld came twice", round, k,
                          (long long)i);
            ck_assert_msg(r->seen[k][i] == 0 || i <= r->committed[k] + 1,
                          "round %d: message %d/%lld was never put", round, k, (long long)i);
            missing += i <= r->committed[k] && !r->seen[k][i];
        }
    }
    ck_assert_msg(missing <= consumer_kills,
                  "round %d: %d committed messages lost, %d consumers killed", round, missing,
                  consumer_kills);
}

/* What the children of a round were doing when the round's end did not come: each one's state
 * letter (0: gone) and, for a live one, the kernel function it sleeps in, so that a failure says
 * who still held the put side and where. */
static void rnd_states(mp_process_t **p, const int *killed, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < RP + RC && n < cap; i++) {
        pid_t pid = mp_process_pid(p[i]);
        char st = proc_state(pid), path[64], wchan[64] = "";
        snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
        FILE *f = st ? fopen(path, "r") : NULL;
        if (f) {
            size_t k = fread(wchan, 1, sizeof wchan - 1, f);
            wchan[k] = '\0';
            fclose(f);
        }
        int w = snprintf(out + n, cap - n, " [child %d pid %d%s: %c %s]", i, (int)pid,
                         killed[i] ? " killed" : "", st ? st : '-', wchan);
        n += w > 0 ? (size_t)w : 0;
    }
}

/* One round: 3 producers and 2 consumers through a queue of maxsize 64, three SIGKILLs at
 * random moments to random ones of the five. Returns how many died holding the queue's lock. */
static unsigned rnd_round(unsigned *seed, int round)
{
    mp_queue_t *q, *report;
    struct rnd *r = calloc(1, sizeof *r);
    mp_sem_t *committed[RP];
    mp_process_t *p[RP + RC];
    int consumer_kills = 0, killed[RP + RC] = {0};
    ck_assert_ptr_nonnull(r);
    ck_assert_mp(mp_queue_new(&q, 64), 0);
    ck_assert_mp(mp_queue_new(&report, 0), 0);
    for (int k = 0; k < RP; k++)
        committed[k] = flag_new();
    for (int c = 0; c <= RC; c++)
        for (int k = 0; k < RP; k++)
            r->last[c][k] = -1;
    rnd_start(p, q, committed, report);
    ck_assert_mp(mp_queue_close_put(q), 0); /* the producers' end is the end of the round */
    for (int kill = 0; kill < 3; kill++) {
        sleep_s((5 + rand_r(seed) % 60) / 1000.0);
        int victim = rand_r(seed) % (RP + RC);
        ck_assert_mp(mp_process_kill(p[victim]), 0);
        killed[victim] = 1;
        consumer_kills += victim >= RP;
    }
    void *d;
    size_t len;
    /* Both consumers may be dead: the test consumes too, until every producer has gone. */
    int rc;
    while ((rc = mp_queue_get_bytes(q, &d, &len, 1, 10)) == 0) {
        rnd_record(r, RC, rnd_check(d, len));
        free(d);
    }
    if (rc != MP_EOF) {
        char states[512];
        rnd_states(p, killed, states, sizeof states);
        ck_abort_msg("round %d: get returned %s (%s), expected MP_EOF;%s", round, mp_err_name(rc),
                     mp_errmsg(), states);
    }
    for (int i = 0; i < RP + RC; i++) {
        int code = finish(p[i], 20);
        ck_assert_msg(code == 0 || (killed[i] && code == -SIGKILL),
                      "round %d: child %d ended with %d", round, i, code);
    }
    rnd_collect(r, committed, report);
    rnd_verify(r, round, consumer_kills);
    free(r);
    for (int k = 0; k < RP; k++)
        mp_sem_free(committed[k]);
    mp_queue_free(report);
    unsigned n = recoveries(q);
    mp_queue_free(q);
    return n;
}

START_TEST(LIBMP_Q25_processes_killed_at_random_moments)
{
    unsigned seed0 = (unsigned)time(NULL), seed = seed0, in_lock = 0;
    for (int round = 0; round < 20; round++)
        in_lock += rnd_round(&seed, round);
    fprintf(stderr, "random kills: 60 in 20 rounds (seed %u), %u inside the queue's lock\n", seed0,
            in_lock);
}
END_TEST

/* ---- stress ---------------------------------------------------------------------------------- */

/* Child, args (queue, who, per): puts (who << 32 | i), i = 0 .. per-1. */
static int qi_stress_producer(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    int64_t who = arg_long(a, 1), per = arg_long(a, 2);
    for (int64_t i = 0; i < per; i++)
        if (qput_int(q, who << 32 | i, 1, 30) != 0)
            return 1;
    return 0;
}
JOB(qi_stress_producer);

/* What a stress consumer reports when it is done: its errors, how many items it took, and how
 * often it took each one (producers x per bytes follow the header). */
struct stress_report {
    int64_t errors, received;
};

/* Child, args (queue, producers, per, report queue): gets until every producer has gone
 * (MP_EOF), checking each producer's order, then reports what it took. */
static int qi_stress_consumer(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0), *report = arg_queue(a, 3);
    int producers = (int)arg_long(a, 1);
    int64_t per = arg_long(a, 2), last[8], v;
    size_t total = (size_t)(per * producers);
    struct stress_report *h = calloc(1, sizeof *h + total);
    unsigned char *seen = (unsigned char *)(h + 1);
    int rc;
    if (!h)
        return 3;
    for (int k = 0; k < 8; k++)
        last[k] = -1;
    mp_queue_close_put(q);
    while ((rc = qget_int(q, &v, 1, 30)) == 0) {
        int k = (int)(v >> 32);
        int64_t i = v & 0xffffffff;
        if (k < 0 || k >= producers || i >= per || i <= last[k]) {
            h->errors++;
            continue;
        }
        last[k] = i;
        seen[k * per + i]++;
        h->received++;
    }
    int sent = mp_queue_put_bytes(report, h, sizeof *h + total, 1, 30);
    free(h);
    return rc != MP_EOF ? 1 : sent != 0 ? 2 : 0;
}
JOB(qi_stress_consumer);

/* Test side: adds up the consumers' reports. */
static void stress_collect(mp_queue_t *report, int consumers, size_t total, unsigned char *seen,
                           int64_t *errors, int64_t *received)
{
    for (int c = 0; c < consumers; c++) {
        void *d;
        size_t len;
        ck_assert_mp(mp_queue_get_bytes(report, &d, &len, 1, 10), 0);
        ck_assert_uint_eq(len, sizeof(struct stress_report) + total);
        const struct stress_report *h = d;
        const unsigned char *s = (const unsigned char *)(h + 1);
        *errors += h->errors;
        *received += h->received;
        for (size_t i = 0; i < total; i++)
            seen[i] += s[i];
        free(d);
    }
}

static void stress(int producers, int consumers, int64_t total)
{
    mp_queue_t *q, *report;
    mp_process_t *p[16];
    int64_t per = total / producers, errors = 0, received = 0;
    unsigned char *seen = calloc(1, (size_t)(per * producers));
    ck_assert_ptr_nonnull(seen);
    ck_assert_mp(mp_queue_new(&q, 0), 0);
    ck_assert_mp(mp_queue_new(&report, 0), 0);
    double t0 = now_s();
    for (int i = 0; i < producers; i++)
        p[i] = GO(qi_stress_producer, mp_build("(NiL)", mp_queue_obj(q), i, (long long)per));
    for (int i = producers; i < producers + consumers; i++)
        p[i] = GO(qi_stress_consumer, mp_build("(NiLN)", mp_queue_obj(q), producers, (long long)per,
                                               mp_queue_obj(report)));
    ck_assert_mp(mp_queue_close_put(q), 0); /* so that the consumers see the end */
    for (int i = 0; i < producers + consumers; i++)
        ck_assert_int_eq(finish(p[i], 60), 0);
    double took = now_s() - t0;
    stress_collect(report, consumers, (size_t)(per * producers), seen, &errors, &received);
    ck_assert_int_eq(errors, 0);
    ck_assert_int_eq(received, per * producers);
    int64_t bad = 0;
    for (int64_t i = 0; i < per * producers; i++)
        bad += seen[i] != 1;
    ck_assert_int_eq(bad, 0);
    fprintf(stderr, "stress %dx%d: %lld items in %.2f s\n", producers, consumers,
            (long long)(per * producers), took);
    free(seen);
    mp_queue_free(report);
    mp_queue_free(q);
}

START_TEST(LIBMP_Q30_stress_8_producers_8_consumers_a_million_items)
{
    stress(8, 8, 1000000);
}
END_TEST

START_TEST(LIBMP_Q31_stress_1_producer_1_consumer_and_3_by_5)
{
    stress(1, 1, 1000000);
    stress(3, 5, 300000);
}
END_TEST

TCase *mp_tcase_queue_faults(void)
{
    TCase *tc = mp_tcase("faults", 60);
    tcase_add_test(tc, LIBMP_Q20_killed_half_way_through_a_put_while_holding_the_lock);
    tcase_add_test(tc, LIBMP_Q21_killed_after_a_put_committed_but_before_unlocking);
    tcase_add_test(tc, LIBMP_Q22_consumer_killed_half_way_through_a_get_loses_nothing);
    tcase_add_test(tc, LIBMP_Q23_consumer_killed_after_its_get_committed_takes_that_item_only);
    tcase_add_test(tc, LIBMP_Q24_a_sleeping_getter_survives_a_producer_dying_in_the_lock);
    tcase_add_test(tc, LIBMP_Q25_processes_killed_at_random_moments);
    return tc;
}

TCase *mp_tcase_queue_stress(void)
{
    TCase *tc = mp_tcase("stress", 120);
    tcase_add_test(tc, LIBMP_Q30_stress_8_producers_8_consumers_a_million_items);
    tcase_add_test(tc, LIBMP_Q31_stress_1_producer_1_consumer_and_3_by_5);
    return tc;
}
