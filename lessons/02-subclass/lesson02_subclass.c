/* Lesson 02: the clock as a class, a "subclass" of Process made with a vtable.
 *
 * Python original:  class ClockProcess(multiprocessing.Process): def run(self): ...
 * Shown in: docs, "Lesson 2"          Run: make lesson-02 [ARGS="--interval 0.5 --count 3"]
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

// [class]
/* The subclass: the base object comes first, so a clock_process_t * is an mp_process_t *. */
typedef struct {
    mp_process_t base;
    double interval;
    int count;
} clock_process_t;

/* The overridden run(): called in the child by start(), as Python calls self.run(). */
static void clock_run(mp_process_t *self)
{
    clock_process_t *clock = (clock_process_t *)self;
    for (int n = clock->count; n > 0; n--) {
        time_t now = time(NULL);
        printf("the time is %s", ctime(&now));
        fflush(stdout);
        usleep((useconds_t)(clock->interval * 1e6));
    }
}

/* The class: its name (for default names: ClockProcess-1) and its methods. */
static const mp_process_vtable_t clock_process_class = {"ClockProcess", clock_run, NULL};

/* __init__: first the base class's, as Python's Process.__init__(self), then our fields. */
static void clock_process_init(clock_process_t *clock, double interval, int count)
{
    lesson_check(mp_process_init(&clock->base, &clock_process_class, NULL));
    clock->interval = interval;
    clock->count = count;
}
// [class]

int main(int argc, char **argv)
{
    struct lesson_opts o = {3.0, 5};
    lesson_parse(argc, argv, &o);
    // [main]
    clock_process_t clock;
    mp_process_t *p = &clock.base;
    clock_process_init(&clock, o.interval, o.count);
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
