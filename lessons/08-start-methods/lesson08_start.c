/* Lesson 08: one program under the three start methods, fork, spawn and forkserver.
 *
 * Python original:  for method in ("fork", "spawn", "forkserver"):
 *                       ctx = multiprocessing.get_context(method); ctx.Process(...)...
 * Shown in: docs, "Lesson 8"          Run: make lesson-08 [ARGS="--count 3"]
 *
 * --count is the number each child squares (it puts count * count on the queue).
 */
#include <stdio.h>
#include <string.h>

#include <mp.h>

#include "../lesson.h"

// [globals]
/* Set by main() before any child starts. A forked child gets a copy of it; a spawned child is a
 * fresh run of the program, in which main() never runs: it sees the initial 0. */
static int counter;
// [globals]

// [child]
/* Registered by name (MP_TARGET below): the name is what spawn and forkserver send. */
static void child(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs, (void)ctx;
    const char *method;
    long n;
    mp_obj_t *qobj;
    mp_queue_t *q;
    lesson_check(mp_parse(args, "(slO)", &method, &n, &qobj));
    lesson_check(mp_obj_as_queue(qobj, &q)); /* the handle came with the arguments */
    printf("%s: the child sees counter = %d\n", method, counter);
    mp_obj_t *square = lesson_ptr(mp_int(n * n));
    lesson_check(mp_queue_put(q, square, 1, MP_FOREVER));
    mp_obj_decref(square);
}
MP_TARGET(child);
// [child]

// [unnamed]
/* Not registered: a forked child can run it (it is in the copy of memory), a fresh program
 * image has no way to find it, so start() refuses it in the parent. */
static void unnamed(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs, (void)ctx;
    const char *method;
    lesson_check(mp_parse(args, "(s)", &method));
    printf("%s: the unnamed function ran in the child\n", method);
}
// [unnamed]

// [one]
static void run_under(const char *method, int count)
{
    const mp_context_t *ctx;
    mp_queue_t *q;
    mp_process_t *p;
    lesson_check(mp_get_context(method, &ctx));
    lesson_check(mp_queue_new(&q, 0));
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.context = ctx;
    mp_obj_t *args = lesson_ptr(mp_build("(siN)", method, count, mp_queue_obj(q)));
    lesson_check(mp_process_new(&p, child, args, &o));
    mp_obj_decref(args);
    lesson_check(mp_process_start(p));
    mp_obj_t *got;
    lesson_check(mp_queue_get(q, &got, 1, MP_FOREVER));
    long square = 0;
    lesson_check(mp_parse(got, "l", &square));
    mp_obj_decref(got);
    lesson_check(mp_process_join(p, MP_FOREVER));
    lesson_check(mp_process_free(p));
    printf("%s: the child put %ld on the queue\n", method, square);

    args = lesson_ptr(mp_build("(s)", method));
    lesson_check(mp_process_new(&p, unnamed, args, &o));
    mp_obj_decref(args);
    int rc = mp_process_start(p);
    if (rc == 0) {
        lesson_check(mp_process_join(p, MP_FOREVER));
    } else { /* CPython's exception name, without its module: the C and Python lines match */
        const char *exc = strrchr(mp_exception_name(rc), '.');
        printf("%s: an unnamed target is refused in start(): %s\n", method, exc + 1);
    }
    lesson_check(mp_process_free(p));
    mp_queue_free(q);
}
// [one]

int main(int argc, char **argv)
{
    struct lesson_opts o = {0, 7};
    lesson_parse(argc, argv, &o);
    // [main]
    counter = 100;
    static const char *const methods[] = {"fork", "spawn", "forkserver"};
    for (int i = 0; i < 3; i++)
        run_under(methods[i], o.count);
    // [main]
    return 0;
}
