"""Lesson 06: a Queue between producers and consumers, and a second Queue for the results.

Two producers put numbered tasks on one queue; two consumers take them, whoever is free, and
answer each with its square on a second queue. When the producers are done, the main program
puts one None per consumer (each stops when it takes one) and adds up the results.

    python3 lessons/06-queue/lesson06.py                        # 4 tasks each, 0.5 s apart
    python3 lessons/06-queue/lesson06.py --interval 0.05 --count 3
"""

import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

PRODUCERS, CONSUMERS = ["A", "B"], 2


# [producer]
def producer(tasks, name, count, interval):
    for n in range(1, count + 1):
        tasks.put((name, n))              # pickled by a feeder thread, later, in CPython
        say("producer {0}: put {1}".format(name, n))
        time.sleep(interval)
# [producer]


# [consumer]
def consumer(tasks, results):
    while True:
        item = tasks.get()                # waits while the queue is empty
        if item is None:
            return
        name, n = item
        say("a consumer got {0} {1}".format(name, n))
        results.put(n * n)
# [consumer]


def main():
    args = options(__doc__, 0.5, 4, 'the pause between two puts of a producer',
                   'how many tasks each producer puts')
    multiprocessing.set_start_method('fork')
    # [main]
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    producers = [multiprocessing.Process(target=producer,
                                         args=(tasks, name, args.count, args.interval))
                 for name in PRODUCERS]
    consumers = [multiprocessing.Process(target=consumer, args=(tasks, results))
                 for _ in range(CONSUMERS)]
    for p in producers + consumers:
        p.start()

    for p in producers:
        p.join()
    for _ in consumers:                   # every task is in the queue: now one None each
        tasks.put(None)

    total = len(PRODUCERS) * args.count
    squares = sum(results.get() for _ in range(total))   # the results, before joining
    for p in consumers:
        p.join()
    say("main: {0} results, sum of squares {1}".format(total, squares))
    # [main]


if __name__ == "__main__":
    main()
