"""W2 CPython: a one-way stream of send_bytes() messages from a child to its parent, over
Pipe(duplex=False) (an os.pipe) or Pipe() (a socketpair). W2a: 64-byte messages; W2b: 64 KiB."""
from bench_common import fork, parse, report, with_child

MODES = {
    "a-pipe": (False, 64),
    "a-socketpair": (True, 64),
    "b-pipe": (False, 65536),
    "b-socketpair": (True, 65536),
}


def writer(conn, count, size):
    payload = bytes(size)
    for _ in range(count):
        conn.send_bytes(payload)


def main():
    count, mode = parse(list(MODES))
    duplex, size = MODES[mode]
    reader, writer_end = fork.Pipe(duplex=duplex)

    def read_all():
        for _ in range(count):
            if len(reader.recv_bytes()) != size:
                raise SystemExit("w2: wrong message length")
    report(count, with_child(writer, (writer_end, count, size), read_all))


if __name__ == "__main__":
    main()
