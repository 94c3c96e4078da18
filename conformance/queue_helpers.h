/* Helpers of the queue suites (test_queue*.c, test_simplequeue.c): ints in and out of a queue,
 * and the tcases that test_queue.c adds to its suite. Children are started with go() and
 * joined with finish() from helpers.h; they report by exit code, the test asserts. */
#ifndef MP_CONFORMANCE_QUEUE_HELPERS_H
#define MP_CONFORMANCE_QUEUE_HELPERS_H

#include <stdint.h>

#include "sync_helpers.h"

/* The tcases of test_queue_extensions.c and test_queue_integrity.c. */
TCase *mp_tcase_queue_extensions(void);
TCase *mp_tcase_queue_faults(void);
TCase *mp_tcase_queue_stress(void);

/* put(v) of an int; returns the libmp code (children use it without asserting). */
static inline int qput_int(mp_queue_t *q, int64_t v, int block, double timeout)
{
    mp_obj_t *o = mp_int(v);
    int rc = mp_queue_put(q, o, block, timeout);
    mp_obj_decref(o);
    return rc;
}

/* get() of an int: the libmp code, and the value in *v (-1 if it is not an int). */
static inline int qget_int(mp_queue_t *q, int64_t *v, int block, double timeout)
{
    mp_obj_t *o;
    *v = -1;
    int rc = mp_queue_get(q, &o, block, timeout);
    if (rc == 0) {
        if (mp_int_as_int64(o, v) != 0)
            *v = -1;
        mp_obj_decref(o);
    }
    return rc;
}

/* What a child of the queue tests works on. */
struct qarg {
    mp_queue_t *q;
    double delay;    /* seconds to sleep first */
    int64_t first, n; /* the ints it puts: first .. first+n-1 */
    size_t size;     /* bytes per message, where it puts blobs */
};

/* Child: sleeps `delay`, then puts first .. first+n-1; exit code 0, or 1 + the failing index. */
static inline int put_range(void *p)
{
    const struct qarg *a = p;
    sleep_s(a->delay);
    for (int64_t i = 0; i < a->n; i++)
        if (qput_int(a->q, a->first + i, 1, 10) != 0)
            return (int)(1 + i);
    return 0;
}

/* Test side: the next message must be the int `want`. */
#define ck_get_int(q, want, timeout)                                                              \
    do {                                                                                          \
        int64_t got_;                                                                             \
        ck_assert_mp(qget_int((q), &got_, 1, (timeout)), 0);                                      \
        ck_assert_int_eq(got_, (want));                                                           \
    } while (0)

/* Test side: the queue must hold `n` messages. */
#define ck_qsize(q, n) ck_assert_int_eq(mp_queue_qsize(q), (n))

#endif /* MP_CONFORMANCE_QUEUE_HELPERS_H */
