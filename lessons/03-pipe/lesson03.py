"""Lesson 03: a pipe between two processes, proc1 sending and proc2 receiving.

The tutorial's program loops for ever; this one sends `count` values, then closes its end, so
that proc2 sees EOFError and both processes end by themselves.
"""
import argparse
import multiprocessing
import time


# [proc1]
def proc1(pipe, count, interval):
    for i in range(count):
        print("send: %s" % i, flush=True)
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
        print("proc2 rev:", value, flush=True)
# [proc2]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--count", type=int, default=10)
    opts = parser.parse_args()
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
