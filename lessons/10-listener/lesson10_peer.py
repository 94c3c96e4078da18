"""Lesson 10's Python end, started by the lesson's C program and by its Python twin alike.

    python3 lesson10_peer.py client ADDRESS           connect to ADDRESS ("host:port"), answer
                                                      each number with its prime factors until None
    python3 lesson10_peer.py server INTERVAL COUNT    listen on a new Unix socket, print its path,
                                                      hand out COUNT numbers, check the answers

Both take the key from the environment, LESSON10_KEY, as a program would read it from a file
only its user can read: a key on the command line would show in `ps`. Whatever they have to say
goes to stdout, which the program that started them reads and prints.
"""
import os
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener

# the numbers handed out, in turn; the second is beyond 64-bit signed integers
NUMBERS = [360, 12345678901234567890, 1001, 97, 123456789]


def say(line):
    print(line, flush=True)


# [factors]
def factors(n):
    """The work: n's prime factors, smallest first."""
    found, d = [], 2
    while d * d <= n:
        while n % d == 0:
            found.append(d)
            n //= d
        d += 1
    if n > 1:
        found.append(n)
    return found
# [factors]


# [client]
def client(address, key):
    host, port = address.rsplit(":", 1)
    try:
        conn = Client((host, int(port)), authkey=key)
    except AuthenticationError as e:
        say("AuthenticationError: %s" % e)
        return 1
    with conn:
        answered = 0
        while True:
            n = conn.recv()
            if n is None:  # the stop marker
                break
            conn.send(factors(n))
            answered += 1
    say("answered %d numbers" % answered)
    return 0
# [client]


# [server]
def server(interval, count, key):
    with Listener(family="AF_UNIX", authkey=key) as listener:
        say(listener.address)  # a new path in the temporary directory
        try:
            conn = listener.accept()
        except AuthenticationError as e:
            say("AuthenticationError: %s" % e)
            return 1
        with conn:
            right = 0
            for i in range(count):
                n = NUMBERS[i % len(NUMBERS)]
                conn.send(n)
                product = 1
                for f in conn.recv():
                    product *= f
                right += product == n
                time.sleep(interval)
            conn.send(None)
    say("handed out %d numbers, %d answers multiply back to them" % (count, right))
    return 0
# [server]


def main(argv):
    key = os.environb[b"LESSON10_KEY"]
    if argv[:1] == ["client"] and len(argv) == 2:
        return client(argv[1], key)
    if argv[:1] == ["server"] and len(argv) == 3:
        return server(float(argv[1]), int(argv[2]), key)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
