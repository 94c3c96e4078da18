"""Lesson 07: arguments and results must pickle.

What crosses between processes is a pickle: the value written as bytes by pickle.dumps and
read back by pickle.loads. This program shows which values pickle, what their bytes look like,
what does not pickle, and a child that gets its arguments and sends its result back through a
pipe. --count is how many squares the child computes; --interval is accepted and unused.

    python3 lessons/07-pickle/lesson07.py --count 3
"""
import multiprocessing
import os
import pickle
import pickletools
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

# What CPython 3.8 to 3.14 write for [1, 'two', 3.0] at protocol 4 (the default up to 3.13).
DEFAULT_BYTES = "80049516000000000000005d94284b018c0374776f94474008000000000000652e"


# [values]
def what_pickles():
    say("pickles: None, bool, int, float, str, bytes, bytearray, and tuple, list, dict, set, "
        "frozenset of them")
    for value in (None, True, 42, -1, 3.0, "two", b"\x00\xff", (1, 2), [1, "two", 3.0],
                  {1, 2}, bytearray(b"z")):
        # CPython also memoises each str and container; optimize() drops what nothing uses
        data = pickletools.optimize(pickle.dumps(value, protocol=2))
        say("%-16s -> %s" % (repr(value), data.hex()))
    # [values]
    # [cpython]
    data = pickle.dumps([1, "two", 3.0], protocol=4)
    say("protocol 4: %s -> %r" % (data.hex(), pickle.loads(bytes.fromhex(DEFAULT_BYTES))))
    # [cpython]


# [cannot]
square = lambda x: x * x  # noqa: E731 (a lambda has no name to be found by)


def what_does_not():
    # A function pickles as its module and name, for the other side to look up: code never
    # travels. libmp looks nothing up, so only values cross.
    data = pickletools.optimize(pickle.dumps(child, protocol=2))
    say("a function pickles by name: %s (libmp refuses to load a name)" % data.hex())
    for what, value in (("a lambda", square), ("a lock", threading.Lock())):
        try:
            pickle.dumps(value)
        except Exception as e:
            say("does not pickle: %s (%s)" % (what, type(e).__name__))
# [cannot]


# [child]
def child(conn, n, text):
    say("child: got args (%d, %r)" % (n, text))
    conn.send({"n": n, "squares": [i * i for i in range(n)]})  # pickled here, in send()
    conn.close()
# [child]


def main():
    opts = options(__doc__, 0.0, 5, 'unused', 'how many squares the child computes')
    what_pickles()
    what_does_not()
    # [main]
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    p = ctx.Process(target=child, args=(theirs, opts.count, "abc"))
    p.start()
    theirs.close()
    say("parent: the result came back: %r" % (mine.recv(),))
    p.join()
    # [main]


if __name__ == "__main__":
    main()
