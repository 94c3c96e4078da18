/* Lesson 01: the clock worker, a function run in a new process.
 *
 * Python original:  p = multiprocessing.Process(target=worker, args=(3,)); p.start()
 * Shown in: docs, "Lesson 1"          Run: make lesson-01 [ARGS="--interval 0.5 --count 3"]
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

// [worker]
/* The target: runs in the child. Its arguments arrive as one tuple, as Python's *args. */
static void worker(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs, (void)ctx;
    double interval;
    int n;
    lesson_check(mp_parse(args, "(di)", &interval, &n));
    while (n > 0) {
        time_t now = time(NULL);
        printf("The time is %s", ctime(&now)); /* ctime() ends with a newline */
        fflush(stdout);
        usleep((useconds_t)(interval * 1e6));
        n--;
    }
}
// [worker]

int main(int argc, char **argv)
{
    struct lesson_opts o = {3.0, 5};
    lesson_parse(argc, argv, &o);
    // [main]
    mp_process_t *p;
    mp_obj_t *args = lesson_ptr(mp_build("(di)", o.interval, o.count)); /* (interval, count) */
    lesson_check(mp_process_new(&p, worker, args, NULL)); /* p keeps its own reference */
    mp_obj_decref(args);
    lesson_check(mp_process_start(p));
    printf("p.pid: %d\n", (int)mp_process_pid(p));
    printf("p.name: %s\n", mp_process_name(p));
    printf("p.is_alive: %s\n", lesson_check(mp_process_is_alive(p)) ? "True" : "False");
    fflush(stdout); /* print(..., flush=True): show these now, even into a pipe */
    lesson_check(mp_process_join(p, MP_FOREVER));
    // [main]
    lesson_check(mp_process_free(p));
    return 0;
}
