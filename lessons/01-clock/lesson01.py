"""Lesson 01: a clock in a child process.

The tutorial's first program, in Python 3: a worker function prints the time `count` times,
`interval` seconds apart, in a process of its own, while the parent prints what it knows about
that process and then waits for it.

    python3 lessons/01-clock/lesson01.py                      # 5 ticks, 3 s apart
    python3 lessons/01-clock/lesson01.py --interval 0.2 --count 2
"""

import argparse
import multiprocessing
import time


def say(line):
    """Print one line in one write. print() writes its text and its end separately when stdout
    is unbuffered (python3 -u, PYTHONUNBUFFERED=1), and the other process's line could land in
    between; flush at once, so that nothing waits in a buffer that fork would copy."""
    print(line + "\n", end="", flush=True)


# [worker]
def worker(interval, count):
    for i in range(count):
        if i:
            time.sleep(interval)
        say("The time is {0}".format(time.ctime()))
# [worker]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--interval', type=float, default=3, metavar='SECONDS',
                        help='seconds between two prints (default 3)')
    parser.add_argument('--count', type=int, default=5, metavar='N',
                        help='how many times to print (default 5)')
    args = parser.parse_args()

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
