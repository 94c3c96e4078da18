"""What every CPython benchmark shares with the C ones (bench/common.h): the command line
`PROGRAM COUNT [MODE] [--pin]`, pinning, the start gate and the one result line."""
import multiprocessing as mp
import os
import sys
import time

fork = mp.get_context("fork")


def parse(modes=None):
    """Returns (count, mode) from argv; applies --pin. The first of `modes` is the default."""
    args = sys.argv[1:]
    pin = "--pin" in args
    args = [a for a in args if a != "--pin"]
    try:
        count = int(args[0])
        mode = args[1] if len(args) > 1 else (modes[0] if modes else None)
        if count < 1 or len(args) > 2 or (mode is not None and mode not in (modes or ())):
            raise ValueError
    except (IndexError, ValueError):
        sys.exit("usage: %s COUNT%s [--pin]" % (sys.argv[0], " [%s]" % "|".join(modes) if modes else ""))
    if pin:
        # The lowest CPU this process may use, as the C programs pick it; children inherit it.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    return count, mode


def report(ops, seconds):
    print("result ops=%d seconds=%.9f ns_per_op=%.3f" % (ops, seconds, seconds * 1e9 / ops), flush=True)


def _gated(ready, go, body, args):
    ready.wait()
    go.wait()
    body(*args)


def _start(bodies):
    """Starts one process per (body, args), each held until the returned go() releases them
    all; go() returns the start time. As in bench/common.c, the clock is read once all are
    ready and before the release: with more processes than CPUs the releasing one may not run
    again until the others are done."""
    ready, go = fork.Barrier(len(bodies) + 1), fork.Event()
    procs = [fork.Process(target=_gated, args=(ready, go, body, args)) for body, args in bodies]
    for p in procs:
        p.start()

    def release():
        ready.wait()
        t0 = time.perf_counter()
        go.set()
        return t0
    return procs, release


def _join_checked(procs):
    for p in procs:
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: %s ended with exit code %s" % (p.name, p.exitcode))


def run_gated(bodies):
    """Runs every (body, args) in its own process; returns the seconds from the go until all
    have ended."""
    procs, go = _start(bodies)
    t0 = go()
    _join_checked(procs)
    return time.perf_counter() - t0


def with_child(body, args, parent):
    """Runs body(*args) in a child and parent() here, both released at once; returns the
    seconds parent() took, once the child has exited 0."""
    procs, go = _start([(body, args)])
    t0 = go()
    parent()
    t1 = time.perf_counter()
    _join_checked(procs)
    return t1 - t0
