"""W8 CPython: Client(address, authkey=key) connects to a Listener with the same key in a child,
both ends prove the key, one int goes and value + 1 comes back, and the client closes; COUNT
times; us per connection. Modes: inet (127.0.0.1, a port the system chose), unix (a Unix socket
path in the temporary directory), inet-nodelay (inet, the client setting TCP_NODELAY once Client()
returns, as libmp's row of that name: see bench/libmp/w8.c)."""
import socket
from multiprocessing.connection import Client, Listener

from bench_common import parse, report, with_child

KEY = b"bench key"


def serve(listener, count):
    for _ in range(count):
        with listener.accept() as conn:
            conn.send(conn.recv() + 1)


def main():
    count, mode = parse(["inet", "unix", "inet-nodelay"])
    nodelay = mode == "inet-nodelay"
    if mode != "unix":
        listener = Listener(("127.0.0.1", 0), authkey=KEY)
    else:
        listener = Listener(family="AF_UNIX", authkey=KEY)
    address = listener.address

    def connect_each():
        for i in range(count):
            with Client(address, authkey=KEY) as conn:
                if nodelay:
                    # fromfd works on a duplicate; the option belongs to the socket they share
                    with socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM) as s:
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.send(i)
                if conn.recv() != i + 1:
                    raise SystemExit("w8: wrong answer")
    report(count, with_child(serve, (listener, count), connect_each))
    listener.close()


if __name__ == "__main__":
    main()
