"""Lesson 11: shared state. A Value and an Array a child writes into, a counter under the
Value's own lock, then a named SharedMemory block that another Python process reads and answers.

    python3 lessons/11-shared/lesson11.py                  # 5 x 1000 increments per worker
    python3 lessons/11-shared/lesson11.py --count 3
"""

import multiprocessing
import os
import struct
import subprocess
import sys
from multiprocessing import shared_memory

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lesson import options, say  # noqa: E402 (lessons/lesson.py, shared by every lesson)

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lesson11_peer.py")
WORKERS = 4
BLOCK = 64
ANSWER = 56


# [f]
def f(num, arr):
    num.value = 3.1415927
    for i in range(len(arr)):
        arr[i] = -arr[i]
# [f]


def run(target, args, n):
    workers = [multiprocessing.Process(target=target, args=args) for _ in range(n)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()


def value_and_array():
    # [value-array]
    num = multiprocessing.Value('d', 0.0)
    arr = multiprocessing.Array('i', range(10))
    run(f, (num, arr), 1)
    # [value-array]
    say("num.value = {0}".format(num.value))
    say("arr[:] = {0}".format(arr[:]))


# [add]
def add(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1
# [add]


def counter_under_lock(thousands):
    # [counter]
    counter = multiprocessing.Value('i', 0)
    times = 1000 * thousands
    run(add, (counter, times), WORKERS)
    # [counter]
    say("{0} workers x {1} increments under get_lock(): counter.value = {2}".format(
        WORKERS, times, counter.value))


# [block]
def fill(buf):
    buf[:BLOCK] = bytes(BLOCK)
    struct.pack_into('<16s10i', buf, 0, b"shared hello", *(i * i for i in range(10)))
# [block]


# [python]
def python_reads(name):
    out = subprocess.run([sys.executable, PEER, name], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    for line in out.splitlines():
        say("Python peer: " + line)
# [python]


def shared_memory_block():
    # [shm]
    shm = shared_memory.SharedMemory(create=True, size=BLOCK)
    fill(shm.buf)
    say("made a block of {0} bytes, named psm_ and 8 hex digits".format(shm.size))
    python_reads(shm.name)
    answer, = struct.unpack_from('<q', shm.buf, ANSWER)
    say("the Python end wrote the sum of the squares: {0}".format(answer))
    shm.close()
    shm.unlink()
    # [shm]
    say("closed and unlinked the block")


def main():
    args = options(__doc__, 0.2, 5, 'not used', 'increments per counter worker, in thousands')
    multiprocessing.set_start_method('fork')
    value_and_array()
    counter_under_lock(args.count)
    shared_memory_block()


if __name__ == "__main__":
    main()
