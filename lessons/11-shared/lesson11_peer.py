"""Lesson 11's Python end: attaches by name to the block that lesson 11 made (in C, or in
lesson11.py), reads its greeting and its ten squares, and writes back their sum.

    python3 lessons/11-shared/lesson11_peer.py psm_1a2b3c4d

Block layout: 16 bytes of greeting, ten little-endian int32, and at byte 56 an int64 answer.
"""
import struct
import sys
from multiprocessing import resource_tracker, shared_memory

LAYOUT = '<16s10i'
ANSWER = 56


def attach(name):
    """Attach without handing the block to this process's resource tracker: CPython's tracker
    (3.8-3.12 always, 3.13 unless track=False) would unlink a block it merely attached to when
    this process exits, and the creator would find it gone."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    shm = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(shm._name, "shared_memory")
    return shm


def main():
    shm = attach(sys.argv[1])
    greeting, *squares = struct.unpack_from(LAYOUT, shm.buf)
    print("attached by name: {0!r}, squares {1}".format(greeting.rstrip(b'\0'), squares))
    struct.pack_into('<q', shm.buf, ANSWER, sum(squares))
    del greeting
    shm.close()


if __name__ == "__main__":
    main()
