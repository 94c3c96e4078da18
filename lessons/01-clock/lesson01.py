"""Lesson 01: a clock in a child process.

The tutorial's first program, in Python 3: a worker function prints the time `count` times,
`interval` seconds apart, in a process of its own, while the parent prints what it knows about
that process and then waits for it.

    python3 lessons/01-clock/lesson01.py                      # 5 ticks, 3 s apart
    python3 lessons/01-clock/lesson01.py --interval 0.2 --count 2
"""

import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)


# [worker]
def worker(interval, count):
    for i in range(count):
        if i:
            time.sleep(interval)
        say("The time is {0}".format(time.ctime()))
# [worker]


def main():
    args = options(__doc__, 3, 5, 'seconds between two prints', 'how many times to print')

    # [main]
    # fork, said explicitly: the same behaviour on every Python version (3.14 changes the
    # default on Linux) and the same names as the tutorial's (Process-1)
    multiprocessing.set_start_method('fork')
    p = multiprocessing.Process(target=worker, args=(args.interval, args.count))
    p.start()
    say("p.pid: {0}".format(p.pid))
    say("p.name: {0}".format(p.name))
    say("p.is_alive: {0}".format(p.is_alive()))
    p.join()
    # [main]


if __name__ == "__main__":
    main()
