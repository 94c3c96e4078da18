"""Lesson 04: Lock and RLock. Processes that print and count, with and without a lock.

Three processes print a line each under a Lock (the multiprocessing docs' first Lock example).
Then three processes add one to a shared count, each reading it, pausing, and writing it back
plus one: without the lock their updates overwrite each other, with it none is lost. Last, a
Lock and an RLock are each acquired twice by their holder.

    python3 lessons/04-lock/lesson04.py                        # pause 0.2 s, 3 updates each
    python3 lessons/04-lock/lesson04.py --interval 0.05 --count 3
"""

import contextlib
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

WORKERS = 3


# [hello]
def hello(lock, i):
    with lock:
        say("hello world {0}".format(i))
# [hello]


# [add]
def add_slowly(count, lock, rounds, pause):
    for _ in range(rounds):
        with lock or contextlib.nullcontext():
            seen = count.value
            time.sleep(pause)
            count.value = seen + 1
# [add]


def run_workers(target, args_of):
    workers = [multiprocessing.Process(target=target, args=args_of(i)) for i in range(WORKERS)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()


# [count]
def count_with(lock, rounds, pause):
    count = multiprocessing.Value('i', 0, lock=False)      # a shared int, no lock of its own
    run_workers(add_slowly, lambda i: (count, lock, rounds, pause))
    expected = WORKERS * rounds
    head = "{0} the lock: {1} workers x {2} updates = {3} expected, ".format(
        "with" if lock else "without", WORKERS, rounds, expected)
    if count.value == expected:
        say(head + "{0} counted".format(count.value))
    else:
        say(head + "fewer counted: updates were lost")
# [count]


# [recursive]
def acquire_twice(pause):
    lock, rlock = multiprocessing.Lock(), multiprocessing.RLock()
    lock.acquire()
    if not lock.acquire(timeout=pause):
        say("Lock acquired again by its holder: timed out (a Lock is not recursive)")
    lock.release()
    rlock.acquire()
    rlock.acquire()                                      # at once: the owner acquires it again
    say("RLock acquired again by its holder: held {0} times".format(rlock._semlock._count()))
    rlock.release()
    rlock.release()
    say("RLock released 2 times: held {0} times".format(rlock._semlock._count()))
# [recursive]


def main():
    args = options(__doc__, 0.2, 3, 'how long a worker holds the count between read and write',
                   'how many times each worker adds one')
    # [main]
    multiprocessing.set_start_method('fork')
    lock = multiprocessing.Lock()
    run_workers(hello, lambda i: (lock, i))
    count_with(None, args.count, args.interval)
    count_with(lock, args.count, args.interval)
    # [main]
    acquire_twice(args.interval)


if __name__ == "__main__":
    main()
