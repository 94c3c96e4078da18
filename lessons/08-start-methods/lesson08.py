"""Lesson 08: one program under the three start methods, fork, spawn and forkserver.

For each method, a child squares a number and puts the result on a Queue it received as an
argument, and prints the global `counter` that main() set to 100 before starting it: a forked
child sees 100 (a copy of the parent), a spawned one 0 (a fresh interpreter that imported this
file again, without running main()). A lambda as the target runs under fork and is refused in
start() under spawn and forkserver, which must pickle the target.

    python3 lessons/08-start-methods/lesson08.py              # squares 7
    python3 lessons/08-start-methods/lesson08.py --count 3
"""

import multiprocessing
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

# [globals]
counter = 0
# [globals]


# [unnamed]
# A lambda has no name that leads back to it: pickle cannot send it to a fresh interpreter.
unnamed = lambda method: say("{0}: the unnamed function ran in the child".format(method))  # noqa: E731
# [unnamed]


# [child]
def child(method, n, queue):
    say("{0}: the child sees counter = {1}".format(method, counter))
    queue.put(n * n)
# [child]


# [one]
def run_under(method, count):
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    p = ctx.Process(target=child, args=(method, count, queue))
    p.start()
    square = queue.get()
    p.join()
    say("{0}: the child put {1} on the queue".format(method, square))

    p = ctx.Process(target=unnamed, args=(method,))
    try:
        p.start()
        p.join()
    except Exception as e:                # pickling the lambda fails in start(), in the parent
        say("{0}: an unnamed target is refused in start(): {1}"
            .format(method, type(e).__name__))
# [one]


def main():
    global counter
    args = options(__doc__, 0, 7, 'unused', 'the number each child squares')
    # [main]
    counter = 100
    for method in ("fork", "spawn", "forkserver"):
        run_under(method, args.count)
    # [main]


if __name__ == "__main__":
    main()
