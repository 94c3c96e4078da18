"""Catalogue 17.4-17.9 (conformance/catalogue.md: Lock, RLock, Semaphore/BoundedSemaphore,
Condition, Event, Barrier), checked against CPython (fork context). The C suites of the same names check libmp against the same ids;
the libmp-only cases (dead holders, stress) have no twin here, because CPython waits for ever
when a holder or a party dies."""

import os
import threading
import time

from support import (ctx, case, check, check_eq, check_about, check_immediate, timed,
                     expect_error, recv)

TIMEOUT1, TIMEOUT2, TIMEOUT3 = 0.82, 0.35, 1.4        # _test_multiprocessing's, CHECK_TIMINGS on


def joined(p, code=0):
    p.join(10)
    check_eq(p.exitcode, code, f'exitcode of {p.name}')


# ---- children ----------------------------------------------------------------------------------
def _release(lock, conn):
    lock.release()
    conn.send('released')


def _hold(lock, conn, seconds):
    with lock:
        conn.send('holding')
        time.sleep(seconds)


def _held_at_fork(lock, conn):
    conn.send(lock.acquire(False))
    lock.release()
    conn.send('released')


def _rlock_child(lock, conn):
    out = []
    try:
        lock.release()
        out.append('released')
    except AssertionError as e:
        out.append(str(e))
    out.append(lock.acquire(False))
    t0 = time.monotonic()
    out.append(lock.acquire(timeout=0.2))
    out.append(time.monotonic() - t0)
    conn.send(out)


def _release_later(sem, delay):
    time.sleep(delay)
    sem.release()


def _notify_one(cond):
    with cond:
        cond.notify()


def _sleeper(cond, sleeping, woken, timeout):
    with cond:
        sleeping.release()
        if cond.wait(timeout):
            woken.release()


def _count_to_four(cond, value):
    for _ in range(4):
        time.sleep(0.02)
        with cond:
            value.value += 1
            cond.notify()


def _take_and_notify(cond, conn):
    got = cond.acquire(timeout=5)
    cond.notify()
    cond.release()
    conn.send(got)


def _set_later(event, delay):
    time.sleep(delay)
    event.set()


def _lockstep(barrier, a, c, passes, n, conn):
    ok = True
    for i in range(passes):
        with a.get_lock():
            a.value += 1
        ok = ok and c.value == i * n
        barrier.wait()
        with c.get_lock():
            c.value += 1
        ok = ok and a.value == (i + 1) * n
        barrier.wait()
    conn.send(ok)


def _send_index(barrier, conn, timeout=10):
    try:
        conn.send(barrier.wait(timeout))
    except threading.BrokenBarrierError:
        conn.send('broken')


def _action_barrier_party(barrier, conn):
    conn.send((barrier.wait(10), os.getpid()))


def _broken_then_pass(barrier, conn):
    try:
        barrier.wait(10)
        conn.send('passed')
    except threading.BrokenBarrierError:
        conn.send('broken')
    conn.send(barrier.wait(10) is not None)


def _abort_and_reset(b1, b2, conn, n):
    out = []
    if b2.wait(10) == n - 1:
        b1.abort()
    try:
        b1.wait(10)
        out.append('passed')
    except threading.BrokenBarrierError:
        out.append('broken')
    if b2.wait(10) == n - 1:
        b1.reset()
    b2.wait(10)
    out.append(b1.wait(10) is not None)
    conn.send(out)


def _default_timeout(barrier, conn, n):
    i = barrier.wait(20)
    if i == n // 2:
        time.sleep(1.0)
    try:
        barrier.wait()
        conn.send('passed')
    except threading.BrokenBarrierError:
        conn.send('broken')


def _thousand(barrier, lock, conn, passes):
    for i in range(passes):
        barrier.wait(20)
        with lock:
            conn.send(i)


# ---- 17.4 Lock -----------------------------------------------------------------------------------
@case('LOCK-01', 'acquire() true; acquire(False) while held false at once; release(); a second '
      "release() ValueError 'semaphore or lock released too many times'")
def lock_01(fx):
    lock = ctx.Lock()
    check_eq(lock.acquire(), True, 'acquire()')
    got, took = timed(lock.acquire, False)
    check_eq(got, False, 'acquire(False) while held')
    check_immediate(took, 'acquire(False)')
    check_eq(lock.release(), None, 'release()')
    expect_error(ValueError, 'semaphore or lock released too many times', lock.release)


@case('LOCK-03', 'held: acquire(True, -1) false at once (a negative timeout counts as 0)')
def lock_03(fx):
    lock = ctx.Lock()
    lock.acquire()
    got, took = timed(lock.acquire, True, -1)
    check_eq(got, False, 'acquire(True, -1)')
    check_immediate(took, 'acquire(True, -1)')


@case('LOCK-04', 'held: acquire(False, 5) false at once (the timeout is ignored)')
def lock_04(fx):
    lock = ctx.Lock()
    lock.acquire()
    got, took = timed(lock.acquire, False, 5)
    check_eq(got, False, 'acquire(False, 5)')
    check_immediate(took, 'acquire(False, 5)')


@case('LOCK-05', "not recursive: the owner's second acquire(timeout=0.3) is false after ~0.3 s")
def lock_05(fx):
    lock = ctx.Lock()
    lock.acquire()
    got, took = timed(lock.acquire, timeout=0.3)
    check_eq(got, False, 'second acquire(timeout=0.3)')
    check_about(took, 0.3, 'second acquire(timeout=0.3)')


@case('LOCK-06', 'released by another process: ok, and the lock is then free')
def lock_06(fx):
    lock = ctx.Lock()
    lock.acquire()
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_release, args=(lock, w)))
    check_eq(recv(r), 'released', 'child')
    joined(p)
    check_eq(lock.acquire(False), True, 'acquire(False) after the child released')


@case('LOCK-08', "a child holds the lock 0.5 s: the parent's blocking acquire() is true after "
      '~0.5 s')
def lock_08(fx):
    lock = ctx.Lock()
    r, w = fx.pipe()
    t0 = time.monotonic()
    p = fx.start(ctx.Process(target=_hold, args=(lock, w, 0.5)))
    check_eq(recv(r), 'holding', 'child')
    check_eq(lock.acquire(), True, 'acquire()')
    check_about(time.monotonic() - t0, 0.5, 'acquire() behind the child')
    joined(p)


@case('LOCK-09', '`with lock:` holds it inside (acquire(False) false) and frees it after')
def lock_09(fx):
    lock = ctx.Lock()
    with lock:
        check_eq(lock.acquire(False), False, 'acquire(False) inside with')
    check_eq(lock.acquire(False), True, 'acquire(False) after with')


@case('LOCK-10', 'held by the parent at fork: held in the child too; the child releases it and '
      'the parent sees it free')
def lock_10(fx):
    lock = ctx.Lock()
    lock.acquire()
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_held_at_fork, args=(lock, w)))
    check_eq(recv(r), False, "the child's acquire(False)")
    check_eq(recv(r), 'released', 'child')
    joined(p)
    check_eq(lock.acquire(False), True, 'acquire(False) in the parent')


@case('LOCK-11', 'blocking acquire(timeout=0) on a free lock: true at once')
def lock_11(fx):
    got, took = timed(ctx.Lock().acquire, timeout=0)
    check_eq(got, True, 'acquire(timeout=0)')
    check_immediate(took, 'acquire(timeout=0)')


# ---- 17.5 RLock ----------------------------------------------------------------------------------
@case('RLOCK-02', "held by thread A: thread B's release() AssertionError 'attempt to release "
      "recursive lock not owned by thread'")
def rlock_02(fx):
    lock = ctx.RLock()
    lock.acquire()
    errors = []

    def other():
        try:
            lock.release()
        except AssertionError as e:
            errors.append(str(e))
    t = threading.Thread(target=other)
    t.start()
    t.join()
    check_eq(errors, ['attempt to release recursive lock not owned by thread'], 'thread B')
    lock.release()


@case('RLOCK-03', "held by the parent: a child's release() AssertionError; its acquire(False) "
      'false and acquire(timeout=0.2) false')
def rlock_03(fx):
    lock = ctx.RLock()
    lock.acquire()
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_rlock_child, args=(lock, w)))
    out = recv(r)
    check_eq(out[0], 'attempt to release recursive lock not owned by thread', "child's release()")
    check_eq(out[1:3], [False, False], "child's acquire(False), acquire(timeout=0.2)")
    check_about(out[3], 0.2, "child's acquire(timeout=0.2)")
    joined(p)


@case('RLOCK-04', 'the owner re-acquires with acquire(False) while holding: true')
def rlock_04(fx):
    lock = ctx.RLock()
    lock.acquire()
    got, took = timed(lock.acquire, False)
    check_eq(got, True, 'acquire(False) by the owner')
    check_immediate(took, 'acquire(False) by the owner')


@case('RLOCK-05', 'release() of a never-acquired RLock: AssertionError')
def rlock_05(fx):
    expect_error(AssertionError, 'not owned', ctx.RLock().release)


# ---- 17.6 Semaphore / BoundedSemaphore -------------------------------------------------------
@case('SEM-02', 'Semaphore(0): acquire(False), (False, None), (False, 0.82) false at once; '
      '(True, 0.35) and (timeout=1.4) false after ~timeout')
def sem_02(fx):
    sem = ctx.Semaphore(0)
    for args in ((False,), (False, None), (False, TIMEOUT1)):
        got, took = timed(sem.acquire, *args)
        check_eq(got, False, f'acquire{args}')
        check_immediate(took, f'acquire{args}')
    got, took = timed(sem.acquire, True, TIMEOUT2)
    check_eq(got, False, 'acquire(True, 0.35)')
    check_about(took, TIMEOUT2, 'acquire(True, 0.35)')
    got, took = timed(sem.acquire, timeout=TIMEOUT3)
    check_eq(got, False, 'acquire(timeout=1.4)')
    check_about(took, TIMEOUT3, 'acquire(timeout=1.4)')


@case('SEM-03', 'the default Semaphore() has value 1')
def sem_03(fx):
    check_eq(ctx.Semaphore().get_value(), 1, 'get_value()')


@case('SEM-04', 'Semaphore(-1): OSError EINVAL')
def sem_04(fx):
    try:
        ctx.Semaphore(-1)
    except OSError as e:
        check_eq(e.errno, 22, 'errno')
        return
    check(False, 'Semaphore(-1) was accepted')


@case('SEM-05', 'release() at SEM_VALUE_MAX: ValueError')
def sem_05(fx):
    sem = ctx.Semaphore(2**31 - 1)
    expect_error(ValueError, 'semaphore or lock released too many times', sem.release)
    check_eq(sem.get_value(), 2**31 - 1, 'get_value()')


@case('SEM-07', "a child's release() wakes the parent blocked in acquire()")
def sem_07(fx):
    sem = ctx.Semaphore(0)
    t0 = time.monotonic()
    p = fx.start(ctx.Process(target=_release_later, args=(sem, 0.3)))
    check_eq(sem.acquire(timeout=10), True, 'acquire()')
    check_about(time.monotonic() - t0, 0.3, 'acquire() until the release')
    joined(p)


@case('BSEM-01', "BoundedSemaphore(2): acquire/release down to 0 and back; release() at 2 "
      "ValueError 'semaphore or lock released too many times'; the value stays 2")
def bsem_01(fx):
    sem = ctx.BoundedSemaphore(2)
    values = []
    for op in (sem.acquire, sem.acquire, sem.release, sem.release):
        op()
        values.append(sem.get_value())
    check_eq(values, [1, 0, 1, 2], 'values')
    check_eq(sem.acquire(False) and sem.acquire(False) and sem.acquire(False), False,
             'a third acquire(False) at 0')
    sem.release()
    sem.release()
    expect_error(ValueError, 'semaphore or lock released too many times', sem.release)
    check_eq(sem.get_value(), 2, 'get_value() after the refused release')


@case('BSEM-02', 'BoundedSemaphore(): value 1, maxvalue 1; BoundedSemaphore(0).release() '
      'ValueError')
def bsem_02(fx):
    sem = ctx.BoundedSemaphore()
    check_eq(sem.get_value(), 1, 'get_value()')
    expect_error(ValueError, 'released too many times', sem.release)
    expect_error(ValueError, 'released too many times', ctx.BoundedSemaphore(0).release)


# ---- 17.7 Condition ------------------------------------------------------------------------------
@case('COND-01', "wait(0.1) without the lock: AssertionError 'must acquire() condition before "
      "using wait()', nothing blocks")
def cond_01(fx):
    cond = ctx.Condition()
    t0 = time.monotonic()
    expect_error(AssertionError, 'must acquire() condition before using wait()', cond.wait, 0.1)
    check_immediate(time.monotonic() - t0, 'wait(0.1) without the lock')


@case('COND-03', 'holding the lock: wait(0) false at once; wait(0.1) false after ~0.1 s; the '
      'lock is held on return')
def cond_03(fx):
    cond = ctx.Condition()
    with cond:
        got, took = timed(cond.wait, 0)
        check_eq(got, False, 'wait(0)')
        check_immediate(took, 'wait(0)')
        got, took = timed(cond.wait, 0.1)
        check_eq(got, False, 'wait(0.1)')
        check_about(took, 0.1, 'wait(0.1)')
        check(cond._lock._semlock._is_mine(), 'the lock is not held after wait()')


@case('COND-04', "holding the lock: a child does `with c: c.notify()`; the parent's wait(60) is "
      'true promptly')
def cond_04(fx):
    cond = ctx.Condition()
    with cond:
        p = fx.start(ctx.Process(target=_notify_one, args=(cond,)))
        got, took = timed(cond.wait, 60)
        check_eq(got, True, 'wait(60)')
        check(took < 5, f'wait(60) took {took:.3f} s')
    joined(p)


def _wait_count(sem, n, timeout=5.0):
    end = time.monotonic() + timeout
    while sem.get_value() < n and time.monotonic() < end:
        time.sleep(0.005)
    return sem.get_value()


@case('COND-05', 'one process and one thread wait; notify() wakes exactly one (woken 1); a '
      'second notify() the other (woken 2)')
def cond_05(fx):
    cond, sleeping, woken = ctx.Condition(), ctx.Semaphore(0), ctx.Semaphore(0)
    p = fx.start(ctx.Process(target=_sleeper, args=(cond, sleeping, woken, None)))
    t = threading.Thread(target=_sleeper, args=(cond, sleeping, woken, None))
    t.start()
    check_eq(_wait_count(sleeping, 2), 2, 'sleepers')
    time.sleep(0.05)
    with cond:
        cond.notify()
    check_eq(_wait_count(woken, 1), 1, 'woken after one notify')
    time.sleep(0.2)
    check_eq(woken.get_value(), 1, 'woken a moment later')
    with cond:
        cond.notify()
    check_eq(_wait_count(woken, 2), 2, 'woken after two notifies')
    t.join(5)
    joined(p)


@case('COND-06', 'six waiters time out (no stale counts); six new waiters; notify_all() wakes '
      'all six')
def cond_06(fx):
    cond, sleeping, woken = ctx.Condition(), ctx.Semaphore(0), ctx.Semaphore(0)
    ps = [fx.start(ctx.Process(target=_sleeper, args=(cond, sleeping, woken, 0.2)))
          for _ in range(6)]
    for p in ps:
        joined(p)
    check_eq(woken.get_value(), 0, 'woken after the timeouts')
    ps = [fx.start(ctx.Process(target=_sleeper, args=(cond, sleeping, woken, None)))
          for _ in range(6)]
    check_eq(_wait_count(sleeping, 12), 12, 'sleepers')
    time.sleep(0.05)
    with cond:
        cond.notify_all()
    check_eq(_wait_count(woken, 6), 6, 'woken by notify_all()')
    for p in ps:
        joined(p)


@case('COND-08', 'wait_for(pred) across processes is true once a shared counter reaches 4')
def cond_08(fx):
    cond, value = ctx.Condition(), ctx.Value('i', 0)
    with cond:
        p = fx.start(ctx.Process(target=_count_to_four, args=(cond, value)))
        check_eq(cond.wait_for(lambda: value.value == 4), True, 'wait_for(value == 4)')
        check_eq(value.value, 4, 'value')
    joined(p)


@case('COND-09', 'wait_for(pred, timeout=0.1) with pred never true: false after ~0.1 s')
def cond_09(fx):
    cond = ctx.Condition()
    with cond:
        got, took = timed(cond.wait_for, lambda: False, timeout=0.1)
    check_eq(got, False, 'wait_for(False, 0.1)')
    check_about(took, 0.1, 'wait_for(False, 0.1)')


@case('COND-10', 'wait_for(lambda: 7) is 7 at once (the predicate is checked first)')
def cond_10(fx):
    cond = ctx.Condition()
    with cond:
        got, took = timed(cond.wait_for, lambda: 7)
    check_eq(got, 7, 'wait_for(lambda: 7)')
    check_immediate(took, 'wait_for(lambda: 7)')


@case('COND-11', 'default RLock held twice; wait() lets another process take it and notify; '
      'the recursion count is 2 again after wait')
def cond_11(fx):
    cond = ctx.Condition()
    r, w = fx.pipe()
    with cond:
        with cond:
            p = fx.start(ctx.Process(target=_take_and_notify, args=(cond, w)))
            check_eq(cond.wait(10), True, 'wait(10)')
            check_eq(cond._lock._semlock._count(), 2, 'recursion count after wait')
    check_eq(recv(r), True, "the child's acquire while the parent waited")
    joined(p)


@case('COND-13', 'notify() with no waiters: no-op, no error')
def cond_13(fx):
    cond = ctx.Condition()
    with cond:
        check_eq(cond.notify(), None, 'notify()')
        check_eq(cond.notify_all(), None, 'notify_all()')


# ---- 17.8 Event ----------------------------------------------------------------------------------
@case('EVT-01', 'a new event: is_set() false; wait(0) false at once; wait(0.82) false after '
      '~0.82 s')
def evt_01(fx):
    e = ctx.Event()
    check_eq(e.is_set(), False, 'is_set()')
    got, took = timed(e.wait, 0)
    check_eq(got, False, 'wait(0)')
    check_immediate(took, 'wait(0)')
    got, took = timed(e.wait, TIMEOUT1)
    check_eq(got, False, 'wait(0.82)')
    check_about(took, TIMEOUT1, 'wait(0.82)')


@case('EVT-02', 'after set(): is_set() true; wait() and wait(0.82) true at once')
def evt_02(fx):
    e = ctx.Event()
    e.set()
    check_eq(e.is_set(), True, 'is_set()')
    for args in ((), (TIMEOUT1,)):
        got, took = timed(e.wait, *args)
        check_eq(got, True, f'wait{args}')
        check_immediate(took, f'wait{args}')


@case('EVT-03', "after clear(), a child sets it 0.35 s later: the parent's wait() is true after "
      '~0.35 s')
def evt_03(fx):
    e = ctx.Event()
    e.set()
    e.clear()
    t0 = time.monotonic()
    p = fx.start(ctx.Process(target=_set_later, args=(e, TIMEOUT2)))
    check_eq(e.wait(), True, 'wait()')
    check_about(time.monotonic() - t0, TIMEOUT2, 'wait() until the set')
    joined(p)


@case('EVT-05', 'set() twice and clear() twice are no-ops')
def evt_05(fx):
    e = ctx.Event()
    e.set()
    e.set()
    check_eq(e.is_set(), True, 'is_set() after two sets')
    e.clear()
    e.clear()
    check_eq(e.is_set(), False, 'is_set() after two clears')


# ---- 17.9 Barrier --------------------------------------------------------------------------------
N = 5


@case('BAR-01', '5 parties (4 processes + parent), 1 and 10 lock-step passes: nobody gets ahead; '
      'then n_waiting 0 and not broken')
def bar_01(fx):
    for passes in (1, 10):
        b = ctx.Barrier(N)
        a, c = ctx.Value('i', 0), ctx.Value('i', 0)
        r, w = fx.pipe()
        ps = [fx.start(ctx.Process(target=_lockstep, args=(b, a, c, passes, N, w)))
              for _ in range(N - 1)]
        _lockstep(b, a, c, passes, N, w)
        check_eq([recv(r) for _ in range(N)], [True] * N, f'lock-step with {passes} passes')
        for p in ps:
            joined(p)
        check_eq(b.n_waiting, 0, 'n_waiting')
        check_eq(b.broken, False, 'broken')


@case('BAR-02', 'the indices of N parties are a permutation of 0..N-1')
def bar_02(fx):
    b = ctx.Barrier(N)
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_send_index, args=(b, w))) for _ in range(N - 1)]
    _send_index(b, w)
    check_eq(sorted(recv(r) for _ in range(N)), list(range(N)), 'indices')
    for p in ps:
        joined(p)


def _wait_n_waiting(b, n, timeout=5.0):
    end = time.monotonic() + timeout
    while b.n_waiting < n and time.monotonic() < end:
        time.sleep(0.002)
    check_eq(b.n_waiting, n, 'n_waiting')


@case('BAR-03', 'the action runs once per pass, in the last party to arrive (index N-1; '
      'indices follow arrival), before any party returns')
def bar_03(fx):
    runs = ctx.Value('i', 0)
    where = ctx.Value('i', 0)

    def action():
        time.sleep(0.05)
        runs.value += 1
        where.value = os.getpid()
    b = ctx.Barrier(3, action=action)
    r, w = fx.pipe()
    first = fx.start(ctx.Process(target=_action_barrier_party, args=(b, w)))
    _wait_n_waiting(b, 1)
    second = fx.start(ctx.Process(target=_action_barrier_party, args=(b, w)))
    _wait_n_waiting(b, 2)
    check_eq(b.wait(10), 2, "the parent's index (last to arrive)")
    got = sorted(recv(r) for _ in range(2))
    check_eq(got, sorted([(0, first.pid), (1, second.pid)]), 'indices of the children')
    check_eq(runs.value, 1, 'action runs')
    check_eq(where.value, os.getpid(), 'the process that ran the action')
    joined(first)
    joined(second)


@case('BAR-05', 'reset() while N-1 parties wait: all of them BrokenBarrierError; then all N '
      'pass normally')
def bar_05(fx):
    b = ctx.Barrier(N)
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_broken_then_pass, args=(b, w))) for _ in range(N - 1)]
    _wait_n_waiting(b, N - 1)
    b.reset()
    check_eq([recv(r) for _ in range(N - 1)], ['broken'] * (N - 1), 'waiters after reset()')
    b.wait(10)
    check_eq([recv(r) for _ in range(N - 1)], [True] * (N - 1), 'the pass after reset()')
    for p in ps:
        joined(p)
    check_eq(b.broken, False, 'broken')


@case('BAR-06', 'abort, meet on a second barrier, reset(): the first barrier works again for '
      'all N')
def bar_06(fx):
    b1, b2 = ctx.Barrier(N), ctx.Barrier(N)
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_abort_and_reset, args=(b1, b2, w, N)))
          for _ in range(N - 1)]
    _abort_and_reset(b1, b2, w, N)
    check_eq([recv(r) for _ in range(N)], [['broken', True]] * N, 'abort, then reset')
    for p in ps:
        joined(p)


@case('BAR-07', 'one party 1 s late, the others wait(0.5): all N, the late one too, '
      'BrokenBarrierError')
def bar_07(fx):
    b = ctx.Barrier(N)
    r, w = fx.pipe()
    t0 = time.monotonic()
    ps = [fx.start(ctx.Process(target=_send_index, args=(b, w, 0.5))) for _ in range(N - 1)]
    check_eq([recv(r) for _ in range(N - 1)], ['broken'] * (N - 1), 'the punctual parties')
    check_about(time.monotonic() - t0, 0.5, 'the punctual parties')
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    got, took = timed(_send_index, b, w)
    check_eq(recv(r), 'broken', 'the late party')
    check_immediate(took, 'the late party')
    for p in ps:
        joined(p)


@case('BAR-08', 'Barrier(N, timeout=0.5): the default timeout applies to wait(); all N '
      'BrokenBarrierError')
def bar_08(fx):
    b = ctx.Barrier(N, timeout=0.5)
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_default_timeout, args=(b, w, N))) for _ in range(N - 1)]
    _default_timeout(b, w, N)
    check_eq([recv(r) for _ in range(N)], ['broken'] * N, 'every party')
    for p in ps:
        joined(p)


@case('BAR-10', "the action raises: the last arriver gets the action's error, the others "
      'BrokenBarrierError, broken true')
def bar_10(fx):
    def action():
        raise KeyError('bar-10')
    b = ctx.Barrier(3, action=action)
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_send_index, args=(b, w))) for _ in range(2)]
    _wait_n_waiting(b, 2)
    expect_error(KeyError, 'bar-10', b.wait, 10)
    check_eq([recv(r) for _ in range(2)], ['broken'] * 2, 'the other parties')
    check_eq(b.broken, True, 'broken')
    for p in ps:
        joined(p)


@case('BAR-11', 'with 2 of 3 parties waiting, n_waiting 2; parties 3')
def bar_11(fx):
    b = ctx.Barrier(3)
    check_eq(b.parties, 3, 'parties')
    r, w = fx.pipe()
    ps = [fx.start(ctx.Process(target=_send_index, args=(b, w))) for _ in range(2)]
    _wait_n_waiting(b, 2)
    time.sleep(0.05)
    check_eq(b.n_waiting, 2, 'n_waiting')
    b.wait(10)
    for p in ps:
        joined(p)


@case('BAR-12', '5 processes x 1000 passes, each sending the pass number under a lock: the '
      'parent reads 0,0,0,0,0,1,... in order')
def bar_12(fx):
    b, lock = ctx.Barrier(N), ctx.Lock()
    r, w = fx.pipe()
    passes = 1000
    ps = [fx.start(ctx.Process(target=_thousand, args=(b, lock, w, passes)))
          for _ in range(N - 1)]
    got = []

    def drain():
        got.extend(r.recv() for _ in range(passes * N))
    t = threading.Thread(target=drain)
    t.start()
    _thousand(b, lock, w, passes)
    t.join(30)
    check_eq(got, [i for i in range(passes) for _ in range(N)], 'pass numbers')
    for p in ps:
        joined(p)


@case('BAR-13', '(deviation) Barrier(0): CPython accepts it, and wait(0.2) is '
      'BrokenBarrierError after ~0.2 s (libmp refuses it with MP_EINVAL)')
def bar_13(fx):
    b = ctx.Barrier(0)
    t0 = time.monotonic()
    expect_error(threading.BrokenBarrierError, '', b.wait, 0.2)
    check_about(time.monotonic() - t0, 0.2, 'Barrier(0).wait(0.2)')
