"""A CPython end of an authenticated connection made by address (conformance/test_interop_listener.c,
and conformance/python/test_listener_interop.py, which pairs two CPythons).

    python3 listener_peer.py MODE KEY ADDRESS FAMILY [ROLE]

MODE     serve: Listener(ADDRESS, FAMILY, authkey=KEY), print its address (the form below) on
         stdout, accept one connection; connect: Client(ADDRESS, FAMILY, authkey=KEY).
KEY      the key in hex ("" is the empty key), or "none" for no authentication.
ADDRESS  libmp's form of the address: "host:port" (Python's (host, port)), "@name" (an
         abstract socket, Python's "\\0name"), anything else a path.
FAMILY   AF_UNIX or AF_INET.
ROLE     what to do once connected:
  peer   (default) send HEADER, then VALUES (conn_peer.py's list), then receive values until
         EOFError, each of which must be VALUES[k] for the k-th, and send each one back;
  check  the other end: receive HEADER and VALUES and check them, send VALUES, receive each
         back and check it, then close; it prints "peer MAJOR.MINOR DIGESTS self DIGESTS"
         (the peer's HEADER, then its own digests) on stdout.

HEADER is (major, minor, digests): this interpreter's version and the digests its handshake
computed an HMAC with (hmac.new is watched), sorted: ["md5"] with a CPython 3.8-3.11 at either
end, ["sha256"] between two of 3.12 and later.

Exit status: 0 when all went as above; 10 after AuthenticationError (printed on stdout as
"AuthenticationError: message"); 4 when the other end broke the connection (a C Client that
found no handshake where it expected one); 3 when a value differs (said on stderr); 2 on bad
arguments.
"""
import hmac
import math
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener

from conn_peer import VALUES

DIGESTS = set()
_hmac_new = hmac.new


def _watched_new(key, msg=None, digestmod=None):
    # the handshake names its digest in the third argument, in every version from 3.8 to 3.14
    DIGESTS.add(str(digestmod))
    return _hmac_new(key, msg, digestmod)


hmac.new = _watched_new


def to_python(address, family):
    if family == "AF_INET":
        host, _, port = address.rpartition(":")
        return (host, int(port))
    if address.startswith("@"):
        return "\0" + address[1:]
    return address


def to_libmp(address):
    if isinstance(address, tuple):
        return "%s:%d" % address[:2]
    if isinstance(address, bytes):
        address = address.decode("utf-8", "surrogateescape")
    if address.startswith("\0"):
        return "@" + address[1:]
    return address


def same(got, want):
    """Python's ==, but also of the same type all the way down, and -0.0 is not 0.0."""
    if type(got) is not type(want):
        return False
    if isinstance(want, float):
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    if isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return list(got) == list(want) and all(same(got[k], want[k]) for k in want)
    return got == want


def header():
    return (sys.version_info[0], sys.version_info[1], sorted(DIGESTS))


def expect(conn, k, want):
    got = conn.recv()
    if not same(got, want):
        sys.stderr.write("value %d: got %r, expected %r\n" % (k, got, want))
        sys.exit(3)
    return got


def play_peer(conn):
    conn.send(header())
    for value in VALUES:
        conn.send(value)
    k = 0
    while True:
        try:
            value = expect(conn, k, VALUES[k] if k < len(VALUES) else None)
        except EOFError:
            return 0
        conn.send(value)
        k += 1


def play_check(conn):
    theirs = conn.recv()
    for k, want in enumerate(VALUES):
        expect(conn, k, want)
    for k, value in enumerate(VALUES):
        conn.send(value)
        expect(conn, k, value)
    conn.close()
    print("peer %d.%d %s self %s" % (theirs[0], theirs[1], ",".join(theirs[2]),
                                     ",".join(sorted(DIGESTS))), flush=True)
    return 0


def main(argv):
    if len(argv) not in (4, 5) or argv[0] not in ("serve", "connect"):
        sys.stderr.write(__doc__)
        return 2
    mode, key, address, family = argv[:4]
    role = argv[4] if len(argv) == 5 else "peer"
    authkey = None if key == "none" else bytes.fromhex(key)
    address = to_python(address, family)
    try:
        if mode == "serve":
            with Listener(address, family, authkey=authkey) as listener:
                print(to_libmp(listener.address), flush=True)
                conn = listener.accept()
        else:
            conn = Client(address, family, authkey=authkey)
    except AuthenticationError as e:
        print("AuthenticationError: %s" % e, flush=True)
        return 10
    with conn:
        try:
            return play_peer(conn) if role == "peer" else play_check(conn)
        except (BrokenPipeError, ConnectionResetError):
            return 4  # said by the status alone: whoever started us may have stopped reading


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
