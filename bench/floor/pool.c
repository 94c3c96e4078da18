/*
 * W7c floor: the ideal speed-up of COUNT tasks of 1 ms of CPU on 2 workers. Two plain forked
 * children, released at once by the start gate, split the tasks evenly and run them (the same
 * calibrated busy loop as libmp's tasks, bench_spin() of common.c); the parent waits for both.
 * Time per task: 0.5 ms on 2 idle cores, plus what fork's gate and waitpid cost. Nothing else:
 * no task is sent and no result comes back, so a pool cannot beat it.
 * The busy loop is calibrated before the children start, outside the timed part.
 */
#include "common.h"

#include <stdio.h>

typedef struct share {
    uint64_t spin; /* steps of bench_spin() in 1 ms */
    long tasks;    /* this child's share of the tasks */
} share_t;

static void run_share(void *arg) {
    const share_t *s = arg;
    uint64_t sink = 0;
    for (long i = 0; i < s->tasks; i++)
        sink += bench_spin(s->spin);
    if (sink == 1) /* never: keeps the results alive */
        fputc('\n', stderr);
}

int main(int argc, char **argv) {
    static const char *const modes[] = {"map1ms", NULL};
    bench_args_t a;
    bench_gate_t g;

    bench_parse(argc, argv, modes, &a);
    uint64_t spin = bench_spin_calibrate(1e-3);
    share_t shares[2] = {{spin, (a.count + 1) / 2}, {spin, a.count / 2}};
    bench_gate_init(&g);
    for (int i = 0; i < 2; i++)
        bench_spawn(&g, run_share, &shares[i]);
    double t0 = bench_gate_open(&g);
    bench_join_all(&g);
    bench_report(a.count, bench_now() - t0);
    return 0;
}
