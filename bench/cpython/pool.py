"""W7 CPython: a multiprocessing.get_context('fork').Pool(2) runs COUNT tasks:
  map          (W7a) one pool.map(sqr, ints 0..COUNT-1), automatic chunksize;
  apply_async  (W7b) COUNT pool.apply_async(sqr, (i,)), then get() of each result;
  map1ms       (W7c) one pool.map over COUNT tasks of 1 ms of CPU each (a Python busy loop,
               calibrated here before the clock and before the workers are forked).
Time per task. The pool is made, and its workers have run one task, before the clock starts:
its start-up is W4's business. The input list is built before the clock and every result is
checked after it."""
import multiprocessing as mp
import time

from bench_common import parse, report


def sqr(x):
    return x * x


def spin(n):
    """One task of W7c: n steps of a Python loop (about 1 ms); returns a byte of its result."""
    x = n
    for i in range(n):
        x ^= i
    return x & 0xff


def spin_time(n, trials):
    """The fastest of `trials` runs of spin(n), in seconds of this thread's CPU time."""
    best = float("inf")
    for _ in range(trials):
        t0 = time.thread_time()
        spin(n)
        best = min(best, time.thread_time() - t0)
    return best


def calibrate_once(seconds):
    """The n for which spin(n) takes `seconds` of CPU (as bench_spin_calibrate() in common.c)."""
    n = 1000
    while spin_time(n, 1) < seconds / 10:
        n *= 2
    n = int(n * seconds / spin_time(n, 3))
    for _ in range(2):
        n = int(n * seconds / spin_time(n, 15))
    return max(n, 1)


def calibrate(seconds):
    """calibrate_once() after a warm-up, three times, keeping the largest n. On a shared VM the
    interpreter's speed is bimodal (up to 1.7x between states that last a fraction of a second,
    where the C loop of common.c moves by 1%): the largest n is 1 ms in the machine's fast
    state, so that a task is never shorter than 1 ms and the floor stays a floor."""
    spin_time(10000, 20)  # the first runs of a loop are slower (the adaptive interpreter)
    return max(calibrate_once(seconds) for _ in range(3))


def main():
    count, mode = parse(["map", "apply_async", "map1ms"])
    steps = calibrate(1e-3) if mode == "map1ms" else 0
    with mp.get_context("fork").Pool(2) as pool:
        if pool.apply(sqr, (3,)) != 9:
            raise SystemExit("pool: apply gave a wrong result")
        if mode == "map":
            xs = list(range(count))
            t0 = time.perf_counter()
            out = pool.map(sqr, xs)
            t1 = time.perf_counter()
            if out != [x * x for x in xs]:
                raise SystemExit("pool: map gave a wrong result")
        elif mode == "apply_async":
            got = []
            t0 = time.perf_counter()
            rs = [pool.apply_async(sqr, (i,)) for i in range(count)]
            for r in rs:
                got.append(r.get())
            t1 = time.perf_counter()
            if got != [i * i for i in range(count)]:
                raise SystemExit("pool: apply_async gave a wrong result")
        else:
            xs = [steps] * count
            t0 = time.perf_counter()
            out = pool.map(spin, xs)
            t1 = time.perf_counter()
            if out != [spin(steps)] * count:
                raise SystemExit("pool: map gave a wrong result")
        pool.close()
        pool.join()
    report(count, t1 - t0)


if __name__ == "__main__":
    main()
