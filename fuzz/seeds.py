#!/usr/bin/env python3
"""Writes one seed file per pickle of the vectors (vectors*.tsv, encoder-min.tsv, bad.tsv)
into the fuzzer's seed directory: `fuzz/seeds.py [VECTORS_DIR] OUT_DIR`, VECTORS_DIR being
conformance/vectors of this tree when omitted. Prints how many."""
import os
import sys


def rows(path):
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            yield line.rstrip("\n").split("\t")


def main():
    if len(sys.argv) == 2:
        here = os.path.dirname(os.path.abspath(__file__))
        src, out = os.path.join(here, os.pardir, "conformance", "vectors"), sys.argv[1]
    else:
        src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, col in (("vectors.tsv", 2), ("vectors-p01.tsv", 2), ("encoder-min.tsv", 1),
                      ("bad.tsv", 1)):
        path = os.path.join(src, name)
        if not os.path.exists(path):
            continue
        for r in rows(path):
            data = bytes.fromhex(r[col])
            if len(data) > 4096:  # the fuzzer's -max_len; long rows add nothing but time
                continue
            tag = "-".join(r[:col]).replace("/", "_")
            with open(os.path.join(out, "%s-%s" % (name.split(".")[0], tag)), "wb") as f:
                f.write(data)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
