"""Catalogue 17.11 (conformance/catalogue.md) Pool, checked against CPython (fork context). The
C suite "Pool" checks libmp against the same ids.

POOL-20, 21 and 22 are libmp's additions to the catalogue. POOL-20 and 21 hold in CPython as in
libmp. POOL-22 shows CPython's behaviour when a worker dies in the middle of a task, and says so
in its title: the task's result never becomes ready, so get() waits for ever, and the case can
only show that with a timeout; the C case of the same id shows libmp failing the task with
MP_EWORKERLOST within a second.

Every pool is terminated and joined in a `finally` (pool_of()), so that a failing case leaves no
worker behind."""

import contextlib
import os
import signal
import struct
import sys
import time
import multiprocessing
from multiprocessing.pool import MaybeEncodingError

from support import (ctx, case, check, check_eq, check_about, timed, expect_error, read_exact)


@contextlib.contextmanager
def pool_of(*args, **kwargs):
    """A fork-context Pool that is terminated and joined however the case ends."""
    p = ctx.Pool(*args, **kwargs)
    try:
        yield p
    finally:
        p.terminate()
        p.join()


def get_times_out(res, timeout, what):
    """res.get(timeout) raises multiprocessing.TimeoutError after ~timeout seconds."""
    t0 = time.monotonic()
    try:
        res.get(timeout=timeout)
    except multiprocessing.TimeoutError:
        check_about(time.monotonic() - t0, timeout, what)
    else:
        check(False, f'{what} returned a value')


def worker_pids(p):
    """The pids of the workers: `[w.pid for w in pool._pool]` (private in CPython)."""
    return sorted(w.pid for w in p._pool)


# ---- tasks (module level: what a Pool runs must be a module-level function) ------------------
def sqr(x, wait=0.0):
    time.sleep(wait)
    return x * x


def mul(x, y):
    return x * y


def sqr_late_first(x):
    """x * x, the sooner the larger x is (0 waits 0.24 s, 12 and above not at all)."""
    time.sleep(max(0.0, 0.02 * (12 - x)))
    return x * x


def sqr_and_pid(x):
    return x * x, os.getpid()


def raising():
    raise KeyError('key')


def unpickleable_result():
    return lambda: 42


def who_am_i(_):
    me = multiprocessing.current_process()
    return me.daemon, me.name


def report_pid_then_sleep(fd, seconds):
    os.write(fd, struct.pack('i', os.getpid()))
    time.sleep(seconds)
    return 'finished'


# ---- 17.11 --------------------------------------------------------------------------------------
@case('POOL-01', "Pool(0) and Pool(-1) ValueError; maxtasksperchild 0, -1, 0.5, '12' ValueError; "
      'a non-callable initializer TypeError')
def pool_01(fx):
    for n in (0, -1):
        expect_error(ValueError, 'Number of processes must be at least 1', ctx.Pool, n)
    for bad in (0, -1, 0.5, '12'):
        if MAXTASKS_CHECKED:
            expect_error(ValueError, 'maxtasksperchild', ctx.Pool, 1, maxtasksperchild=bad)
        else:
            maxtasks_fails_in_the_worker(fx, bad)
    expect_error(TypeError, 'initializer must be a callable', ctx.Pool, 1, initializer=3)


# The constructor checks maxtasksperchild since 3.10 (python/cpython gh-83658, PR #93364). Before
# that, Pool() accepts any value, and each worker fails at its start with AssertionError('Maxtasks
# ... is not valid') while the pool starts another in its place, for as long as it runs.
MAXTASKS_CHECKED = sys.version_info >= (3, 10)


def maxtasks_fails_in_the_worker(fx, bad):
    """CPython < 3.10: Pool(1, maxtasksperchild=bad) is made, and its worker fails with the
    AssertionError above. The workers' tracebacks go to a file, not to the runner's output."""
    path = os.path.join(fx.tmpdir(), 'pool-01-stderr')
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)                       # the workers inherit it: they are forked from here on
    os.close(fd)
    err = ''
    try:
        p = ctx.Pool(1, maxtasksperchild=bad)
        try:
            deadline = time.monotonic() + 5
            while 'is not valid' not in err and time.monotonic() < deadline:
                time.sleep(0.02)
                with open(path) as f:
                    err = f.read()
        finally:
            p.terminate()
            p.join()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    check(f'AssertionError: Maxtasks {bad!r} is not valid' in err,
          f'maxtasksperchild={bad!r} on CPython {sys.version.split()[0]}: the pool was made, '
          f'but no worker failed with the AssertionError; stderr: {err[-300:]!r}')


@case('POOL-02', 'map(sqr, range(10)) equals the serial result, also with chunksize=20 on 100 '
      'items; apply(sqr, (5,)) is 25; starmap')
def pool_02(fx):
    with pool_of(4) as p:
        check_eq(p.map(sqr, range(10)), [sqr(x) for x in range(10)], 'map(sqr, range(10))')
        check_eq(p.map(sqr, range(100), chunksize=20), [sqr(x) for x in range(100)],
                 'map(sqr, range(100), chunksize=20)')
        check_eq(p.apply(sqr, (5,)), 25, 'apply(sqr, (5,))')
        pairs = [(i, i + 1) for i in range(10)]
        check_eq(p.starmap(mul, pairs), [x * y for x, y in pairs], 'starmap(mul, pairs)')
        check_eq(p.starmap_async(mul, pairs).get(5), [x * y for x, y in pairs],
                 'starmap_async(mul, pairs).get()')


@case('POOL-03', 'apply_async(slow).get(timeout=0.2) raises multiprocessing.TimeoutError after '
      '~0.2 s; a later get() returns the value')
def pool_03(fx):
    with pool_of(2) as p:
        res = p.apply_async(sqr, (6, 0.2 + 0.8))
        get_times_out(res, 0.2, 'get(timeout=0.2) of a task that takes 1 s')
        check(not isinstance(multiprocessing.TimeoutError(), TimeoutError),
              'multiprocessing.TimeoutError is not the builtin TimeoutError')
        check_eq(res.ready(), False, 'ready() after the timeout')
        check_eq(res.get(timeout=5), 36, 'the later get()')


@case('POOL-04', 'a task raises KeyError: get() raises KeyError, error_callback got it, '
      'successful() is False')
def pool_04(fx):
    got = []
    with pool_of(2) as p:
        res = p.apply_async(raising, error_callback=got.append)
        e = expect_error(KeyError, 'key', res.get, 5)
        check_eq(e.args, ('key',), "the KeyError's args")
        # CPython runs the error_callback before it marks the result ready
        check_eq(len(got), 1, 'error_callback calls')
        check(isinstance(got[0], KeyError), f'error_callback got {got[0]!r}, not a KeyError')
        check_eq(res.ready(), True, 'ready()')
        check_eq(res.successful(), False, 'successful()')


@case('POOL-06', "join() while running ValueError 'Pool is still running'; apply after close() "
      "ValueError 'Pool not running'")
def pool_06(fx):
    with pool_of(2) as p:
        expect_error(ValueError, 'Pool is still running', p.join)
        p.close()
        expect_error(ValueError, 'Pool not running', p.apply, sqr, (2,))
        expect_error(ValueError, 'Pool not running', p.apply_async, sqr, (2,))
        p.join()


@case('POOL-07', 'with Pool(2) as p: map_async().get() works inside; the block ends with '
      'terminate(), after which map_async and a new `with p:` are ValueError')
def pool_07(fx):
    with pool_of(2) as outer:
        with outer as p:
            check(p is outer, '__enter__ returns the pool itself')
            check_eq(p.map_async(sqr, range(10)).get(5), [x * x for x in range(10)],
                     'map_async(sqr, range(10)).get() inside the block')
            pending = p.apply_async(sqr, (3, 5.0))
            t0 = time.monotonic()
        took = time.monotonic() - t0
        # close() would have waited for the 5 s task; terminate() stops the workers at once
        check(took < 1.0, f'leaving the block with a 5 s task pending took {took:.3f} s')
        check_eq(pending.ready(), False, 'the pending task after terminate()')
        expect_error(ValueError, 'Pool not running', outer.map_async, sqr, range(3))
        expect_error(ValueError, 'Pool not running', outer.__enter__)


@case('POOL-08', 'an empty iterable: map [], imap [], imap_unordered [], map_async().get() []')
def pool_08(fx):
    with pool_of(2) as p:
        check_eq(p.map(sqr, []), [], 'map(sqr, [])')
        check_eq(list(p.imap(sqr, [])), [], 'imap(sqr, [])')
        check_eq(list(p.imap_unordered(sqr, [])), [], 'imap_unordered(sqr, [])')
        check_eq(p.map_async(sqr, []).get(5), [], 'map_async(sqr, []).get()')
        check_eq(p.starmap(mul, []), [], 'starmap(mul, [])')


@case('POOL-09', "the workers are daemonic, with names containing 'PoolWorker'")
def pool_09(fx):
    with pool_of(2) as p:
        seen = set(p.map(who_am_i, range(8), chunksize=1))
        check(seen, 'no task reported')
        for daemon, name in seen:
            check_eq(daemon, True, f'daemon flag of worker {name}')
            check('PoolWorker' in name, f"worker name {name!r} lacks 'PoolWorker'")


@case('POOL-11', 'terminate() with 10,000 outstanding long tasks returns promptly')
def pool_11(fx):
    with pool_of(4) as p:
        res = p.map_async(time.sleep, [0.1] * 10000, chunksize=1)
        time.sleep(0.1)                      # every worker is inside a task
        _, took = timed(p.terminate)
        _, joined = timed(p.join)
        # _TestPool.test_terminate's bound: the whole queue would take 250 s
        check(took + joined < 2.0, f'terminate() took {took:.3f} s and join() {joined:.3f} s')
        check_eq(res.ready(), False, 'the map after terminate()')


@case('POOL-12', 'an unpicklable return value: get() raises MaybeEncodingError; the pool stays '
      'usable (20 iterations)')
def pool_12(fx):
    with pool_of(2) as p:
        for i in range(20):
            got = []
            res = p.apply_async(unpickleable_result, error_callback=got.append)
            e = expect_error(MaybeEncodingError, 'Error sending result', res.get, 5)
            check(e.exc is not None and e.value is not None,
                  f'iteration {i}: MaybeEncodingError without exc or value')
            check(len(got) == 1 and isinstance(got[0], MaybeEncodingError),
                  f'iteration {i}: error_callback got {got!r}')
        check_eq(len(p._pool), 2, 'workers after 20 encoding errors')
        check_eq(p.apply(sqr, (7,)), 49, 'apply(sqr, (7,)) after them')


# ---- libmp's additions to 17.11 -----------------------------------------------------------------
@case('POOL-20', 'map and imap return results in input order; imap_unordered returns each '
      'result exactly once')
def pool_20(fx):
    n = 12
    want = [x * x for x in range(n)]
    with pool_of(3) as p:
        check_eq(p.map(sqr_late_first, range(n), chunksize=1), want,
                 'map(sqr_late_first, range(12), chunksize=1), later items finishing first')
        check_eq(list(p.imap(sqr_late_first, range(n))), want,
                 'imap(sqr_late_first, range(12)), later items finishing first')
        check_eq(p.map(sqr, range(100), chunksize=7), [x * x for x in range(100)],
                 'map(sqr, range(100), chunksize=7)')
        check_eq(list(p.imap(sqr, range(100), chunksize=7)), [x * x for x in range(100)],
                 'imap(sqr, range(100), chunksize=7)')
        it = p.imap(sqr, range(n))
        check_eq([it.next(timeout=5) for _ in range(n)], want, 'imap(...).next(timeout=5)')
        expect_error(StopIteration, '', it.next, 5)
        got = list(p.imap_unordered(sqr, range(100), chunksize=7))
        check_eq(len(got), 100, 'how many results imap_unordered gave')
        check_eq(sorted(got), [x * x for x in range(100)], 'imap_unordered results, sorted')


@case('POOL-21', 'maxtasksperchild=10: after 100 tasks the worker pids have changed')
def pool_21(fx):
    with pool_of(2, maxtasksperchild=10) as p:
        before = worker_pids(p)
        check(None not in before and len(before) == 2, f'the first workers: {before}')
        results = [p.apply_async(sqr_and_pid, (i,)) for i in range(100)]
        runs = {}
        for i, res in enumerate(results):
            value, pid = res.get(10)
            check_eq(value, i * i, f'task {i}')
            runs[pid] = runs.get(pid, 0) + 1
        check(max(runs.values()) <= 10, f'a worker ran more than 10 tasks: {runs}')
        check(len(runs) >= 10, f'100 tasks ran in {len(runs)} workers, expected 10 or more')
        after = worker_pids(p)
        check(after != before, f'the worker pids are still {before}')


@case('POOL-22', 'a worker SIGKILLed while it runs a task: get(timeout=2) raises '
      'multiprocessing.TimeoutError after ~2 s, the result never becomes ready (CPython; '
      'libmp returns MP_EWORKERLOST within a second)')
def pool_22(fx):
    r, w = fx.os_pipe()                  # made before the pool: every worker inherits w
    with pool_of(2) as p:
        res = p.apply_async(report_pid_then_sleep, (w, 30))
        pid, = struct.unpack('i', read_exact(r, 4))
        check(pid in worker_pids(p), f'the task ran in {pid}, not in a worker {worker_pids(p)}')
        os.kill(pid, signal.SIGKILL)
        get_times_out(res, 2.0, 'get(timeout=2) after the kill')
        check_eq(res.ready(), False, 'ready() of the lost task')
        # the pool replaced the worker and runs new tasks; only the lost one waits for ever
        check(pid not in worker_pids(p), f'the killed worker {pid} is still in the pool')
        check_eq(p.apply(sqr, (4,)), 16, 'apply(sqr, (4,)) after the kill')
