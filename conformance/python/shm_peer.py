"""The Python end of a SharedMemory block shared with a C process (conformance/test_sharedmemory.c).

    python3 shm_peer.py attach NAME SIZE   attach to the C block NAME; check that it is SIZE bytes
                                           of pattern(SIZE, 0); write pattern(SIZE, 1); close; exit 0
    python3 shm_peer.py create SIZE        make a block with name=None, fill it with
                                           pattern(SIZE, 0), print its name, wait for a line on
                                           stdin, check pattern(SIZE, 1), unlink; exit 0
    python3 shm_peer.py missing NAME       exit 0 only if attaching to NAME raises FileNotFoundError
    python3 shm_peer.py slattach NAME      attach to the C ShareableList NAME; print repr(list(sl))
                                           and sl.format; set sl[0] = 'py', sl[3] = 2.5,
                                           sl[12] = None; check that sl[10] = 'x' * 9 raises
                                           ValueError; exit 0
    python3 shm_peer.py slcreate           make ShareableList(SL_VALUES); print its name and
                                           format; wait for a line on stdin; print repr(list(sl))
                                           and sl.format; unlink; exit 0

CPython's resource tracker also registers a block a process attaches to (3.8-3.12 always, 3.13
unless track=False), and would unlink the C block when this process exits: the attach modes
take it back out of the tracker, as the usual workaround does, so the C side can see that the
block outlived this peer.
"""
import sys
from multiprocessing import resource_tracker, shared_memory


def pattern(size, salt):
    return bytes((i * 7 + salt) % 251 for i in range(size))


def attach(name):
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    shm = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(shm._name, "shared_memory")
    return shm


# The list slcreate makes (test_sharedmemory.c's py_values() is the same, b'tail' without its NUL,
# which ShareableList strips).
SL_VALUES = [None, True, False, 0, -1, 2**63 - 1, -2**63, 1.5, -0.0, float("inf"), "", "ascii",
             "h\u00e9llo", b"", b"\x00\xffabc", "exactly8", b"1234567890abcdef", b"tail\x00"]


def sl_attach(name):
    sl = shared_memory.ShareableList(name=name)
    resource_tracker.unregister(sl.shm._name, "shared_memory")
    return sl


def sl_show(sl):
    print(repr(list(sl)), flush=True)
    print(sl.format, flush=True)


def sl_mode(mode, argv):
    sys.stdout.reconfigure(encoding="utf-8")
    if mode == "slattach":
        sl = sl_attach(argv[0])
        sl_show(sl)
        sl[0], sl[3], sl[12] = "py", 2.5, None
        try:
            sl[10] = "x" * 9
            return 6
        except ValueError:
            pass
        sl.shm.close()
        return 0
    sl = shared_memory.ShareableList(SL_VALUES)
    print(sl.shm.name, flush=True)
    print(sl.format, flush=True)
    sys.stdin.readline()
    sl_show(sl)
    sl.shm.close()
    sl.shm.unlink()
    return 0


def main():
    mode = sys.argv[1]
    if mode == "attach":
        name, size = sys.argv[2], int(sys.argv[3])
        shm = attach(name)
        if shm.size != size or bytes(shm.buf[:size]) != pattern(size, 0):
            return 3
        shm.buf[:size] = pattern(size, 1)
        shm.close()
        return 0
    if mode == "create":
        size = int(sys.argv[2])
        shm = shared_memory.SharedMemory(create=True, size=size)
        shm.buf[:size] = pattern(size, 0)
        print(shm.name, flush=True)
        sys.stdin.readline()
        ok = bytes(shm.buf[:size]) == pattern(size, 1)
        shm.close()
        shm.unlink()
        return 0 if ok else 4
    if mode in ("slattach", "slcreate"):
        return sl_mode(mode, sys.argv[2:])
    if mode == "missing":
        try:
            attach(sys.argv[2])
        except FileNotFoundError:
            return 0
        return 5
    return 2


if __name__ == "__main__":
    sys.exit(main())
