/*
 * W4 libmp: start and join COUNT processes one after another, each running an empty target,
 * under the start method MODE (fork, spawn or forkserver): the cost of mp_process_start() +
 * mp_process_join() over the floor's fork + waitpid (fork) or fork + exec + waitpid (spawn).
 */
#include "common.h"

#include <mp.h>

static void empty(mp_obj_t *args, mp_obj_t *kwargs, void *ctx) {
    (void)args;
    (void)kwargs;
    (void)ctx;
}

MP_TARGET(empty);

static void start_and_join(void *ctx) {
    mp_process_t *p;
    mp_process_opts_t o = MP_PROCESS_OPTS_INIT;
    o.context = ctx;
    int code = -1;
    if (mp_process_new(&p, empty, NULL, &o) != 0 || mp_process_start(p) != 0 ||
        mp_process_join(p, MP_FOREVER) != 0 || mp_process_exitcode(p, &code) != 0 || code != 0)
        bench_fail("w4: a process did not start, end or exit 0");
    mp_process_free(p);
}

int main(int argc, char **argv) {
    static const char *const modes[] = {"fork", "spawn", "forkserver", NULL};
    bench_args_t a;
    const mp_context_t *ctx;

    bench_parse(argc, argv, modes, &a);
    if (mp_get_context(a.mode, &ctx) != 0)
        bench_fail(mp_errmsg());
    /* The fork server starts on first use: outside the timed loop, as CPython's does. */
    if (bench_mode_is(&a, "forkserver"))
        start_and_join((void *)ctx);
    bench_report(a.count, bench_time_loop(a.count, start_and_join, (void *)ctx));
    return 0;
}
