"""P1-P3 CPython: pickle.dumps and pickle.loads (the C-accelerated _pickle, default protocol)
of the pickle workloads' values, COUNT times; us per operation.

MODE is dumps-list, loads-list, dumps-dict, loads-dict, dumps-bytes or loads-bytes; `values`
prints, instead, the hex of what pickle.dumps writes for each value (bench/libmp/pickle.c
reads it, so that both sides decode the same bytes)."""
import pickle
import sys
import time

from bench_common import parse, report

MODES = ["dumps-list", "loads-list", "dumps-dict", "loads-dict", "dumps-bytes", "loads-bytes"]


def value(kind):
    """The same values as bench/libmp/pickle.c builds."""
    if kind == "list":
        return list(range(100_000))
    if kind == "dict":
        return {"key%05d" % i: i for i in range(10_000)}
    return bytes(range(256)) * (64 * 2**20 // 256)


def main():
    if sys.argv[1:] == ["values"]:
        for kind in ("list", "dict"):
            print(pickle.dumps(value(kind)).hex())
        return
    count, mode = parse(MODES)
    op, kind = mode.split("-")
    v = value(kind)
    if op == "dumps":
        t0 = time.perf_counter()
        for _ in range(count):
            pickle.dumps(v)
        t1 = time.perf_counter()
    else:
        data = pickle.dumps(v)
        t0 = time.perf_counter()
        for _ in range(count):
            pickle.loads(data)
        t1 = time.perf_counter()
    report(count, t1 - t0)


if __name__ == "__main__":
    main()
