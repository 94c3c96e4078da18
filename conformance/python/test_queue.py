"""Catalogue 17.10 (conformance/catalogue.md: Queue, JoinableQueue, SimpleQueue), checked against CPython (fork context). The C
suites "Queue" and "SimpleQueue" check libmp against the same ids. Where libmp differs on purpose
(Q-13: a value that does not pickle; Q-17: empty() right after put(); Q-19: sending a queue), the
case here shows CPython's behaviour, says so in its title, and the C case of the same id shows
libmp's. libmp's own cases (a producer killed in the lock, the end of every producer, 1 GiB
pending) have no twin: CPython deadlocks, blocks for ever or buffers without limit there."""

import contextlib
import io
import queue as pyqueue
import sys
import threading
import time

from support import (ctx, case, check, check_eq, check_about, check_immediate, timed,
                     expect_error, Skip)

TIMEOUT1, TIMEOUT2, TIMEOUT3 = 0.82, 0.35, 1.4        # _test_multiprocessing's, CHECK_TIMINGS on


def joined(p, code=0):
    p.join(10)
    check_eq(p.exitcode, code, f'exitcode of {p.name}')


def expect_raise(exc_type, fn, *args, **kwargs):
    """fn(*args) raises exc_type; returns the seconds it took."""
    t0 = time.monotonic()
    try:
        fn(*args, **kwargs)
    except exc_type:
        return time.monotonic() - t0
    raise AssertionError(f'{fn.__name__}{args} did not raise {exc_type.__name__}')


# ---- children ----------------------------------------------------------------------------------
def _put_range(q, first, n, delay=0.0):
    time.sleep(delay)
    for i in range(first, first + n):
        q.put(i)


def _get_later(q, delay):
    time.sleep(delay)
    q.get(timeout=10)


def _put_pairs(q, k, n):
    for i in range(n):
        q.put((k, i))


def _worker(q, done):
    while True:
        v = q.get(timeout=10)
        if v is not None:
            time.sleep(0.02)
            with done.get_lock():
                done.value += 1
        q.task_done()
        if v is None:
            return


def _put_empty_twice(sq):
    sq.put(sq.empty())
    sq.put(sq.empty())


def _sput_later(sq, delay):
    time.sleep(delay)
    sq.put('late')


def _drain(q):
    while True:
        try:
            q.get(timeout=0.2)
        except pyqueue.Empty:
            return


# ---- Queue -------------------------------------------------------------------------------------
@case('Q-02', 'full queue: put(7,False), put(7,False,None), put_nowait(7), put(7,False,0.35) Full '
      'at once; put(7,True,0.82) and put(7,True,timeout=1.4) Full after ~timeout')
def q_02(fx):
    q = ctx.Queue(6)
    for i in range(6):
        q.put(i)
    check_eq(q.full(), True, 'full()')
    for args in [(7, False), (7, False, None), (7, False, TIMEOUT2)]:
        check_immediate(expect_raise(pyqueue.Full, q.put, *args), f'put{args}')
    check_immediate(expect_raise(pyqueue.Full, q.put_nowait, 7), 'put_nowait(7)')
    check_about(expect_raise(pyqueue.Full, q.put, 7, True, TIMEOUT1), TIMEOUT1, 'put(7,True,0.82)')
    check_about(expect_raise(pyqueue.Full, q.put, 7, True, timeout=TIMEOUT3), TIMEOUT3,
                'put(7,True,timeout=1.4)')
    _drain(q)


@case('Q-03', "a full queue's blocking put returns once another process takes an item (~0.5 s)")
def q_03(fx):
    q = ctx.Queue(1)
    q.put(1)
    p = fx.start(ctx.Process(target=_get_later, args=(q, 0.5)))
    _, took = timed(q.put, 2)
    check_about(took, 0.5, 'blocked put')
    joined(p)
    check_eq(q.get(timeout=5), 2, 'the item put')


@case('Q-04', "get(True,None), get(True), get(timeout=1), get_nowait() return a child's 2,3,4,5")
def q_04(fx):
    q = ctx.Queue()
    p = fx.start(ctx.Process(target=_put_range, args=(q, 2, 4, 0.1)))
    check_eq(q.get(True, None), 2, 'get(True, None)')
    check_eq(q.get(True), 3, 'get(True)')
    check_eq(q.get(timeout=1), 4, 'get(timeout=1)')
    joined(p)
    check_eq(q.get_nowait(), 5, 'get_nowait()')


@case('Q-05', 'empty queue: get(False), get(False,None), get_nowait(), get(False,0.35) Empty at '
      'once; get(True,0.82) and get(timeout=1.4) Empty after ~timeout')
def q_05(fx):
    q = ctx.Queue()
    for args in [(False,), (False, None), (False, TIMEOUT2)]:
        check_immediate(expect_raise(pyqueue.Empty, q.get, *args), f'get{args}')
    check_immediate(expect_raise(pyqueue.Empty, q.get_nowait), 'get_nowait()')
    check_about(expect_raise(pyqueue.Empty, q.get, True, TIMEOUT1), TIMEOUT1, 'get(True,0.82)')
    check_about(expect_raise(pyqueue.Empty, q.get, timeout=TIMEOUT3), TIMEOUT3,
                'get(timeout=1.4)')


@case('Q-07', 'empty queue: get(True,-1) and get(timeout=0) Empty at once')
def q_07(fx):
    q = ctx.Queue()
    check_immediate(expect_raise(pyqueue.Empty, q.get, True, -1), 'get(True, -1)')
    check_immediate(expect_raise(pyqueue.Empty, q.get, timeout=0), 'get(timeout=0)')


@case('Q-08', 'a blocking get() returns the item a child puts 0.5 s later (~0.5 s)')
def q_08(fx):
    q = ctx.Queue()
    p = fx.start(ctx.Process(target=_put_range, args=(q, 42, 1, 0.5)))
    got, took = timed(q.get)
    check_eq(got, 42, 'get()')
    check_about(took, 0.5, 'get()')
    joined(p)


@case('Q-09', "a single producer's order is FIFO: put 0..4, get 0..4")
def q_09(fx):
    q = ctx.Queue()
    for i in range(5):
        q.put(i)
    check_eq([q.get(timeout=5) for _ in range(5)], list(range(5)), 'gets')


@case('Q-10', 'the parent puts 0..9, forks a child that puts 10..19: the parent gets 0..19 in '
      'order, then get(False) is Empty')
def q_10(fx):
    q = ctx.Queue()
    for i in range(10):
        q.put(i)
    p = fx.start(ctx.Process(target=_put_range, args=(q, 10, 10), daemon=True))
    check_eq([q.get(timeout=5) for _ in range(20)], list(range(20)), 'gets')
    expect_raise(pyqueue.Empty, q.get, False)
    joined(p)


@case('Q-12', 'Queue(0) and Queue(-5) are unbounded: 1000 put_nowait never Full')
def q_12(fx):
    for maxsize in (0, -5):
        q = ctx.Queue(maxsize)
        for i in range(1000):
            q.put_nowait(i)
        check_eq(q.full(), False, f'Queue({maxsize}).full()')
        check_eq([q.get(timeout=5) for _ in range(1000)], list(range(1000)), 'gets')


@case('Q-13', "CPython's side (libmp differs: its put() fails and takes no slot): put(unpicklable) "
      'returns, the feeder thread prints the error and drops it; put(True) then works, qsize 1 '
      'with maxsize 1, empty() after the get')
def q_13(fx):
    q = ctx.Queue(maxsize=1)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        check_eq(q.put(lambda: None), None, 'put(lambda)')      # no error here
        q.put(True, timeout=5)                                   # the slot came back
        check_eq(q.qsize(), 1, 'qsize() after the two puts')
        check_eq(q.get(timeout=5), True, 'get()')
    check('pickle' in err.getvalue().lower(), f'the feeder reported {err.getvalue()!r}')
    time.sleep(0.1)
    check_eq(q.empty(), True, 'empty() after the get')


@case('Q-14', "after close(): put and get raise ValueError '... is closed'; close() again works")
def q_14(fx):
    q = ctx.Queue()
    q.close()
    expect_error(ValueError, 'is closed', q.put, 1)
    expect_error(ValueError, 'is closed', q.get)
    q.close()


@case('Q-15', 'join_thread() before close() raises AssertionError; after close() it returns')
def q_15(fx):
    q = ctx.Queue()
    q.put(1)
    expect_error(AssertionError, '', q.join_thread)
    q.get(timeout=5)
    q.close()
    q.join_thread()


@case('Q-17', "(informative; libmp's empty() is false at once) empty() right after put() may "
      'still be true in CPython; it is false within 0.1 s')
def q_17(fx):
    q = ctx.Queue()
    q.put(1)
    q.empty()                      # may be True: the feeder thread may not have written yet
    time.sleep(0.1)
    check_eq(q.empty(), False, 'empty() 0.1 s after put()')
    q.get(timeout=5)


@case('Q-18', "several producers each putting 0..199: every producer's items arrive in order")
def q_18(fx):
    q = ctx.Queue()
    ps = [fx.start(ctx.Process(target=_put_pairs, args=(q, k, 200))) for k in range(4)]
    nxt = [0] * 4
    for _ in range(800):
        k, i = q.get(timeout=10)
        check_eq(i, nxt[k], f'next item of producer {k}')
        nxt[k] += 1
    for p in ps:
        joined(p)


@case('Q-19', "sending a Queue or a Lock through a Pipe raises RuntimeError '... through "
      "inheritance'")
def q_19(fx):
    r, w = fx.pipe()
    expect_error(RuntimeError, 'through inheritance', w.send, ctx.Queue())
    expect_error(RuntimeError, 'through inheritance', w.send, ctx.Lock())


# ---- JoinableQueue -----------------------------------------------------------------------------
@case('JQ-01', '4 workers get + task_done: join() returns only after all 10 task_done calls; '
      'then stop markers, and the workers end')
def jq_01(fx):
    q = ctx.JoinableQueue()
    done = ctx.Value('i', 0)
    ws = [fx.start(ctx.Process(target=_worker, args=(q, done))) for _ in range(4)]
    for i in range(10):
        q.put(i)
    q.join()
    check_eq(done.value, 10, 'task_done calls when join() returned')
    for _ in ws:
        q.put(None)
    for w in ws:
        joined(w)


@case('JQ-03', 'join() with nothing put returns at once; after put + get without task_done, '
      'join() is still blocked 0.3 s later; task_done() releases it')
def jq_03(fx):
    q = ctx.JoinableQueue()
    _, took = timed(q.join)
    check_immediate(took, 'join() of an empty JoinableQueue')
    q.put(1)
    q.get(timeout=5)
    t = threading.Thread(target=q.join, daemon=True)
    t.start()
    t.join(0.3)
    check(t.is_alive(), 'join() returned before task_done()')
    q.task_done()
    t.join(5)
    check(not t.is_alive(), 'join() still blocked after task_done()')
    expect_error(ValueError, 'task_done() called too many times', q.task_done)


# ---- SimpleQueue -------------------------------------------------------------------------------
@case('SQ-01', 'empty() true at first; a child puts empty() twice: the parent sees empty() false, '
      'get() True, get() False, then empty() true')
def sq_01(fx):
    sq = ctx.SimpleQueue()
    check_eq(sq.empty(), True, 'empty() at first')
    p = fx.start(ctx.Process(target=_put_empty_twice, args=(sq,)))
    joined(p)
    check_eq(sq.empty(), False, 'empty() after the child')
    check_eq(sq.get(), True, 'first get()')
    check_eq(sq.get(), False, 'second get()')
    check_eq(sq.empty(), True, 'empty() at the end')


@case('SQ-02', 'get() blocks until a child puts 0.4 s later')
def sq_02(fx):
    sq = ctx.SimpleQueue()
    p = fx.start(ctx.Process(target=_sput_later, args=(sq, 0.4)))
    got, took = timed(sq.get)
    check_eq(got, 'late', 'get()')
    check_about(took, 0.4, 'get()')
    joined(p)


@case('SQ-03', "close() twice works; get, put and empty then raise OSError 'handle is closed'")
def sq_03(fx):
    if sys.version_info < (3, 9):
        raise Skip('SimpleQueue.close() was added in CPython 3.9')
    sq = ctx.SimpleQueue()
    sq.close()
    sq.close()
    expect_error(OSError, 'handle is closed', sq.get)
    expect_error(OSError, 'handle is closed', sq.put, 1)
    expect_error(OSError, 'handle is closed', sq.empty)
