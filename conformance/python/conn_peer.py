"""The Python end of a connection shared with a C process (conformance/test_interop.c).

    python3 conn_peer.py FD MODE

FD is an inherited socketpair end, wrapped with multiprocessing.connection.Connection as-is.
MODE:
  echo    receive values until EOFError, send each one back (pickled by CPython); exit 0
  values  send VALUES (made here), then BYTES as send_bytes frames, then close; exit 0
  bytes   receive send_bytes frames until EOFError, send each back reversed; exit 0
  eof     exit 0 only if the first recv raises EOFError (the C side closed its end)
"""
import sys
from multiprocessing.connection import Connection

shared = [1, 2]
VALUES = [
    None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**63, -2**63 - 1,
    2**200, -(2**200), 0.0, -0.0, 1.5, -2.25, 1e300, float("inf"), float("-inf"),
    "", "ascii", "h\u00e9llo", "\u4e2d\u6587", "\U0001f600", "a\x00b",
    b"", b"\x00\xffabc", bytearray(b"xy"), bytearray(),
    (), (1,), (1, "two", (3.0, None)), [], [1, [2, [3]]],
    {}, {"a": 1, "b": [2, 3]}, {1: "x", (1, 2): b"y"},
    set(), {1, 2, 3}, frozenset(), frozenset({"x"}),
    [shared, shared], {"big": list(range(1000))},
]
BYTES = [b"", b"abc", bytes(range(256)), b"z" * 100000]


def main():
    conn = Connection(int(sys.argv[1]))
    mode = sys.argv[2]
    if mode == "echo":
        while True:
            try:
                value = conn.recv()
            except EOFError:
                return 0
            conn.send(value)
    if mode == "values":
        for value in VALUES:
            conn.send(value)
        for frame in BYTES:
            conn.send_bytes(frame)
        conn.close()
        return 0
    if mode == "bytes":
        while True:
            try:
                frame = conn.recv_bytes()
            except EOFError:
                return 0
            conn.send_bytes(frame[::-1])
    if mode == "eof":
        try:
            conn.recv()
        except EOFError:
            return 0
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
