/*
 * W4 floor: start and reap COUNT children one after another, each ending at once with _exit(0):
 * the least a process start plus join can cost: fork + _exit + waitpid (MODE fork), or fork +
 * exec of this program, which exits at the top of main(), + waitpid (MODE exec, spawn's floor),
 * or the same started with posix_spawn (MODE posix_spawn: vfork-like, the cheapest exec).
 */
#include "common.h"

#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bench_die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_fail("w4: child did not exit 0");
}

static void posix_spawn_and_reap(void *unused) {
    (void)unused;
    char *argv[] = {"floor-w4", "--exit", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0)
        bench_die("posix_spawn");
    reap(pid);
}

static void fork_and_reap(void *exec_self) {
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0 && exec_self) {
        char *argv[] = {"floor-w4", "--exit", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (pid == 0)
        _exit(0);
    reap(pid);
}

int main(int argc, char **argv) {
    static const char *const modes[] = {"fork", "exec", "posix_spawn", NULL};
    bench_args_t a;

    if (argc == 2 && strcmp(argv[1], "--exit") == 0)
        _exit(0);
    bench_parse(argc, argv, modes, &a);
    if (bench_mode_is(&a, "posix_spawn"))
        bench_report(a.count, bench_time_loop(a.count, posix_spawn_and_reap, NULL));
    else
        bench_report(a.count, bench_time_loop(a.count, fork_and_reap,
                                              bench_mode_is(&a, "exec") ? argv : NULL));
    return 0;
}
