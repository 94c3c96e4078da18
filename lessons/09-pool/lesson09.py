"""Lesson 09: a Pool counts the primes below a bound, on one worker and then on every core.

The numbers below the bound are cut into 16 ranges, and count_primes() counts the primes of one
range by trial division. A Pool of 1 worker and a Pool of one worker per core run the same
map(), and both are timed; the same Pool then gives the counts with imap_unordered() as they
finish, and with apply_async() and a callback, which adds them up in the Pool's own thread. A
task that raises hands its exception to the caller. --count N counts the primes below
N * 100000.

    python3 lessons/09-pool/lesson09.py              # below 2000000: about 15 s in Python
    python3 lessons/09-pool/lesson09.py --count 3    # below 300000
"""

import multiprocessing
import os
import sys
import threading
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


# [ranges]
def ranges_below(limit):
    step = (limit + RANGES - 1) // RANGES
    return [(lo, min(lo + step, limit)) for lo in range(0, limit, step)]
# [ranges]


# [timed]
def timed_map(workers, ranges):
    with multiprocessing.Pool(workers) as pool:
        start = time.monotonic()
        counts = pool.map(count_primes, ranges)
        return sum(counts), time.monotonic() - start
# [timed]


# [callback]
class Tally:
    def __init__(self):
        self.found = 0
        self.calls = 0
        self.in_main = 0

    def add(self, count):
        self.found += count
        self.calls += 1
        self.in_main += threading.current_thread() is threading.main_thread()
# [callback]


def main():
    args = options(__doc__, 0, 20, 'unused', 'count the primes below N * 100000')
    # [main]
    limit = args.count * 100000
    ranges = ranges_below(limit)
    cores = multiprocessing.cpu_count()
    say("counting the primes below {0} in {1} ranges".format(limit, len(ranges)))
    found, seconds = timed_map(1, ranges)
    say("map, 1 worker: {0} primes in {1:.2f} s".format(found, seconds))
    found, seconds = timed_map(cores, ranges)
    say("map, one worker per core (cores: {0}): {1} primes in {2:.2f} s"
        .format(cores, found, seconds))
    # [main]

    with multiprocessing.Pool(cores) as pool:
        # [unordered]
        found = results = 0
        for count in pool.imap_unordered(count_primes, ranges):
            found += count
            results += 1
        say("imap_unordered: {0} results, taken as they finished: {1} primes"
            .format(results, found))
        # [unordered]

        # [raises]
        r = pool.apply_async(count_primes, ((10, 5),))
        try:
            r.get()
        except ValueError as e:
            say("a task that raises: {0}: {1}".format(type(e).__name__, e))
        # [raises]

        # [async]
        tally = Tally()
        for bounds in ranges:
            pool.apply_async(count_primes, (bounds,), callback=tally.add)
        pool.close()
        pool.join()
        say("apply_async: {0} callbacks, {1} of them in the main thread: {2} primes"
            .format(tally.calls, tally.in_main, tally.found))
        # [async]


if __name__ == "__main__":
    main()
