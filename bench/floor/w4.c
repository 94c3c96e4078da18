/*
 * W4 floor: start and reap COUNT children one after another, each ending at once with _exit(0):
 * the least a process start plus join can cost (fork + _exit + waitpid).
 */
#include "common.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

static void fork_and_reap(void *unused) {
    (void)unused;
    int status;
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bench_die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_fail("w4: child did not exit 0");
}

int main(int argc, char **argv) {
    bench_args_t a;

    bench_parse(argc, argv, NULL, &a);
    bench_report(a.count, bench_time_loop(a.count, fork_and_reap, NULL));
    return 0;
}
