"""W4 CPython: start and join COUNT processes one after another, each running an empty
function, with the fork, spawn or forkserver start method; us per process."""
import multiprocessing as mp
import time

from bench_common import parse, report


def empty():
    pass


def main():
    count, method = parse(["fork", "spawn", "forkserver"])
    ctx = mp.get_context(method)
    if method == "forkserver":
        # The server starts with the first process; start it before the clock, as it is paid once.
        first = ctx.Process(target=empty)
        first.start()
        first.join()
    t0 = time.perf_counter()
    for _ in range(count):
        p = ctx.Process(target=empty)
        p.start()
        p.join()
        if p.exitcode != 0:
            raise SystemExit("w4: exit code %s" % p.exitcode)
    t1 = time.perf_counter()
    report(count, t1 - t0)


if __name__ == "__main__":
    main()
