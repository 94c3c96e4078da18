"""Lesson 05: Event, Condition and Semaphore. A producer and consumers; a limited pool of slots.

A producer puts numbered items on a shelf that holds two, waiting while it is full; two
consumers take them off, waiting while it is empty: both wait on one Condition. Then three
workers wait for a start Event and share two slots, a Semaphore(2).

    python3 lessons/05-events/lesson05.py                        # 4 items, slots held 0.2 s
    python3 lessons/05-events/lesson05.py --interval 0.05 --count 3
"""

import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

CONSUMERS, WORKERS, SLOTS, SHELF = 2, 3, 2, 2


# [producer]
def producer(cond, items, put, taken, count):
    for n in range(1, count + CONSUMERS + 1):
        item = n if n <= count else 0                   # then one 0 per consumer: stop
        with cond:
            while put.value - taken.value == SHELF:
                cond.wait()
            items[put.value % SHELF] = item
            put.value += 1
            cond.notify_all()
        if item:
            say("producer: item {0} ready".format(item))
# [producer]


# [consumer]
def consumer(cond, items, put, taken):
    while True:
        with cond:
            while put.value == taken.value:
                cond.wait()
            item = items[taken.value % SHELF]
            taken.value += 1
            cond.notify_all()
        if item == 0:
            return
        say("a consumer got item {0}".format(item))
# [consumer]


# [worker]
def worker(i, start, slots, inside, most, interval):
    start.wait()
    with slots:
        with inside.get_lock():
            inside.value += 1
            most.value = max(most.value, inside.value)
        say("worker {0} has a slot".format(i))
        time.sleep(interval)
        with inside.get_lock():
            inside.value -= 1
# [worker]


def run(processes):
    for p in processes:
        p.start()
    return processes


def join_all(processes):
    for p in processes:
        p.join()


def main():
    args = options(__doc__, 0.2, 4, 'how long a worker keeps its slot',
                   'how many items the producer makes')
    # [main]
    multiprocessing.set_start_method('fork')
    cond = multiprocessing.Condition()
    items = multiprocessing.Array('i', SHELF, lock=False)
    put = multiprocessing.Value('i', 0, lock=False)
    taken = multiprocessing.Value('i', 0, lock=False)
    join_all(run([multiprocessing.Process(target=producer,
                                          args=(cond, items, put, taken, args.count))] +
                 [multiprocessing.Process(target=consumer, args=(cond, items, put, taken))
                  for _ in range(CONSUMERS)]))

    start, slots = multiprocessing.Event(), multiprocessing.Semaphore(SLOTS)
    inside, most = multiprocessing.Value('i', 0), multiprocessing.Value('i', 0)
    workers = run([multiprocessing.Process(target=worker,
                                           args=(i, start, slots, inside, most, args.interval))
                   for i in range(WORKERS)])
    say("main: start event set")
    start.set()                                          # all workers go at once
    join_all(workers)
    say("at most {0} of {1} workers held a slot at once".format(
        SLOTS if most.value <= SLOTS else most.value, WORKERS))
    # [main]


if __name__ == "__main__":
    main()
