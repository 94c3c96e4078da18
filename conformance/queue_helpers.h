/* Helpers of the queue suites (test_queue*.c, test_simplequeue.c): ints in and out of a queue,
 * the arguments and bodies of children shared by several files, and the tcases that
 * test_queue.c adds to its suite. Children are JOBs from helpers.h (they run under every start
 * method), started with GO() and joined with finish(); they report by exit code or through a
 * queue handed to them, and the test asserts.
 *
 * Target names are program-wide, so each file registers its own JOBs under a prefix of its own
 * (q_ test_queue.c, qx_ test_queue_extensions.c, qi_ test_queue_integrity.c, sq_
 * test_simplequeue.c); a body used by several files lives here, and each file wraps it. */
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

/* In a child: argument i as a string, NULL for None (or a wrong argument). */
static inline const char *q_arg_str(mp_obj_t *a, size_t i)
{
    const char *s = NULL;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "z", &s) == 0 ? s : NULL;
}

/* The arguments of a put_range child: the queue, the delay, the first int and how many. */
static inline mp_obj_t *range_args(mp_queue_t *q, double delay, int64_t first, int64_t n)
{
    return mp_build("(NdLL)", mp_queue_obj(q), delay, (long long)first, (long long)n);
}

/* Child body, args of range_args(): sleeps `delay`, then puts first .. first+n-1; exit code 0,
 * or 1 + the failing index. */
static inline int put_range(mp_obj_t *a)
{
    mp_queue_t *q = arg_queue(a, 0);
    int64_t first = arg_long(a, 2), n = arg_long(a, 3);
    sleep_s(arg_double(a, 1));
    for (int64_t i = 0; i < n; i++)
        if (qput_int(q, first + i, 1, 10) != 0)
            return (int)(1 + i);
    return 0;
}

/* Test side: the next message must be the int `want`. */
#define ck_get_int(q, want, timeout)                                                               \
    do {                                                                                           \
        int64_t got_;                                                                              \
        ck_assert_mp(qget_int((q), &got_, 1, (timeout)), 0);                                       \
        ck_assert_int_eq(got_, (want));                                                            \
    } while (0)

/* Test side: the queue must hold `n` messages. */
#define ck_qsize(q, n) ck_assert_int_eq(mp_queue_qsize(q), (n))

#endif /* MP_CONFORMANCE_QUEUE_HELPERS_H */
