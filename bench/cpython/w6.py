"""W6 CPython: two processes alternate through two Events: A sets e1 and waits for e2, then
clears e2; B waits for e1, clears it and sets e2. us per round trip."""
from bench_common import fork, parse, report, with_child


def side_b(e1, e2, count):
    for _ in range(count):
        e1.wait()
        e1.clear()
        e2.set()


def main():
    count, _ = parse()
    e1, e2 = fork.Event(), fork.Event()

    def side_a():
        for _ in range(count):
            e1.set()
            e2.wait()
            e2.clear()
    report(count, with_child(side_b, (e1, e2, count), side_a))


if __name__ == "__main__":
    main()
