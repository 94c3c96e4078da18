"""Lesson 02: the clock as a subclass of Process.

The same clock as lesson 01, written the tutorial's second way: a class that derives from
multiprocessing.Process, calls the base __init__ first, and overrides run().

    python3 lessons/02-subclass/lesson02.py                   # 5 ticks, 3 s apart
    python3 lessons/02-subclass/lesson02.py --interval 0.2 --count 2
"""

import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)


# [class]
class ClockProcess(multiprocessing.Process):
    def __init__(self, interval, count):
        super().__init__()              # the base __init__ must run first
        self.interval = interval
        self.count = count

    def run(self):
        for i in range(self.count):
            if i:
                time.sleep(self.interval)
            say("the time is {0}".format(time.ctime()))
# [class]


def main():
    args = options(__doc__, 3, 5, 'seconds between two prints', 'how many times to print')

    # [main]
    # fork, said explicitly: the same behaviour on every Python version (3.14 changes the
    # default on Linux)
    multiprocessing.set_start_method('fork')
    p = ClockProcess(args.interval, args.count)
    p.start()
    say("p.pid: {0}".format(p.pid))
    say("p.name: {0}".format(p.name))
    say("p.is_alive: {0}".format(p.is_alive()))
    p.join()
    # [main]


if __name__ == "__main__":
    main()
