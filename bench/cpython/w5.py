"""W5 CPython: multiprocessing.Lock. uncontended: acquire+release COUNT times in one process,
ns per pair. contended: 2 processes each add 1 to a Value COUNT times under a Lock, ns per
increment (2 * COUNT increments are reported). value: the same with a Value('q') and its own
lock, `with value.get_lock(): value.value += 1`."""
import time

from bench_common import fork, parse, report, run_gated


def uncontended(count):
    lock = fork.Lock()
    t0 = time.perf_counter()
    for _ in range(count):
        lock.acquire()
        lock.release()
    return time.perf_counter() - t0


def increment(value, lock, count):
    for _ in range(count):
        with lock:
            value.value += 1


def contended(count):
    value = fork.Value("q", 0, lock=False)
    lock = fork.Lock()
    seconds = run_gated([(increment, (value, lock, count))] * 2)
    if value.value != 2 * count:
        raise SystemExit("w5: increments lost")
    return seconds


def increment_value(value, count):
    for _ in range(count):
        with value.get_lock():
            value.value += 1


def value_mode(count):
    value = fork.Value("q", 0)
    seconds = run_gated([(increment_value, (value, count))] * 2)
    if value.value != 2 * count:
        raise SystemExit("w5: increments lost")
    return seconds


def main():
    count, mode = parse(["uncontended", "contended", "value"])
    if mode == "uncontended":
        report(count, uncontended(count))
    elif mode == "value":
        report(2 * count, value_mode(count))
    else:
        report(2 * count, contended(count))


if __name__ == "__main__":
    main()
