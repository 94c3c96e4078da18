"""Lesson 02: the clock as a subclass of Process.

The same clock as lesson 01, written the tutorial's second way: a class that derives from
multiprocessing.Process, calls the base __init__ first, and overrides run().

    python3 lessons/02-subclass/lesson02.py                   # 5 ticks, 3 s apart
    python3 lessons/02-subclass/lesson02.py --interval 0.2 --count 2
"""

import argparse
import multiprocessing
import time


def say(line):
    """Print one line in one write. print() writes its text and its end separately when stdout
    is unbuffered (python3 -u, PYTHONUNBUFFERED=1), and the other process's line could land in
    between; flush at once, so that nothing waits in a buffer that fork would copy."""
    print(line + "\n", end="", flush=True)


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--interval', type=float, default=3, metavar='SECONDS',
                        help='seconds between two prints (default 3)')
    parser.add_argument('--count', type=int, default=5, metavar='N',
                        help='how many times to print (default 5)')
    args = parser.parse_args()

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
