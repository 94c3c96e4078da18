/*
 * W4 libmp: start and join COUNT processes one after another, each running an empty target
 * (fork start method): the cost of mp_process_start() + mp_process_join() over fork + waitpid.
 */
#include "common.h"

#include <mp.h>

static void empty(mp_obj_t *args, mp_obj_t *kwargs, void *ctx) {
    (void)args;
    (void)kwargs;
    (void)ctx;
}

static void start_and_join(void *unused) {
    (void)unused;
    mp_process_t *p;
    int code = -1;
    if (mp_process_new(&p, empty, NULL, NULL) != 0 || mp_process_start(p) != 0 ||
        mp_process_join(p, MP_FOREVER) != 0 || mp_process_exitcode(p, &code) != 0 || code != 0)
        bench_fail("w4: a process did not start, end or exit 0");
    mp_process_free(p);
}

int main(int argc, char **argv) {
    bench_args_t a;

    bench_parse(argc, argv, NULL, &a);
    bench_report(a.count, bench_time_loop(a.count, start_and_join, NULL));
    return 0;
}
