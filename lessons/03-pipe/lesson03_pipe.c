/* Lesson 03: a pipe between two processes, proc1 sending and proc2 receiving.
 *
 * Python original:  pipe = multiprocessing.Pipe(); Process(target=proc1, args=(pipe[0],)) ...
 * Shown in: docs, "Lesson 3"          Run: make lesson-03 [ARGS="--interval 0.2 --count 5"]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

// [proc1]
/* Sends 0, 1, 2 ... then closes its end: that close is what lets proc2 see the end. */
static void proc1(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    mp_conn_t *pipe = ctx;
    int count;
    double interval;
    lesson_check(mp_parse(args, "(id)", &count, &interval));
    for (int i = 0; i < count; i++) {
        printf("send: %d\n", i);
        fflush(stdout);
        mp_obj_t *value = lesson_ptr(mp_int(i));
        lesson_check(mp_conn_send(pipe, value)); /* pickled, framed as CPython's pipe.send(i) */
        mp_obj_decref(value);
        usleep((useconds_t)(interval * 1e6));
    }
    lesson_check(mp_conn_close(pipe));
}
// [proc1]

// [proc2]
/* Prints what arrives until end of file (MP_EOF: Python's EOFError). */
static void proc2(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)args, (void)kwargs;
    mp_conn_t *pipe = ctx;
    mp_obj_t *value;
    while (lesson_check_or(mp_conn_recv(pipe, &value), MP_EOF) == 0) {
        char *text = lesson_ptr(mp_repr(value));
        printf("proc2 rev: %s\n", text);
        fflush(stdout);
        free(text);
        mp_obj_decref(value);
    }
}
// [proc2]

static mp_process_t *start(mp_target_t target, mp_obj_t *args, mp_conn_t *end)
{
    mp_process_t *p;
    mp_process_opts_t opts = MP_PROCESS_OPTS_INIT;
    opts.ctx = end; /* under fork the child inherits the end: pass it as closure state */
    lesson_check(mp_process_new(&p, target, args, &opts));
    lesson_check(mp_process_start(p));
    return p;
}

int main(int argc, char **argv)
{
    struct lesson_opts o = {1.0, 10};
    lesson_parse(argc, argv, &o);
    // [main]
    mp_conn_t *end0, *end1;
    lesson_check(mp_pipe(&end0, &end1, 1)); /* duplex, as Python's Pipe() */
    mp_obj_t *args = lesson_ptr(mp_build("(id)", o.count, o.interval));
    mp_process_t *p1 = start(proc1, args, end0);
    /* proc1 has its copy; ours would keep proc2 from seeing the end */
    lesson_check(mp_conn_close(end0));
    mp_process_t *p2 = start(proc2, NULL, end1);
    lesson_check(mp_conn_close(end1));
    lesson_check(mp_process_join(p1, MP_FOREVER));
    lesson_check(mp_process_join(p2, MP_FOREVER));
    // [main]
    mp_obj_decref(args);
    lesson_check(mp_process_free(p1));
    lesson_check(mp_process_free(p2));
    mp_conn_free(end0);
    mp_conn_free(end1);
    return 0;
}
