"""The benchmark registry: every workload (W1-W8, as the docs' Performance page describes them)
and every program that measures it.

Adding a libmp row is one program and one line:
  1. bench/libmp/<name>.c, built to $(BUILD)/bench/bin/libmp-<name> by `make bench` (a wildcard);
  2. a V(...) line below with kind LIBMP and program "libmp-<name>".
Programs are "floor-<name>" / "libmp-<name>" (C, from bench/floor and bench/libmp) or
"cpython/<file>.py" (run with $(PYTHON)). Each takes `COUNT [MODE] [--pin]` and prints one line
`result ops=N seconds=S ns_per_op=X` (see bench/common.h).
"""
from collections import namedtuple

FLOOR, CPYTHON, LIBMP = "floor", "cpython", "libmp"

# unit: how a figure is shown. "us" and "ns" are time per operation (lower is better); "M/s"
# (million operations a second) and "GiB/s" (operations x bytes_per_op) are throughputs (higher
# is better). Ratios are always ratios of time per operation, whatever the unit.
Workload = namedtuple("Workload", "id title count unit bytes_per_op pin")
Variant = namedtuple("Variant", "workload kind label program args count peer floor ranks")


def W(id, title, count, unit, bytes_per_op=0, pin=False):
    return Workload(id, title, count, unit, bytes_per_op, pin)


def V(workload, kind, label, program, *args, count=None, peer=None, floor=None, ranks=None):
    """count: this variant's own count (before SCALE) where the workload's does not suit it;
    peer (libmp rows): the label of the CPython variant to compare with, if not the fastest;
    floor (libmp rows): the label of the floor variant to compare with, if not the fastest;
    ranks: run under `mpirun -np RANKS` (a .py under `python3 -m mpi4py.futures`); such a
    variant is left out where Open MPI (or, for a .py, mpi4py) is not installed."""
    return Variant(workload, kind, label, program, list(args), count, peer, floor, ranks)


WORKLOADS = [
    # id        title                                                   count       unit
    W("W1",     "ping-pong of an int, parent <-> child",                100_000,    "us"),
    W("W1-pin", "ping-pong of an int, both processes on one CPU",       100_000,    "us", pin=True),
    W("W2a",    "stream of 64 B framed messages, child -> parent",      1_000_000,  "M/s"),
    W("W2b",    "stream of 64 KiB framed messages (1 GiB)",             16_384,     "GiB/s",
      bytes_per_op=65536),
    W("W3a",    "queue of ints, 1 producer -> 1 consumer",              1_000_000,  "M/s"),
    W("W3b",    "queue of ints, 2 producers -> 2 consumers",            1_000_000,  "M/s"),
    W("W4",     "start + join a process running an empty function",     2_000,      "us"),
    W("W5a",    "lock acquire + release, uncontended",                  10_000_000, "ns"),
    W("W5b",    "2 processes x COUNT increments under one lock",        1_000_000,  "ns"),
    W("W6",     "two-event ping-pong (Event x2), round trip",           100_000,    "us"),
    W("W6-pin", "two-event ping-pong, both processes on one CPU",       100_000,    "us", pin=True),
    W("W7a",    "Pool(2).map of x*x over 100,000 ints; per task",      100_000,    "ns"),
    W("W7b",    "Pool(2).apply_async of x*x, then get() of each",       10_000,     "us"),
    W("W7c",    "Pool(2).map of 1,000 tasks of 1 ms CPU (ideal 500 us)", 1_000,     "us"),
    W("W8",     "connect + authenticate + one round trip of an int",    2_000,      "us"),
    W("W9a",    "4 MPI ranks (3 workers): map of x*x over 100,000 ints", 100_000,   "ns"),
    W("W9b",    "4 MPI ranks (3 workers): map of 1,000 tasks of 1 ms",  1_000,      "us"),
    W("P1d",    "pickle.dumps of a list of 100,000 small ints",         500,        "us"),
    W("P1l",    "pickle.loads of a list of 100,000 small ints",         200,        "us"),
    W("P2d",    "pickle.dumps of a dict of 10,000 str keys",            1_000,      "us"),
    W("P2l",    "pickle.loads of a dict of 10,000 str keys",            1_000,      "us"),
    W("P3d",    "pickle.dumps of one 64 MiB bytes",                     20,         "GiB/s",
      bytes_per_op=64 * 2**20),
    W("P3l",    "pickle.loads of one 64 MiB bytes",                     20,         "GiB/s",
      bytes_per_op=64 * 2**20),
]

VARIANTS = [
    # workload  kind     label                                   program           args
    V("W1",     FLOOR,   "two pipes",                            "floor-w1",       "pipe"),
    V("W1",     FLOOR,   "socketpair",                           "floor-w1",       "socketpair"),
    V("W1",     CPYTHON, "Pipe() send/recv int",                 "cpython/w1.py"),
    V("W1",     LIBMP,   "Pipe() send/recv int",                 "libmp-w1",       "obj"),
    V("W1",     LIBMP,   "Pipe() send_bytes/recv_bytes_into",    "libmp-w1",       "bytes"),
    V("W1",     LIBMP,   "two Pipe(duplex=False), bytes",        "libmp-w1",       "bytes-pipes"),
    V("W1-pin", FLOOR,   "two pipes",                            "floor-w1",       "pipe"),
    V("W1-pin", FLOOR,   "socketpair",                           "floor-w1",       "socketpair"),
    V("W1-pin", CPYTHON, "Pipe() send/recv int",                 "cpython/w1.py"),
    V("W1-pin", LIBMP,   "Pipe() send/recv int",                 "libmp-w1",       "obj"),
    V("W1-pin", LIBMP,   "Pipe() send_bytes/recv_bytes_into",    "libmp-w1",       "bytes"),
    V("W1-pin", LIBMP,   "two Pipe(duplex=False), bytes",        "libmp-w1",       "bytes-pipes"),
    V("W2a",    FLOOR,   "pipe, read header + read body",        "floor-w2",       "a-pipe-hdr"),
    V("W2a",    FLOOR,   "pipe, buffered reader",                "floor-w2",       "a-pipe-buf"),
    V("W2a",    FLOOR,   "socketpair, buffered reader",          "floor-w2",       "a-socketpair-buf"),
    V("W2a",    CPYTHON, "Pipe(duplex=False) (os.pipe)",         "cpython/w2.py",  "a-pipe"),
    V("W2a",    CPYTHON, "Pipe() (socketpair)",                  "cpython/w2.py",  "a-socketpair"),
    V("W2a",    LIBMP,   "Pipe(duplex=False)",                   "libmp-w2",       "a-pipe"),
    V("W2a",    LIBMP,   "Pipe() (socketpair)",                  "libmp-w2",       "a-socketpair"),
    V("W2a",    LIBMP,   "Pipe(duplex=False), read-ahead",       "libmp-w2",       "a-pipe-readahead"),
    V("W2a",    LIBMP,   "Pipe() (socketpair), read-ahead",      "libmp-w2",       "a-socketpair-readahead"),
    V("W2b",    FLOOR,   "pipe (64 KiB), writev",                "floor-w2",       "b-pipe"),
    V("W2b",    FLOOR,   "pipe grown to 1 MiB, writev",          "floor-w2",       "b-pipe-1m"),
    V("W2b",    FLOOR,   "socketpair, writev",                   "floor-w2",       "b-socketpair"),
    V("W2b",    CPYTHON, "Pipe(duplex=False) (os.pipe)",         "cpython/w2.py",  "b-pipe"),
    V("W2b",    CPYTHON, "Pipe() (socketpair)",                  "cpython/w2.py",  "b-socketpair"),
    V("W2b",    LIBMP,   "Pipe(duplex=False)",                   "libmp-w2",       "b-pipe"),
    V("W2b",    LIBMP,   "Pipe() (socketpair)",                  "libmp-w2",       "b-socketpair"),
    V("W3a",    FLOOR,   "shm ring, pshared mutex + 2 condvars", "floor-w3",       "1to1"),
    V("W3a",    CPYTHON, "Queue",                                "cpython/w3.py",  "queue-1to1"),
    V("W3a",    CPYTHON, "SimpleQueue",                          "cpython/w3.py",  "simplequeue-1to1"),
    V("W3a",    LIBMP,   "Queue put/get int",                    "libmp-w3",       "queue-1to1",
      peer="Queue"),
    V("W3a",    LIBMP,   "SimpleQueue put/get int",              "libmp-w3",       "simplequeue-1to1",
      peer="SimpleQueue"),
    V("W3a",    LIBMP,   "Queue put_bytes/get_bytes_into",       "libmp-w3",       "bytes-1to1"),
    V("W3b",    FLOOR,   "shm ring, pshared mutex + 2 condvars", "floor-w3",       "2to2"),
    V("W3b",    CPYTHON, "Queue",                                "cpython/w3.py",  "queue-2to2"),
    V("W3b",    CPYTHON, "SimpleQueue",                          "cpython/w3.py",  "simplequeue-2to2"),
    V("W3b",    LIBMP,   "Queue put/get int",                    "libmp-w3",       "queue-2to2",
      peer="Queue"),
    V("W3b",    LIBMP,   "SimpleQueue put/get int",              "libmp-w3",       "simplequeue-2to2",
      peer="SimpleQueue"),
    V("W3b",    LIBMP,   "Queue put_bytes/get_bytes_into",       "libmp-w3",       "bytes-2to2"),
    V("W4",     FLOOR,   "fork + _exit + waitpid",               "floor-w4",       "fork"),
    V("W4",     FLOOR,   "fork + exec of itself + waitpid",      "floor-w4",       "exec", count=500),
    V("W4",     FLOOR,   "posix_spawn of itself + waitpid",      "floor-w4",       "posix_spawn",
      count=500),
    V("W4",     CPYTHON, "Process, fork",                        "cpython/w4.py",  "fork"),
    V("W4",     CPYTHON, "Process, forkserver",                  "cpython/w4.py",  "forkserver",
      count=50),
    V("W4",     CPYTHON, "Process, spawn",                       "cpython/w4.py",  "spawn", count=50),
    V("W4",     LIBMP,   "mp_process start + join (fork)",       "libmp-w4",       "fork"),
    V("W4",     LIBMP,   "mp_process start + join (spawn)",      "libmp-w4",       "spawn",
      count=500, peer="Process, spawn", floor="fork + exec of itself + waitpid"),
    V("W4",     LIBMP,   "mp_process start + join (forkserver)", "libmp-w4",       "forkserver",
      count=500, peer="Process, forkserver"),
    V("W5a",    FLOOR,   "pshared pthread mutex",                "floor-w5",       "uncontended"),
    V("W5a",    CPYTHON, "Lock",                                 "cpython/w5.py",  "uncontended"),
    V("W5a",    LIBMP,   "mp_lock_t (Lock)",                     "libmp-w5",       "uncontended"),
    V("W5b",    FLOOR,   "pshared pthread mutex",                "floor-w5",       "contended"),
    V("W5b",    CPYTHON, "Value(lock=False) + Lock",             "cpython/w5.py",  "contended"),
    V("W5b",    LIBMP,   "shared counter + mp_lock_t (Lock)",    "libmp-w5",       "contended"),
    V("W5b",    CPYTHON, "Value + get_lock",                     "cpython/w5.py",  "value"),
    V("W5b",    LIBMP,   "Value + get_lock (mp_value_t)",        "libmp-w5",       "value",
      peer="Value + get_lock"),
    V("W6",     FLOOR,   "pshared mutex + condvar per event",    "floor-w6"),
    V("W6",     CPYTHON, "Event x2",                             "cpython/w6.py"),
    V("W6",     LIBMP,   "mp_event_t x2 (Event)",                "libmp-w6"),
    V("W6-pin", FLOOR,   "pshared mutex + condvar per event",    "floor-w6"),
    V("W6-pin", CPYTHON, "Event x2",                             "cpython/w6.py"),
    V("W6-pin", LIBMP,   "mp_event_t x2 (Event)",                "libmp-w6"),
    # Pool: no system call does the work of a pool (pickled tasks and results, chunks, a result
    # handler), so W7a and W7b have no floor; W7c's floor is the ideal speed-up, the same busy
    # loop on 2 plain forked processes that split the tasks evenly (500 us a task on 2 cores).
    V("W7a",    CPYTHON, "Pool(2).map (fork)",                   "cpython/pool.py", "map"),
    V("W7a",    LIBMP,   "mp_pool_map, 2 workers (fork)",        "libmp-pool",     "map"),
    V("W7b",    CPYTHON, "Pool(2).apply_async + get (fork)",     "cpython/pool.py", "apply_async"),
    V("W7b",    LIBMP,   "mp_pool_apply_async + get, 2 workers", "libmp-pool",     "apply_async"),
    V("W7c",    FLOOR,   "ideal: 2 forks x 500 tasks, no pool",  "floor-pool",     "map1ms"),
    V("W7c",    CPYTHON, "Pool(2).map (fork), Python loop",      "cpython/pool.py", "map1ms"),
    V("W7c",    LIBMP,   "mp_pool_map, 2 workers (fork)",        "libmp-pool",     "map1ms"),
    # Listener/Client: a connection per request, both ends in one language, the key proved both
    # ways (HMAC-SHA256 between libmp ends and between CPython 3.12+ ends, HMAC-MD5 with an older
    # python3). The floor is a plain connect + one framed round trip + close, with no key. Over
    # TCP, CPython's Client and libmp's write the handshake's last message and then the value
    # with no read in between, so Nagle's algorithm holds the value until the listener's delayed
    # ACK (about 40 ms): those rows run fewer connections, and a row of each with TCP_NODELAY set
    # by the caller shows the cost without that wait.
    V("W8",     FLOOR,   "TCP 127.0.0.1, no key",                "floor-w8",       "inet"),
    V("W8",     FLOOR,   "Unix socket, no key",                  "floor-w8",       "unix"),
    V("W8",     CPYTHON, "Listener/Client(authkey), TCP",        "cpython/w8.py",  "inet", count=200),
    V("W8",     CPYTHON, "the same, client sets TCP_NODELAY",    "cpython/w8.py",  "inet-nodelay"),
    V("W8",     CPYTHON, "Listener/Client(authkey), Unix",       "cpython/w8.py",  "unix"),
    V("W8",     LIBMP,   "mp_listener/mp_client + key, TCP",     "libmp-w8",       "inet", count=200,
      peer="Listener/Client(authkey), TCP", floor="TCP 127.0.0.1, no key"),
    V("W8",     LIBMP,   "the same, client sets TCP_NODELAY",    "libmp-w8",       "inet-nodelay",
      peer="the same, client sets TCP_NODELAY", floor="TCP 127.0.0.1, no key"),
    V("W8",     LIBMP,   "mp_listener/mp_client + key, Unix",    "libmp-w8",       "unix",
      peer="Listener/Client(authkey), Unix", floor="Unix socket, no key"),
    # Pool on MPI ranks: 4 ranks, rank 0 and 3 workers, beside a process Pool of 3 workers in the
    # same job and mpi4py.futures' MPIPoolExecutor; no floor (W7c's is the ideal speed-up).
    V("W9a",    CPYTHON, "mpi4py MPIPoolExecutor.map",           "cpython/pool_mpi4py.py", "map",
      ranks=4),
    V("W9a",    LIBMP,   "mp_pool_map, 3 worker processes",      "mpi-pool",       "proc-map",
      ranks=4),
    V("W9a",    LIBMP,   "mp_pool_map, 3 MPI ranks",             "mpi-pool",       "map", ranks=4),
    V("W9b",    CPYTHON, "mpi4py MPIPoolExecutor.map, Python loop", "cpython/pool_mpi4py.py",
      "map1ms", ranks=4),
    V("W9b",    LIBMP,   "mp_pool_map, 3 worker processes",      "mpi-pool",       "proc-map1ms",
      ranks=4),
    V("W9b",    LIBMP,   "mp_pool_map, 3 MPI ranks",             "mpi-pool",       "map1ms", ranks=4),
    # pickle: no system call does this work, so P1 and P2 have no floor; for P3 the floor is
    # what any codec must do with 64 MiB, a fresh buffer and a copy.
    V("P1d",    CPYTHON, "pickle.dumps (C _pickle)",             "cpython/pickle_w.py", "dumps-list"),
    V("P1d",    LIBMP,   "mp_pickle_dumps",                      "libmp-pickle",   "dumps-list"),
    V("P1l",    CPYTHON, "pickle.loads (C _pickle)",             "cpython/pickle_w.py", "loads-list"),
    V("P1l",    LIBMP,   "mp_pickle_loads of CPython's bytes",   "libmp-pickle",   "loads-list"),
    V("P2d",    CPYTHON, "pickle.dumps (C _pickle)",             "cpython/pickle_w.py", "dumps-dict"),
    V("P2d",    LIBMP,   "mp_pickle_dumps",                      "libmp-pickle",   "dumps-dict"),
    V("P2l",    CPYTHON, "pickle.loads (C _pickle)",             "cpython/pickle_w.py", "loads-dict"),
    V("P2l",    LIBMP,   "mp_pickle_loads of CPython's bytes",   "libmp-pickle",   "loads-dict"),
    V("P3d",    FLOOR,   "malloc + memcpy of 64 MiB, huge pages", "floor-pickle"),
    V("P3d",    CPYTHON, "pickle.dumps (C _pickle)",             "cpython/pickle_w.py", "dumps-bytes"),
    V("P3d",    LIBMP,   "mp_pickle_dumps",                      "libmp-pickle",   "dumps-bytes"),
    V("P3l",    FLOOR,   "malloc + memcpy of 64 MiB, huge pages", "floor-pickle"),
    V("P3l",    CPYTHON, "pickle.loads (C _pickle)",             "cpython/pickle_w.py", "loads-bytes"),
    V("P3l",    LIBMP,   "mp_pickle_loads",                      "libmp-pickle",   "loads-bytes"),
]
