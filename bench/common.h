/*
 * What every benchmark program shares: its command line, the clock, the result line the driver
 * (bench/run.py) parses, forking children behind a start gate, and process-shared memory.
 *
 * Command line of every program:  PROGRAM COUNT [MODE] [--pin]
 *   COUNT  operations to time (round trips, messages, items, processes, lock pairs)
 *   MODE   which variant of the workload, when the program has several
 *   --pin  run every process of the benchmark on one CPU (the lowest one allowed)
 * Output: one line `result ops=N seconds=S ns_per_op=X`; anything else goes to stderr.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/types.h>

typedef struct bench_args {
    long count;
    const char *mode; /* one of the modes the program accepts; NULL if it has none */
    int pin;
} bench_args_t;

/* Parses argv; `modes` is a NULL-terminated list (NULL: the program has no modes; otherwise
 * the first is the default). Exits with a usage message on a bad command line. Applies --pin. */
void bench_parse(int argc, char **argv, const char *const *modes, bench_args_t *a);
int bench_mode_is(const bench_args_t *a, const char *mode);

double bench_now(void);
void bench_report(long ops, double seconds);

/* Reports a failed system call and exits 1: a benchmark that cannot do its work has no figure. */
_Noreturn void bench_die(const char *what);
/* The same for a failed check that has no errno: a wrong answer, a short stream. */
_Noreturn void bench_fail(const char *what);

/* Blocking I/O that retries EINTR and short transfers; a failure or an early end of the stream
 * ends the program. bench_read_some() returns what one read(2) gave (at least 1 byte). */
size_t bench_read_some(int fd, void *buf, size_t len);
void bench_read_full(int fd, void *buf, size_t len);
void bench_write_full(int fd, const void *buf, size_t len);
void bench_writev_full(int fd, struct iovec *iov, int n);

/* Zeroed memory that stays shared with every child forked afterwards. */
void *bench_shared(size_t size);
void bench_mutex_init(pthread_mutex_t *m);
void bench_cond_init(pthread_cond_t *c);

/*
 * The start gate keeps process start-up out of the timed section: children started with
 * bench_spawn() report ready and block until bench_gate_open() releases them all at once.
 * bench_gate_open() reads the clock once every child is ready and *before* the release: with
 * more runnable processes than CPUs, the releasing process may not run again until the
 * children are done, and a clock read after the release would miss their work.
 */
typedef struct bench_gate {
    int ready[2];
    int go[2];
    int children;
    pid_t pids[8];
} bench_gate_t;

void bench_gate_init(bench_gate_t *g);
void bench_spawn(bench_gate_t *g, void (*body)(void *), void *arg);
/* Returns the start time (bench_now()). */
double bench_gate_open(bench_gate_t *g);
/* Waits for every child; exits 1 if one did not exit 0. */
void bench_join_all(bench_gate_t *g);

/* The shape of most workloads: child(child_arg) runs in a child process, parent(parent_arg)
 * here, both released by the gate at once. Returns the seconds parent() took; the child must
 * then exit 0. */
double bench_with_child(void (*child)(void *), void *child_arg, void (*parent)(void *),
                        void *parent_arg);
/* The seconds `count` calls of op(arg) take: for operations long enough (a process start) that
 * the indirect call does not count. */
double bench_time_loop(long count, void (*op)(void *), void *arg);

/*
 * A busy loop of CPU work for the workloads whose tasks must take a set time (W7c): no system
 * call, no memory traffic, a chain of dependent multiply-adds the compiler cannot elide.
 * bench_spin(n) runs n steps; bench_spin_calibrate(seconds) gives the n that takes `seconds` of
 * this thread's CPU time (the fastest of several trials, so that a preemption does not inflate
 * it); call it before the clock starts. The floor and libmp programs share this very code.
 */
uint64_t bench_spin(uint64_t n);
uint64_t bench_spin_calibrate(double seconds);

#endif /* BENCH_COMMON_H */
