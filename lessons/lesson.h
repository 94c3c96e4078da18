/* What every lesson program shares: its two options. Lessons default to the tutorial's pace
 * (a tick every 3 seconds, 5 ticks); `--interval` and `--count` shorten a run, which is how
 * `make lessons-check` runs each lesson beside its Python twin. */
#ifndef LESSON_H
#define LESSON_H

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif /* LESSON_H */
