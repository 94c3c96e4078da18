"""Lesson 10: a server and a client that find each other by address and prove that they share a key.

The C program (lesson10_auth.c) is the server for a Python client, then the client of a Python
server; this program does the same in Python, with the same Python end (lesson10_peer.py) on
the other side, and prints the same lines.

    python3 lessons/10-listener/lesson10.py                        # 5 numbers, 1 s apart
    python3 lessons/10-listener/lesson10.py --interval 0.2 --count 3
"""
import os
import subprocess
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lesson10_peer.py")
sys.path.insert(0, os.path.dirname(PEER))
from lesson10_peer import NUMBERS, factors  # noqa: E402,F401 (the client's work, below)

KEY = b"lesson 10 key"
WRONG_KEY = b"not the key"


# [python]
def start_python(key, *args):
    """The Python end, with the key in its environment; what it prints comes to us."""
    env = dict(os.environ, LESSON10_KEY=key.decode())
    return subprocess.Popen([sys.executable, PEER] + list(args), env=env,
                            stdout=subprocess.PIPE, universal_newlines=True)


def relay(py, who):
    """Prints what the Python end printed, each line marked as its; then waits for it."""
    for line in py.stdout:
        say("%s: %s" % (who, line.rstrip("\n")))
    py.wait()
# [python]


def server(interval, count):
    # [server]
    with Listener(("127.0.0.1", 0), authkey=KEY) as listener:
        say("server: listening on 127.0.0.1, on a port the system chose")
        address = "%s:%d" % listener.address
        py = start_python(KEY, "client", address)
        conn = listener.accept()  # and the handshake: both ends prove they hold KEY
        say("server: the client proved that it holds the key, and so did we")
        with conn:
            for i in range(count):
                n = NUMBERS[i % len(NUMBERS)]
                conn.send(n)
                say("server: sent %r, got %r" % (n, conn.recv()))
                time.sleep(interval)
            conn.send(None)  # the stop marker
        relay(py, "Python client")
        # [server]
        # [wrong]
        py = start_python(WRONG_KEY, "client", address)
        try:
            listener.accept()
        except AuthenticationError as e:
            say("server: a client with another key: multiprocessing.%s" % type(e).__name__)
        relay(py, "Python client")
        # [wrong]


def client(interval, count):
    # [client]
    py = start_python(KEY, "server", str(interval), str(count))
    address = py.stdout.readline().rstrip("\n")
    say("client: the Python server listens on a Unix socket")
    with Client(address, authkey=KEY) as conn:
        say("client: the server proved that it holds the key, and so did we")
        while True:
            n = conn.recv()
            if n is None:
                break
            result = factors(n)
            conn.send(result)
            say("client: got %r, sent %r" % (n, result))
    relay(py, "Python server")
    # [client]
    py = start_python(KEY, "server", str(interval), str(count))
    address = py.stdout.readline().rstrip("\n")
    try:
        Client(address, authkey=WRONG_KEY)
    except AuthenticationError as e:
        say("client: with another key: multiprocessing.%s" % type(e).__name__)
    relay(py, "Python server")


def main():
    opts = options(__doc__, 1.0, 5, 'the pause after each number', 'how many numbers to hand out')
    # [main]
    say("part 1: this program serves, a Python client connects")
    server(opts.interval, opts.count)
    say("part 2: a Python server, this program connects")
    client(opts.interval, opts.count)
    # [main]


if __name__ == "__main__":
    main()
