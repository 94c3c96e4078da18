"""W9 mpi4py: mpi4py.futures' MPIPoolExecutor, whose workers are the other ranks, runs COUNT
tasks. Started by the driver as `mpirun -np RANKS python3 -m mpi4py.futures pool_mpi4py.py COUNT
MODE`: rank 0 runs this, RANKS - 1 ranks serve the executor.
  map     (W9a) one executor.map(sqr, ints 0..COUNT-1), chunksize ceil(COUNT / (4 * workers)),
          the Pool's default;
  map1ms  (W9b) one executor.map over COUNT tasks of 1 ms of CPU each (pool.py's Python loop),
          chunksize 1.
Time per task. Each worker has run a task before the clock starts; every result is checked
after it."""
import time

from mpi4py import MPI
from mpi4py.futures import MPIPoolExecutor

from bench_common import parse, report
from pool import calibrate, spin, sqr


def main():
    count, mode = parse(["map", "map1ms"])
    workers = MPI.COMM_WORLD.Get_size() - 1
    steps = calibrate(1e-3) if mode == "map1ms" else 0
    with MPIPoolExecutor(workers) as pool:
        if list(pool.map(sqr, range(workers))) != [x * x for x in range(workers)]:
            raise SystemExit("mpi4py: map gave a wrong result")
        if mode == "map":
            xs = list(range(count))
            chunk = -(-count // (4 * workers))
            t0 = time.perf_counter()
            out = list(pool.map(sqr, xs, chunksize=chunk))
            t1 = time.perf_counter()
            if out != [x * x for x in xs]:
                raise SystemExit("mpi4py: map gave a wrong result")
        else:
            t0 = time.perf_counter()
            out = list(pool.map(spin, [steps] * count))
            t1 = time.perf_counter()
            if out != [spin(steps)] * count:
                raise SystemExit("mpi4py: map gave a wrong result")
    report(count, t1 - t0)


if __name__ == "__main__":
    main()
