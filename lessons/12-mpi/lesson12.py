"""Lesson 12: lesson 09's prime count on worker processes, then on MPI ranks.

The same map runs on a multiprocessing.Pool and then on mpi4py.futures' MPIPoolExecutor, whose
workers are the other MPI ranks; imap_unordered's counterpart is as_completed(), and a task
that raises hands its exception to the caller on rank 0. Run it as mpi4py.futures runs a
program, every rank but 0 serving the executor:

    mpirun -np 4 python3 -m mpi4py.futures lessons/12-mpi/lesson12.py --count 3

Without mpi4py (or without mpirun) the "MPI ranks" are a process Pool of 3 workers, so the
lesson still prints the same lines.
"""

import concurrent.futures
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

RANGES = 16


# [task]
def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(bounds):
    lo, hi = bounds
    if lo > hi:
        raise ValueError("empty range {0}..{1}".format(lo, hi))
    return sum(1 for n in range(lo, hi) if is_prime(n))
# [task]


def ranges_below(limit):
    step = (limit + RANGES - 1) // RANGES
    return [(lo, min(lo + step, limit)) for lo in range(0, limit, step)]


def mpi_ranks():
    """MPI's size when this runs under mpirun with mpi4py, else None."""
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    size = MPI.COMM_WORLD.Get_size()
    return size if size > 1 else None


def ranks_executor(workers):
    """The executor whose workers are the other ranks (or processes, without MPI)."""
    if mpi_ranks():
        from mpi4py.futures import MPIPoolExecutor
        return MPIPoolExecutor(workers)
    return concurrent.futures.ProcessPoolExecutor(workers)


def main():
    args = options(__doc__, 0, 20, 'unused', 'count the primes below N * 100000')
    limit = args.count * 100000
    ranges = ranges_below(limit)
    workers = (mpi_ranks() or 4) - 1
    say("counting the primes below {0} in {1} ranges, {2} workers"
        .format(limit, len(ranges), workers))
    # [main]
    with multiprocessing.Pool(workers) as pool:
        start = time.monotonic()
        found = sum(pool.map(count_primes, ranges))
        say("map on worker processes: {0} primes in {1:.2f} s"
            .format(found, time.monotonic() - start))
    with ranks_executor(workers) as pool:
        start = time.monotonic()
        found = sum(pool.map(count_primes, ranges))
        say("map on MPI ranks: {0} primes in {1:.2f} s".format(found, time.monotonic() - start))
        # [main]
        futures = [pool.submit(count_primes, bounds) for bounds in ranges]
        counts = [f.result() for f in concurrent.futures.as_completed(futures)]
        say("imap_unordered on MPI ranks: {0} results: {1} primes"
            .format(len(counts), sum(counts)))
        try:
            pool.submit(count_primes, (10, 5)).result()
        except ValueError as e:
            say("a task that raises on a rank: {0}: {1}".format(type(e).__name__, e))


if __name__ == "__main__":
    main()
