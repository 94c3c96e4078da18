#include "common.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

_Noreturn void bench_die(const char *what) {
    fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

_Noreturn void bench_fail(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

static _Noreturn void usage(const char *prog, const char *const *modes) {
    fprintf(stderr, "usage: %s COUNT%s [--pin]\n", prog, modes ? " [MODE]" : "");
    for (; modes && *modes; modes++)
        fprintf(stderr, "  MODE %s\n", *modes);
    exit(2);
}

/* Pinning picks the lowest CPU the process may use, so that a run under taskset or in a
 * cpuset still pins to a CPU it owns. */
static void pin_to_one_cpu(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        bench_die("sched_getaffinity");
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            bench_die("sched_setaffinity");
        return;
    }
}

static const char *find_mode(const char *arg, const char *const *modes) {
    for (; modes && *modes; modes++)
        if (strcmp(arg, *modes) == 0)
            return *modes;
    return NULL;
}

void bench_parse(int argc, char **argv, const char *const *modes, bench_args_t *a) {
    memset(a, 0, sizeof *a);
    a->mode = modes ? modes[0] : NULL;
    a->count = -1;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--pin") == 0) {
            a->pin = 1;
        } else if (a->count < 0) {
            a->count = strtol(argv[i], &end, 10);
            if (*end || a->count < 1)
                usage(argv[0], modes);
        } else if (!(a->mode = find_mode(argv[i], modes))) {
            usage(argv[0], modes);
        }
    }
    if (a->count < 1)
        usage(argv[0], modes);
    if (a->pin)
        pin_to_one_cpu();
}

int bench_mode_is(const bench_args_t *a, const char *mode) {
    return a->mode && strcmp(a->mode, mode) == 0;
}

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_report(long ops, double seconds) {
    printf("result ops=%ld seconds=%.9f ns_per_op=%.3f\n", ops, seconds, seconds * 1e9 / (double)ops);
    fflush(stdout);
}

size_t bench_read_some(int fd, void *buf, size_t len) {
    ssize_t n;
    while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        bench_die("read");
    if (n == 0)
        bench_fail("read: the stream ended early");
    return (size_t)n;
}

void bench_read_full(int fd, void *buf, size_t len) {
    for (char *p = buf, *end = p + len; p < end;)
        p += bench_read_some(fd, p, (size_t)(end - p));
}

void bench_writev_full(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t done = writev(fd, iov, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            bench_die("writev");
        /* A short write (a socket, or a signal) leaves the rest of the iovecs to go. */
        while (n > 0 && (size_t)done >= iov->iov_len) {
            done -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= (size_t)done;
        }
    }
}

void bench_write_full(int fd, const void *buf, size_t len) {
    struct iovec iov = {(void *)buf, len};
    bench_writev_full(fd, &iov, 1);
}

void *bench_shared(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        bench_die("mmap");
    return p;
}

void bench_mutex_init(pthread_mutex_t *m) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if ((errno = pthread_mutex_init(m, &attr)) != 0)
        bench_die("pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
}

void bench_cond_init(pthread_cond_t *c) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if ((errno = pthread_cond_init(c, &attr)) != 0)
        bench_die("pthread_cond_init");
    pthread_condattr_destroy(&attr);
}

void bench_gate_init(bench_gate_t *g) {
    memset(g, 0, sizeof *g);
    if (pipe(g->ready) != 0 || pipe(g->go) != 0)
        bench_die("pipe");
}

/* A child waits for end-of-file on the go pipe, which needs every copy of its write end closed:
 * its own here, the parent's in bench_gate_open(). */
static void wait_for_go(bench_gate_t *g) {
    char c = 1;
    close(g->go[1]);
    close(g->ready[0]);
    bench_write_full(g->ready[1], &c, 1);
    close(g->ready[1]);
    while (read(g->go[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(g->go[0]);
}

void bench_spawn(bench_gate_t *g, void (*body)(void *), void *arg) {
    if (g->children == (int)(sizeof g->pids / sizeof g->pids[0])) {
        errno = EMLINK;
        bench_die("bench_spawn");
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        wait_for_go(g);
        body(arg);
        fflush(NULL);
        _exit(0);
    }
    g->pids[g->children++] = pid;
}

double bench_gate_open(bench_gate_t *g) {
    char c;
    close(g->ready[1]);
    for (int i = 0; i < g->children; i++)
        bench_read_full(g->ready[0], &c, 1);
    close(g->ready[0]);
    close(g->go[0]);
    double t0 = bench_now();
    close(g->go[1]);
    return t0;
}

void bench_join_all(bench_gate_t *g) {
    int failed = 0;
    for (int i = 0; i < g->children; i++) {
        int status;
        while (waitpid(g->pids[i], &status, 0) < 0)
            if (errno != EINTR)
                bench_die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench: child %d ended with status 0x%x\n", (int)g->pids[i], status);
            failed = 1;
        }
    }
    if (failed)
        exit(1);
}

double bench_with_child(void (*child)(void *), void *child_arg, void (*parent)(void *),
                        void *parent_arg) {
    bench_gate_t g;
    bench_gate_init(&g);
    bench_spawn(&g, child, child_arg);
    double t0 = bench_gate_open(&g);
    parent(parent_arg);
    double t1 = bench_now();
    bench_join_all(&g);
    return t1 - t0;
}

double bench_time_loop(long count, void (*op)(void *), void *arg) {
    double t0 = bench_now();
    for (long i = 0; i < count; i++)
        op(arg);
    return bench_now() - t0;
}

uint64_t bench_spin(uint64_t n) {
    uint64_t x = n;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

static double thread_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The fastest of `trials` runs of bench_spin(n), in seconds of thread CPU time. */
static double spin_time(uint64_t n, int trials) {
    double best = 1e30;
    for (int i = 0; i < trials; i++) {
        double t0 = thread_cpu_now();
        bench_spin(n);
        double t = thread_cpu_now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

uint64_t bench_spin_calibrate(double seconds) {
    uint64_t n = 1000;
    /* A first guess from a run long enough for the clock (a tenth of the target at least)... */
    while (spin_time(n, 1) < seconds / 10)
        n *= 2;
    n = (uint64_t)((double)n * seconds / spin_time(n, 3));
    /* ...then twice: the fastest of 15 runs at the guess, and the guess scaled to the target. */
    for (int round = 0; round < 2; round++)
        n = (uint64_t)((double)n * seconds / spin_time(n, 15));
    return n ? n : 1;
}
