"""W3 CPython: COUNT ints through a Queue or a SimpleQueue, 1 producer to 1 consumer or 2 to 2.
Each producer puts its share and each consumer gets its share, as in the C floor."""
from bench_common import fork, parse, report, run_gated

MODES = ["queue-1to1", "queue-2to2", "simplequeue-1to1", "simplequeue-2to2"]


def producer(q, share):
    for i in range(share):
        q.put(i)


def consumer(q, share):
    for _ in range(share):
        q.get()


def main():
    count, mode = parse(MODES)
    kind, shape = mode.split("-")
    pairs = 2 if shape == "2to2" else 1
    q = fork.Queue() if kind == "queue" else fork.SimpleQueue()
    bodies = []
    for i in range(pairs):
        share = count // pairs + (i < count % pairs)
        bodies += [(producer, (q, share)), (consumer, (q, share))]
    report(count, run_gated(bodies))


if __name__ == "__main__":
    main()
