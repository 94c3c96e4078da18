/* What every lesson program shares: its two options, and the checks of what libmp returns.
 *
 * Lessons default to the tutorial's pace (a tick every 3 seconds, 5 ticks); `--interval` and
 * `--count` shorten a run, which is how `make lessons-check` runs each lesson beside its Python
 * twin (lessons/lesson.py is the Python side of this file).
 *
 * Every call that returns a code goes through lesson_check(), in the way of the error-handling
 * functions of Kerrisk's "The Linux Programming Interface": a failure is never ignored, and it
 * ends the program with a line that says which call failed, where, with which code and why:
 *
 *     lessons/04-lock/lesson04_lock.c:30: mp_lock_release(lock): MP_EOVERFLOW: semaphore or
 *     lock released too many times
 *
 * A Python program gets the same from an uncaught exception; in a child started by libmp the
 * exit goes through mp_exit(), as sys.exit() would. */
#ifndef LESSON_H
#define LESSON_H

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <mp.h>

struct lesson_opts {
    double interval; /* seconds between ticks */
    int count;       /* how many ticks */
};

static inline void lesson_parse(int argc, char **argv, struct lesson_opts *o)
{
    static const struct option longopts[] = {
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "i:c:h", longopts, NULL)) != -1) {
        if (c == 'i')
            o->interval = atof(optarg);
        else if (c == 'c')
            o->count = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [--interval SECONDS] [--count N]\n", argv[0]);
            exit(c == 'h' ? 0 : 2);
        }
    }
}

/* Prints what failed and ends the process with exit code 1. */
static inline void lesson_fail(const char *file, int line, const char *call, const char *code)
{
    fflush(stdout); /* what the program printed before the failure comes first */
    fprintf(stderr, "%s:%d: %s: %s: %s\n", file, line, call, code, mp_errmsg());
    mp_exit(1);
}

static inline int lesson_check_at(int rc, int answer, const char *file, int line,
                                  const char *call)
{
    if (rc < 0 && rc != answer)
        lesson_fail(file, line, call, mp_err_name(rc));
    return rc;
}

static inline void *lesson_ptr_at(void *p, const char *file, int line, const char *call)
{
    if (p == NULL)
        lesson_fail(file, line, call, "returned NULL");
    return p;
}

/** lesson_check(call): the code that `call` returns (0 or more); a negative code ends the
 *  program. */
#define lesson_check(call) lesson_check_at((call), 0, __FILE__, __LINE__, #call)

/** lesson_check_or(call, answer): as lesson_check(), but the code `answer` is one of the call's
 *  answers, not a failure (MP_ETIMEDOUT is Python's False, MP_EOF its EOFError), and is
 *  returned. */
#define lesson_check_or(call, answer) lesson_check_at((call), (answer), __FILE__, __LINE__, #call)

/** lesson_ptr(call): what a call that returns a new object returns; NULL ends the program. */
#define lesson_ptr(call) lesson_ptr_at((call), __FILE__, __LINE__, #call)

#endif /* LESSON_H */
