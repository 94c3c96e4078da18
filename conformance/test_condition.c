/* Suite "Condition" (CPython's _TestCondition): the Spec page's catalogue, plus libmp's cases:
 * notify(n), notify without the lock, waiters and holders that die, and a producer with
 * consumers across processes counting exactly. */
#include <sys/mman.h>

#include "sync_helpers.h"

static mp_cond_t *new_cond(mp_lock_t *lock)
{
    mp_cond_t *c;
    ck_assert_mp(mp_cond_new(&c, lock), 0);
    return c;
}

/* What the waiting children share with the test, as flags (helpers.h) every start method
 * reaches: how many are asleep, how many woke notified, how many timed out. */
struct sleepers {
    mp_cond_t *c;
    mp_sem_t *sleeping, *woken, *timed_out;
    double timeout;
};

static int wait_once(const struct sleepers *s)
{
    if (mp_cond_acquire(s->c, 1, MP_FOREVER) != 0)
        return 1;
    flag_raise(s->sleeping);
    int rc = mp_cond_wait(s->c, s->timeout);
    flag_raise(rc == 0 ? s->woken : s->timed_out);
    if (!mp_lock_is_mine(mp_cond_lock(s->c)))
        return 2; /* the lock is held again on return, whatever happened */
    mp_cond_release(s->c);
    return rc == 0 || rc == MP_ETIMEDOUT ? 0 : 3;
}

/* A waiter child; args: (cond, sleeping, woken, timed_out, timeout), as go_waiter() builds them. */
static int waiter_process(mp_obj_t *a)
{
    struct sleepers s = {arg_cond(a, 0), arg_sem(a, 1), arg_sem(a, 2), arg_sem(a, 3),
                         arg_double(a, 4)};
    return wait_once(&s);
}
JOB(waiter_process);

static mp_process_t *go_waiter(const struct sleepers *s)
{
    return GO(waiter_process, mp_build("(NNNNd)", mp_cond_obj(s->c), mp_sem_obj(s->sleeping),
                                       mp_sem_obj(s->woken), mp_sem_obj(s->timed_out), s->timeout));
}

static void *waiter_thread(void *arg)
{
    return (void *)(intptr_t)wait_once(arg);
}

START_TEST(COND_01_wait_without_the_lock)
{
    mp_cond_t *c = new_cond(NULL);
    double took;
    ck_assert_mp(TIMED(took, mp_cond_wait(c, 0.1)), MP_ENOTOWNER);
    ck_assert_immediate(took);
    ck_assert_str_eq(mp_errmsg(), "must acquire() condition before using wait()");
    mp_cond_free(c);
}
END_TEST

START_TEST(COND_03_wait_times_out_holding_the_lock)
{
    mp_cond_t *c = new_cond(NULL);
    double took;
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_cond_wait(c, 0)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_cond_wait(c, -1)), MP_ETIMEDOUT);
    ck_assert_immediate(took);
    ck_assert_mp(TIMED(took, mp_cond_wait(c, 0.1)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.1);
    ck_assert_int_eq(mp_lock_count(mp_cond_lock(c)), 1);
    ck_assert_mp(mp_cond_release(c), 0);
    mp_cond_free(c);
}
END_TEST

/* args: (cond). */
static int notify_in_child(mp_obj_t *a)
{
    mp_cond_t *c = arg_cond(a, 0);
    if (mp_cond_acquire(c, 1, MP_FOREVER) != 0)
        return 1;
    int rc = mp_cond_notify(c, 1);
    mp_cond_release(c);
    return rc == 0 ? 0 : 2;
}
JOB(notify_in_child);

START_TEST(COND_04_child_notifies)
{
    mp_cond_t *c = new_cond(NULL);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    mp_process_t *p = GO(notify_in_child, mp_build("(N)", mp_cond_obj(c)));
    double took;
    ck_assert_mp(TIMED(took, mp_cond_wait(c, 60)), 0);
    ck_assert_msg(took < 5, "wait took %.3f s", took);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_cond_free(c);
}
END_TEST

static struct sleepers new_sleepers(mp_cond_t *c, double timeout)
{
    return (struct sleepers){c, flag_new(), flag_new(), flag_new(), timeout};
}

static void free_sleepers(struct sleepers *s)
{
    mp_sem_free(s->sleeping);
    mp_sem_free(s->woken);
    mp_sem_free(s->timed_out);
}

static void notify_held(mp_cond_t *c, unsigned n)
{
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_notify(c, n), 0);
    ck_assert_mp(mp_cond_release(c), 0);
}

/* Whether `counter` stays at `value` for a moment (nobody else wakes). */
static int stays(mp_sem_t *counter, int value)
{
    sleep_s(0.2);
    return mp_sem_get_value(counter) == value;
}

START_TEST(COND_05_notify_wakes_one_then_the_other)
{
    mp_cond_t *c = new_cond(NULL);
    struct sleepers s = new_sleepers(c, MP_FOREVER);
    mp_process_t *p = go_waiter(&s);
    pthread_t t;
    pthread_create(&t, NULL, waiter_thread, &s);
    ck_assert(flag_wait(s.sleeping, 2, 5));
    sleep_s(0.05); /* both are inside wait(), past the lock */
    notify_held(c, 1);
    ck_assert(flag_wait(s.woken, 1, 5));
    ck_assert(stays(s.woken, 1));
    notify_held(c, 1);
    ck_assert(flag_wait(s.woken, 2, 5));
    void *rc;
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, 0);
    ck_assert_int_eq(finish(p, 5), 0);
    notify_held(c, 1); /* no waiter left: nothing to wake, nothing stale */
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_wait(c, 0.05), MP_ETIMEDOUT);
    ck_assert_mp(mp_cond_release(c), 0);
    free_sleepers(&s);
    mp_cond_free(c);
}
END_TEST

static void run_waiters(struct sleepers *s, mp_process_t **p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = go_waiter(s);
}

static void finish_all(mp_process_t **p, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(finish(p[i], 5), 0);
}

START_TEST(COND_06_timeouts_then_notify_all)
{
    mp_cond_t *c = new_cond(NULL);
    struct sleepers s = new_sleepers(c, 0.2);
    mp_process_t *p[6];
    run_waiters(&s, p, 6);
    finish_all(p, 6);
    ck_assert_int_eq(mp_sem_get_value(s.timed_out), 6);
    ck_assert_int_eq(mp_sem_get_value(s.woken), 0);
    s.timeout = MP_FOREVER;
    run_waiters(&s, p, 6);
    ck_assert(flag_wait(s.sleeping, 12, 5));
    sleep_s(0.05);
    ck_assert_int_eq(mp_sem_get_value(s.woken), 0);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_notify_all(c), 0);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert(flag_wait(s.woken, 6, 5));
    finish_all(p, 6);
    ck_assert_int_eq(mp_sem_get_value(s.timed_out), 6);
    free_sleepers(&s);
    mp_cond_free(c);
}
END_TEST

/* args: (cond, value): counts `value` (a Semaphore used as a counter) up four times, each
 * time under the condition's lock, and notifies. */
static int count_to_four(mp_obj_t *a)
{
    mp_cond_t *c = arg_cond(a, 0);
    mp_sem_t *value = arg_sem(a, 1);
    for (int i = 0; i < 4; i++) {
        sleep_s(0.02);
        if (mp_cond_acquire(c, 1, MP_FOREVER) != 0)
            return 1;
        int rc = flag_raise(value);
        mp_cond_notify(c, 1);
        mp_cond_release(c);
        if (rc != 0)
            return 2;
    }
    return 0;
}
JOB(count_to_four);

static int reached_four(void *arg)
{
    return mp_sem_get_value(arg) == 4 ? 4 : 0;
}

START_TEST(COND_08_wait_for_across_processes)
{
    mp_cond_t *c = new_cond(NULL);
    mp_sem_t *value = flag_new();
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    mp_process_t *p = GO(count_to_four, mp_build("(NN)", mp_cond_obj(c), mp_sem_obj(value)));
    int v = -1;
    ck_assert_mp(mp_cond_wait_for(c, reached_four, value, MP_FOREVER, &v), 0);
    ck_assert_int_eq(v, 4);
    ck_assert_int_eq(mp_sem_get_value(value), 4);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_int_eq(finish(p, 5), 0);
    mp_sem_free(value);
    mp_cond_free(c);
}
END_TEST

static int never(void *arg)
{
    (void)arg;
    return 0;
}

START_TEST(COND_09_wait_for_times_out)
{
    mp_cond_t *c = new_cond(NULL);
    int v = -1;
    double took;
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_cond_wait_for(c, never, NULL, 0.1, &v)), MP_ETIMEDOUT);
    ck_assert_elapsed(took, 0.1);
    ck_assert_int_eq(v, 0);
    ck_assert_mp(mp_cond_release(c), 0);
    mp_cond_free(c);
}
END_TEST

static int seven(void *arg)
{
    (void)arg;
    return 7;
}

START_TEST(COND_10_wait_for_true_at_once)
{
    mp_cond_t *c = new_cond(NULL);
    int v = 0;
    double took;
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(TIMED(took, mp_cond_wait_for(c, seven, NULL, MP_FOREVER, &v)), 0);
    ck_assert_immediate(took);
    ck_assert_int_eq(v, 7);
    ck_assert_mp(mp_cond_release(c), 0);
    mp_cond_free(c);
}
END_TEST

/* args: (cond). */
static int take_and_notify(mp_obj_t *a)
{
    mp_cond_t *c = arg_cond(a, 0);
    /* The parent holds the RLock twice and waits: wait() must have released both levels. */
    if (mp_cond_acquire(c, 1, 5) != 0)
        return 1;
    int rc = mp_cond_notify(c, 1);
    mp_cond_release(c);
    return rc == 0 ? 0 : 2;
}
JOB(take_and_notify);

START_TEST(COND_11_rlock_depth_restored)
{
    mp_cond_t *c = new_cond(NULL);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_int_eq(mp_lock_count(mp_cond_lock(c)), 2);
    mp_process_t *p = GO(take_and_notify, mp_build("(N)", mp_cond_obj(c)));
    ck_assert_mp(mp_cond_wait(c, 10), 0);
    ck_assert_int_eq(mp_lock_count(mp_cond_lock(c)), 2);
    ck_assert_int_eq(finish(p, 5), 0);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_mp(mp_cond_release(c), MP_ENOTOWNER);
    mp_cond_free(c);
}
END_TEST

START_TEST(COND_13_notify_without_waiters)
{
    mp_cond_t *c = new_cond(NULL);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_notify(c, 1), 0);
    ck_assert_mp(mp_cond_notify_all(c), 0);
    ck_assert_mp(mp_cond_release(c), 0);
    mp_cond_free(c);
}
END_TEST

/* Lib/multiprocessing/synchronize.py, Condition: notify and notify_all without the lock (also: over
 * a plain Lock someone else took). */
START_TEST(LIBMP_56_notify_without_the_lock)
{
    mp_lock_t *l;
    ck_assert_mp(mp_lock_new(&l), 0);
    mp_cond_t *c = new_cond(l);
    ck_assert_ptr_eq(mp_cond_lock(c), l);
    ck_assert_mp(mp_cond_notify(c, 1), MP_ENOTOWNER);
    ck_assert_str_eq(mp_errmsg(), "lock is not owned");
    ck_assert_mp(mp_cond_notify_all(c), MP_ENOTOWNER);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_wait(c, 0.01), MP_ETIMEDOUT); /* over a Lock: held once, given back */
    ck_assert_mp(mp_lock_acquire(l, 0, 0), MP_EAGAIN);
    ck_assert_mp(mp_cond_release(c), 0);
    mp_cond_free(c);
    mp_lock_free(l);
}
END_TEST

/* _TestCondition.test_notify_n: six waiters; notify(2) wakes two, notify(4) the other four,
 * and a further notify(3) changes nothing. */
START_TEST(LIBMP_57_notify_n)
{
    mp_cond_t *c = new_cond(NULL);
    struct sleepers s = new_sleepers(c, MP_FOREVER);
    mp_process_t *p[6];
    run_waiters(&s, p, 6);
    ck_assert(flag_wait(s.sleeping, 6, 5));
    sleep_s(0.05);
    notify_held(c, 2);
    ck_assert(flag_wait(s.woken, 2, 5));
    ck_assert(stays(s.woken, 2));
    notify_held(c, 4);
    ck_assert(flag_wait(s.woken, 6, 5));
    notify_held(c, 3);
    finish_all(p, 6);
    ck_assert_int_eq(mp_sem_get_value(s.woken), 6);
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    ck_assert_mp(mp_cond_wait(c, 0.05), MP_ETIMEDOUT); /* no token was left over */
    ck_assert_mp(mp_cond_release(c), 0);
    free_sleepers(&s);
    mp_cond_free(c);
}
END_TEST

/* A waiter is SIGKILLed inside wait() (CPython's notify_all then blocks for ever,
 * python/cpython#75158): notify_all returns at once, and a live waiter is still woken. */
START_TEST(LIBMP_58_waiter_killed_in_wait)
{
    mp_cond_t *c = new_cond(NULL);
    struct sleepers s = new_sleepers(c, MP_FOREVER);
    mp_process_t *victim = go_waiter(&s);
    ck_assert(flag_wait(s.sleeping, 1, 5));
    sleep_s(0.05);
    kill_now(victim);
    mp_process_t *live = go_waiter(&s);
    ck_assert(flag_wait(s.sleeping, 2, 5));
    sleep_s(0.05);
    double took;
    ck_assert_mp(mp_cond_acquire(c, 1, 1), 0);
    ck_assert_mp(TIMED(took, mp_cond_notify(c, 1)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert(flag_wait(s.woken, 1, 5)); /* the one notify went to the live waiter */
    ck_assert_int_eq(finish(live, 5), 0);
    ck_assert_mp(mp_cond_acquire(c, 1, 1), 0);
    ck_assert_mp(TIMED(took, mp_cond_notify_all(c)), 0);
    ck_assert_immediate(took);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_int_eq(finish(victim, 5), -SIGKILL);
    free_sleepers(&s);
    mp_cond_free(c);
}
END_TEST

/* args: (cond, flag): takes the lock, raises the flag, and waits to be killed. */
static int take_then_wait_for_kill(mp_obj_t *a)
{
    if (mp_cond_acquire(arg_cond(a, 0), 1, MP_FOREVER) != 0)
        return 1;
    if (flag_raise(arg_sem(a, 1)) != 0)
        return 2;
    for (;;)
        sleep_s(1);
}
JOB(take_then_wait_for_kill);

struct killer {
    mp_process_t *p;
    mp_sem_t *flag;
};

static void *kill_when_flagged(void *arg)
{
    struct killer *k = arg;
    if (flag_wait(k->flag, 1, 5))
        mp_process_kill(k->p);
    return NULL;
}

/* The child takes the condition's lock while the parent waits in wait(), and is killed holding
 * it: the parent's wait() times out, cannot get the lock back from the dead child for ever, and
 * returns holding it with MP_EOWNERDEAD. */
START_TEST(LIBMP_60_lock_owner_dies_during_wait)
{
    mp_cond_t *c = new_cond(NULL);
    mp_sem_t *flag = flag_new();
    ck_assert_mp(mp_cond_acquire(c, 1, MP_FOREVER), 0);
    mp_process_t *p =
        GO(take_then_wait_for_kill, mp_build("(NN)", mp_cond_obj(c), mp_sem_obj(flag)));
    /* A thread kills the child once it holds the lock, while this thread is in wait(). */
    struct killer kl = {p, flag};
    pthread_t t;
    pthread_create(&t, NULL, kill_when_flagged, &kl);
    double t0 = now_s();
    int rc = mp_cond_wait(c, 0.2);
    double took = now_s() - t0;
    ck_assert_mp(rc, MP_EOWNERDEAD);
    ck_assert_msg(took < 2, "wait took %.3f s", took);
    pthread_join(t, NULL);
    ck_assert_int_eq(mp_lock_count(mp_cond_lock(c)), 1);
    ck_assert_mp(mp_lock_make_consistent(mp_cond_lock(c)), 0);
    ck_assert_mp(mp_cond_release(c), 0);
    ck_assert_int_eq(finish(p, 5), -SIGKILL);
    mp_sem_free(flag);
    mp_cond_free(c);
}
END_TEST

#define PC_CAP 8

/* The bounded buffer the two conditions guard. It is plain memory, read and written without
 * atomics under their Lock, so that a lapse of exclusion shows as a wrong sum. It lives in a
 * named POSIX shared memory object (not an anonymous mapping) so that a spawned child, which
 * inherits no mapping, opens it again by its name. */
struct pc_buffer {
    int buf[PC_CAP];
    int head, tail;
    long sum;
};

struct pc {
    mp_cond_t *not_empty, *not_full; /* two conditions over one Lock */
    volatile struct pc_buffer *m;
    int items, consumers;
};

/* Maps the buffer called `name`, creating it (zeroed) if `create`; NULL on failure. */
static volatile struct pc_buffer *pc_map(const char *name, int create)
{
    int fd = shm_open(name, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0)
        return NULL;
    void *p = MAP_FAILED;
    if (!create || ftruncate(fd, sizeof(struct pc_buffer)) == 0)
        p = mmap(NULL, sizeof(struct pc_buffer), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

/* The arguments of produce() and consume(), as pc_args() builds them:
 * (not_empty, not_full, buffer name, items, consumers). */
static int pc_from_args(mp_obj_t *a, struct pc *q)
{
    const char *name = NULL;
    mp_obj_t *o = arg_at(a, 2);
    if (!o || mp_parse(o, "s", &name) != 0)
        return -1;
    *q = (struct pc){arg_cond(a, 0), arg_cond(a, 1), pc_map(name, 0), (int)arg_long(a, 3),
                     (int)arg_long(a, 4)};
    return q->m ? 0 : -1;
}

static mp_obj_t *pc_args(const struct pc *q, const char *name)
{
    return mp_build("(NNsii)", mp_cond_obj(q->not_empty), mp_cond_obj(q->not_full), name, q->items,
                    q->consumers);
}

static int produce(mp_obj_t *a)
{
    struct pc q;
    if (pc_from_args(a, &q) != 0)
        return 3;
    for (int i = 1; i <= q.items + q.consumers; i++) {
        int v = i <= q.items ? i : 0; /* 0: one stop marker per consumer */
        if (mp_cond_acquire(q.not_full, 1, 10) != 0)
            return 1;
        while (q.m->tail - q.m->head == PC_CAP)
            if (mp_cond_wait(q.not_full, 10) != 0)
                return 2;
        q.m->buf[q.m->tail % PC_CAP] = v;
        q.m->tail++;
        mp_cond_notify(q.not_empty, 1);
        mp_cond_release(q.not_full);
    }
    return 0;
}
JOB(produce);

static int consume(mp_obj_t *a)
{
    struct pc q;
    if (pc_from_args(a, &q) != 0)
        return 3;
    for (;;) {
        if (mp_cond_acquire(q.not_empty, 1, 10) != 0)
            return 1;
        while (q.m->tail == q.m->head)
            if (mp_cond_wait(q.not_empty, 10) != 0)
                return 2;
        int v = q.m->buf[q.m->head % PC_CAP];
        q.m->head++;
        q.m->sum += v;
        mp_cond_notify(q.not_full, 1);
        mp_cond_release(q.not_empty);
        if (v == 0)
            return 0;
    }
}
JOB(consume);

/* Stress: one producer, three consumer processes, a bounded buffer of 8 under two conditions
 * sharing one Lock, 200,000 items: every item is consumed once (the sum is exact). */
START_TEST(LIBMP_61_producer_consumers_exact_sum)
{
    mp_lock_t *l;
    ck_assert_mp(mp_lock_new(&l), 0);
    char name[64];
    snprintf(name, sizeof name, "/mp-conformance-cond61-%d", (int)getpid());
    shm_unlink(name); /* a leftover of an earlier run with this pid */
    struct pc q = {new_cond(l), new_cond(l), pc_map(name, 1), 200000, 3};
    ck_assert_msg(q.m != NULL, "shm %s: %s", name, strerror(errno));
    mp_process_t *prod = GO(produce, pc_args(&q, name)), *cons[3];
    for (int i = 0; i < 3; i++)
        cons[i] = GO(consume, pc_args(&q, name));
    int prod_code = finish(prod, 30), cons_code[3];
    for (int i = 0; i < 3; i++)
        cons_code[i] = finish(cons[i], 30);
    long sum = q.m->sum;
    /* unlinked before asserting: a failed assertion ends the test, and the name would stay */
    munmap((void *)q.m, sizeof *q.m);
    shm_unlink(name);
    ck_assert_int_eq(prod_code, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cons_code[i], 0);
    ck_assert_int_eq(sum, 200000L * 200001L / 2);
    mp_cond_free(q.not_empty);
    mp_cond_free(q.not_full);
    mp_lock_free(l);
}
END_TEST

/* Waiters are killed at arbitrary moments around a notify (asleep, just woken, taking the lock
 * back, holding it): whatever the moment, the parent gets the lock back within a second, at
 * once or with MP_EOWNERDEAD, and the condition still works for a new waiter. */
START_TEST(LIBMP_62_waiters_killed_around_notify)
{
    mp_cond_t *c = new_cond(NULL);
    for (int round = 0; round < 20; round++) {
        struct sleepers s = new_sleepers(c, MP_FOREVER);
        mp_process_t *p = go_waiter(&s);
        ck_assert(flag_wait(s.sleeping, 1, 5));
        ck_assert_mp(mp_cond_acquire(c, 1, 1), 0);
        ck_assert_mp(mp_cond_notify(c, 1), 0);
        ck_assert_mp(mp_cond_release(c), 0);
        sleep_s(0.0002 * (round % 8));
        kill_now(p);
        int rc = mp_cond_acquire(c, 1, 1);
        ck_assert_msg(rc == 0 || rc == MP_EOWNERDEAD, "round %d: %s", round, mp_err_name(rc));
        if (rc == MP_EOWNERDEAD)
            ck_assert_mp(mp_lock_make_consistent(mp_cond_lock(c)), 0);
        ck_assert_mp(mp_cond_release(c), 0);
        finish(p, 5);
        /* a new waiter is still woken by one notify */
        p = go_waiter(&s);
        ck_assert(flag_wait(s.sleeping, 2, 5));
        sleep_s(0.01);
        notify_held(c, 1);
        ck_assert_int_eq(finish(p, 5), 0);
        free_sleepers(&s);
    }
    mp_cond_free(c);
}
END_TEST

Suite *mp_suite_condition(void)
{
    Suite *s = suite_create("Condition");
    TCase *tc = mp_tcase("catalogue", 20);
    tcase_add_test(tc, COND_01_wait_without_the_lock);
    tcase_add_test(tc, COND_03_wait_times_out_holding_the_lock);
    tcase_add_test(tc, COND_04_child_notifies);
    tcase_add_test(tc, COND_05_notify_wakes_one_then_the_other);
    tcase_add_test(tc, COND_06_timeouts_then_notify_all);
    tcase_add_test(tc, COND_08_wait_for_across_processes);
    tcase_add_test(tc, COND_09_wait_for_times_out);
    tcase_add_test(tc, COND_10_wait_for_true_at_once);
    tcase_add_test(tc, COND_11_rlock_depth_restored);
    tcase_add_test(tc, COND_13_notify_without_waiters);
    tcase_add_test(tc, LIBMP_56_notify_without_the_lock);
    tcase_add_test(tc, LIBMP_57_notify_n);
    suite_add_tcase(s, tc);
    tc = mp_tcase("dead processes", 20);
    tcase_add_test(tc, LIBMP_58_waiter_killed_in_wait);
    tcase_add_test(tc, LIBMP_60_lock_owner_dies_during_wait);
    tcase_add_test(tc, LIBMP_62_waiters_killed_around_notify);
    suite_add_tcase(s, tc);
    tc = mp_tcase("stress", 60);
    tcase_add_test(tc, LIBMP_61_producer_consumers_exact_sum);
    suite_add_tcase(s, tc);
    return s;
}
