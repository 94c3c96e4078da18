"""Lesson 03: a pipe between two processes, proc1 sending and proc2 receiving.

The tutorial's program loops for ever; this one sends `count` values, then closes its end, so
that proc2 sees EOFError and both processes end by themselves.

    python3 lessons/03-pipe/lesson03.py                        # 10 values, 1 s apart
    python3 lessons/03-pipe/lesson03.py --interval 0.2 --count 5
"""
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)


# [proc1]
def proc1(pipe, count, interval):
    for i in range(count):
        say("send: {0}".format(i))
        pipe.send(i)
        time.sleep(interval)
    pipe.close()
# [proc1]


# [proc2]
def proc2(pipe):
    while True:
        try:
            value = pipe.recv()
        except EOFError:
            break
        say("proc2 rev: {0}".format(value))
# [proc2]


def main():
    opts = options(__doc__, 1.0, 10, 'the pause after each send', 'how many values to send')
    # [main]
    ctx = multiprocessing.get_context("fork")
    pipe = ctx.Pipe()
    p1 = ctx.Process(target=proc1, args=(pipe[0], opts.count, opts.interval))
    p1.start()
    pipe[0].close()  # proc1 has its copy; ours would keep proc2 from seeing the end
    p2 = ctx.Process(target=proc2, args=(pipe[1],))
    p2.start()
    pipe[1].close()
    p1.join()
    p2.join()
    # [main]


if __name__ == "__main__":
    main()
