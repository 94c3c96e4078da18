"""W1 CPython: ping-pong of an int over Pipe() (a socketpair), send()/recv(); us per round trip."""
from bench_common import fork, parse, report, with_child


def echo(conn, count):
    for _ in range(count):
        conn.send(conn.recv() + 1)


def main():
    count, _ = parse()
    mine, theirs = fork.Pipe()

    def ping():
        for i in range(count):
            mine.send(i)
            if mine.recv() != i + 1:
                raise SystemExit("w1: wrong answer")
    report(count, with_child(echo, (theirs, count), ping))


if __name__ == "__main__":
    main()
