"""Catalogue 17.1 (conformance/catalogue.md) Process lifecycle, checked against CPython (fork context; PROC-38 uses spawn), and MISC-01 (the contexts)."""

import json
import os
import pickle
import re
import signal
import sys
import threading
import time
import multiprocessing
import multiprocessing.util
from multiprocessing.connection import wait

from support import (ctx, case, check, check_eq, check_about, check_immediate, timed,
                     expect_error, recv, read_until_eof, read_exact, proc_stat, is_gone,
                     live_children, run_program, subreaper_on, Skip)

DEFAULT_NAME = re.compile(r'ForkProcess-(\d+)')     # the fork context's class is ForkProcess


# ---- targets (module level for readability; under fork any callable would do) ----------------
def _noop():
    pass


def _report_identity(conn, *args, **kwargs):
    me = multiprocessing.current_process()
    conn.send((args, kwargs, me.name, me.pid, os.getpid(), bytes(me.authkey)))


def _name_two_children(conn):
    a, b = ctx.Process(target=_noop), ctx.Process(target=_noop)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.send((multiprocessing.current_process().name, a.name, b.name, a.exitcode, b.exitcode))


def _exit_with(*args):
    sys.exit(*args)


def _stderr_to(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)


def _exit_with_stderr(path, *args):
    _stderr_to(path)
    sys.exit(*args)


def _raise_with_stderr(path):
    _stderr_to(path)
    raise ValueError('proc-24 boom')


def _cleanup_witness(out_fd, hold_fd):
    """Writes R when running, then Y from `finally`, F from a multiprocessing finalizer and
    A from atexit, if and when each of them runs."""
    multiprocessing.util.Finalize(None, os.write, args=(out_fd, b'F'), exitpriority=0)
    import atexit
    atexit.register(os.write, out_fd, b'A')
    try:
        os.write(out_fd, b'R')
        os.read(hold_fd, 1)
    finally:
        os.write(out_fd, b'Y')


def _parent_of_sleepers(conn):
    a = ctx.Process(target=time.sleep, args=(30,), name='orphan-nondaemon')
    b = ctx.Process(target=time.sleep, args=(30,), name='orphan-daemon', daemon=True)
    a.start()
    b.start()
    conn.send((a.pid, b.pid))
    time.sleep(30)


def _watch_parent(conn):
    pp = multiprocessing.parent_process()
    conn.send(('start', os.getpid(), pp.pid, pp.is_alive()))
    end = time.monotonic() + 10
    while pp.is_alive() and time.monotonic() < end:
        time.sleep(0.01)
    conn.send(('after', pp.is_alive()))


def _parent_of_watcher(conn):
    ctx.Process(target=_watch_parent, args=(conn,)).start()
    time.sleep(30)


def _misuse_foreign(conn, foreign):
    out = []
    for op in (foreign.start, foreign.is_alive):
        try:
            op()
            out.append(None)
        except AssertionError as e:
            out.append(str(e))
    conn.send(out)


def _tree(conn, ident, depth):
    conn.send(ident)
    if len(ident) < depth:
        for i in range(2):
            c = ctx.Process(target=_tree, args=(conn, ident + [i], depth))
            c.start()
            c.join()


MARK = 'parent'


def _isolation(conn):
    global MARK
    MARK = 'child'
    conn.send((MARK, threading.current_thread() is threading.main_thread(),
               threading.get_native_id(), threading.main_thread().native_id, os.getpid()))


class _Holder:
    def __init__(self, conn):
        self.conn = conn

    def method(self, tag):
        self.conn.send(('bound method', tag))


class _CallableSender:
    def __init__(self, conn):
        self.conn = conn

    def __call__(self, tag):
        self.conn.send(('callable instance', tag))


# ---- cases -------------------------------------------------------------------------------------
@case('PROC-01', 'fresh Process before start(): pid None, exitcode None, not alive, not in '
      'active_children(), daemon False')
def proc_01(fx):
    p = ctx.Process(target=_noop)
    check_eq(p.pid, None, 'pid')
    check_eq(p.exitcode, None, 'exitcode')
    check_eq(p.is_alive(), False, 'is_alive()')
    check(p not in multiprocessing.active_children(), 'an unstarted process is in active_children()')
    check_eq(p.daemon, False, 'daemon')


@case('PROC-02', 'after start(): alive, exitcode None, in active_children(), pid > 0 and not '
      'the parent pid')
def proc_02(fx):
    p, release = fx.held_child()
    check_eq(p.is_alive(), True, 'is_alive()')
    check_eq(p.exitcode, None, 'exitcode')
    check(p in multiprocessing.active_children(), 'started process missing from active_children()')
    check(isinstance(p.pid, int) and p.pid > 0, f'pid {p.pid!r} is not a positive int')
    check(p.pid != os.getpid(), 'the child pid is the parent pid')
    release()
    p.join(5)
    check_eq(p.exitcode, 0, 'exitcode after release')


@case('PROC-03', 'target gets positional args (tuple or list) and kwargs exactly; the child sees '
      'its name, pid and the parent authkey')
def proc_03(fx):
    r, w = fx.pipe()
    kwargs = {'k': 'v', 'n': None, 'f': 2.5}
    a = fx.start(ctx.Process(target=_report_identity, name='proc-03-tuple',
                             args=(w, 1, 'two', [3.0]), kwargs=kwargs))
    got = recv(r)
    check_eq(got[0], (1, 'two', [3.0]), 'positional args from a tuple')
    check_eq(got[1], kwargs, 'kwargs')
    check_eq(got[2], 'proc-03-tuple', 'name seen by the child')
    check_eq(got[3], a.pid, 'current_process().pid in the child')
    check_eq(got[4], a.pid, 'os.getpid() in the child')
    check_eq(got[5], bytes(multiprocessing.current_process().authkey), 'authkey in the child')
    b = fx.start(ctx.Process(target=_report_identity, args=[w, 4, 5]))
    got = recv(r)
    check_eq(got[0], (4, 5), 'positional args from a list')
    check_eq(got[1], {}, 'kwargs when none are given')
    for p in (a, b):
        p.join(5)
        check_eq(p.exitcode, 0, f'exitcode of {p.name}')


@case('PROC-04', 'after join(): exitcode 0, not alive, dropped from active_children()')
def proc_04(fx):
    p = fx.start(ctx.Process(target=_noop))
    p.join()
    check_eq(p.exitcode, 0, 'exitcode')
    check_eq(p.is_alive(), False, 'is_alive()')
    check(p not in multiprocessing.active_children(), 'joined process still in active_children()')


@case('PROC-06', 'nested default names: child <Class>-N names its children <Class>-N:1, '
      '<Class>-N:2 (the counter restarts in each child)')
def proc_06(fx):
    r, w = fx.pipe()
    p = ctx.Process(target=_name_two_children, args=(w,))
    m = DEFAULT_NAME.fullmatch(p.name)
    check(m, f'default name {p.name!r} is not ForkProcess-N')
    n = int(m.group(1))
    fx.start(p)
    own, first, second, code1, code2 = recv(r)
    p.join(5)
    check_eq(own, p.name, 'the name the child sees')
    check_eq(first, f'{p.name}:1', "the child's first child")
    check_eq(second, f'{p.name}:2', "the child's second child")
    check_eq((code1, code2, p.exitcode), (0, 0, 0), 'exit codes')
    # the parent's counter went on by itself; the class name is the prefix
    check_eq(ctx.Process(target=_noop).name, f'ForkProcess-{n + 1}', 'next name in the parent')
    check_eq(multiprocessing.Process(target=_noop).name, f'Process-{n + 2}',
             'a plain multiprocessing.Process')


@case('PROC-07', "an explicit name is kept; an empty name falls back to the default; a "
      "non-string name -> AssertionError")
def proc_07(fx):
    r, w = fx.pipe()
    p = ctx.Process(target=_report_identity, args=(w,), name='clock-worker')
    check_eq(p.name, 'clock-worker', 'explicit name')
    q = ctx.Process(target=_noop, name='')
    check(DEFAULT_NAME.fullmatch(q.name), f"name='' gave {q.name!r}, not the default ForkProcess-N")
    expect_error(AssertionError, 'name must be a string', setattr, p, 'name', 5)
    check_eq(p.name, 'clock-worker', 'name after the refused assignment')
    fx.start(p)
    check_eq(recv(r)[2], 'clock-worker', 'name seen by the child')
    p.join(5)


@case('PROC-08', "start() twice -> AssertionError 'cannot start a process twice'; only one child")
def proc_08(fx):
    before = set(live_children())
    p, release = fx.held_child()
    expect_error(AssertionError, 'cannot start a process twice', p.start)
    check_eq(set(live_children()) - before, {p.pid}, 'new children after two start() calls')
    release()
    p.join(5)
    check_eq(p.exitcode, 0, 'exitcode')


@case('PROC-09', "join() before start() -> AssertionError 'can only join a started process'")
def proc_09(fx):
    p = ctx.Process(target=_noop)
    expect_error(AssertionError, 'can only join a started process', p.join)
    expect_error(AssertionError, 'can only join a started process', p.join, 0.1)


@case('PROC-11', 'join() blocks until the child exits: a 0.5 s child -> join returns after '
      '~0.5 s, exitcode 0')
def proc_11(fx):
    p = ctx.Process(target=time.sleep, args=(0.5,))
    t0 = time.monotonic()
    fx.start(p)
    result = p.join()
    check_about(time.monotonic() - t0, 0.5, 'start() + join()')
    check_eq(result, None, 'join() result')
    check_eq(p.exitcode, 0, 'exitcode')


@case('PROC-12', 'join(0.3) on a child sleeping 5 s returns None after ~0.3 s; exitcode None, '
      'still alive')
def proc_12(fx):
    p = fx.start(ctx.Process(target=time.sleep, args=(5,)))
    result, elapsed = timed(p.join, 0.3)
    check_about(elapsed, 0.3, 'join(0.3)')
    check_eq(result, None, 'join(0.3) result')
    check_eq(p.exitcode, None, 'exitcode after the timeout')
    check_eq(p.is_alive(), True, 'is_alive() after the timeout')
    p.terminate()
    p.join(5)


@case('PROC-13', 'join(0) and join(-1) on a running child return immediately, child still alive')
def proc_13(fx):
    p, release = fx.held_child()
    for timeout in (0, -1, -0.5):
        result, elapsed = timed(p.join, timeout)
        check_immediate(elapsed, f'join({timeout})')
        check_eq(result, None, f'join({timeout}) result')
        check_eq(p.is_alive(), True, f'is_alive() after join({timeout})')
        check_eq(p.exitcode, None, f'exitcode after join({timeout})')
    release()
    p.join(5)


@case('PROC-14', 'join() again on a finished child returns immediately, any number of times')
def proc_14(fx):
    p = fx.start(ctx.Process(target=_noop))
    p.join(5)
    check_eq(p.exitcode, 0, 'exitcode')
    for timeout in (None, None, 0, 1, -1, None):
        result, elapsed = timed(p.join, timeout)
        check_immediate(elapsed, f'repeated join({timeout})')
        check_eq(result, None, f'repeated join({timeout}) result')
        check_eq(p.exitcode, 0, f'exitcode after repeated join({timeout})')


@case('PROC-16', 'kill() -> exitcode -SIGKILL (-9)')
def proc_16(fx):
    p, _ = fx.held_child()
    p.kill()
    p.join(5)
    check_eq(p.exitcode, -signal.SIGKILL, 'exitcode after kill()')


@case('PROC-17', 'terminate() after the child was reaped: no error, exitcode unchanged')
def proc_17(fx):
    p = fx.start(ctx.Process(target=_exit_with, args=(3,)))
    p.join(5)
    check_eq(p.exitcode, 3, 'exitcode')
    for op in (p.terminate, p.terminate, p.kill):
        op()
        check_eq(p.exitcode, 3, f'exitcode after {op.__name__}()')
        p.join()
        check_eq(p.exitcode, 3, f'exitcode after {op.__name__}() and join()')


@case('PROC-18', "terminate(): the child's cleanup (finally, finalizers, atexit) does not run")
def proc_18(fx):
    def run_witness(terminate):
        out_r, out_w = fx.os_pipe()
        hold_r, hold_w = fx.os_pipe()
        p = fx.start(ctx.Process(target=_cleanup_witness, args=(out_w, hold_r)))
        fx.close_fd(out_w)
        check_eq(read_exact(out_r, 1), b'R', 'first byte from the witness')
        if terminate:
            p.terminate()
        else:
            os.write(hold_w, b'x')
        p.join(5)
        data = b'R' + read_until_eof(out_r)
        fx.close_fd(out_r)
        fx.close_fd(hold_r)
        fx.close_fd(hold_w)
        return p.exitcode, data
    # control: the same child, released normally, does run its finally and its finalizer
    code, data = run_witness(terminate=False)
    check_eq(code, 0, 'exitcode of the released control child')
    check(b'Y' in data and b'F' in data, f'control child cleanup output {data!r} lacks Y and F')
    code, data = run_witness(terminate=True)
    check_eq(code, -signal.SIGTERM, 'exitcode of the terminated child')
    check_eq(data, b'R', 'output of the terminated child (Y, F or A = cleanup ran)')


@case('PROC-19', 'terminate() does not kill the grandchildren: daemon and non-daemon ones outlive '
      'it, re-parented')
def proc_19(fx):
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_parent_of_sleepers, args=(w,)))
    grandchildren = recv(r)
    for pid in grandchildren:
        fx.track_pid(pid)
    p.terminate()
    p.join(5)
    check_eq(p.exitcode, -signal.SIGTERM, 'exitcode of the terminated child')
    time.sleep(0.2)
    for pid, kind in zip(grandchildren, ('non-daemon', 'daemon')):
        st = proc_stat(pid)
        check(st is not None and st.state not in 'ZX',
              f'the {kind} grandchild {pid} died with its parent (state {st and st.state})')
        check(st.ppid != p.pid, f'the {kind} grandchild still has the dead child as parent')
        if subreaper_on():
            check_eq(st.ppid, os.getpid(), f'new parent of the {kind} grandchild (subreaper)')


@case('PROC-21', 'sys.exit(n) for n in 0, 3, 8, 255 -> exitcode n; None, no argument, False -> 0; '
      'True -> 1')
def proc_21(fx):
    # sys.exit() and sys.exit(None) give 0 from 3.9 on; 3.8's bootstrap read e.args, not
    # e.code, and exited with 1 for both, which the catalogue does not follow.
    none_code = 0 if sys.version_info >= (3, 9) else 1
    table = [((0,), 0), ((3,), 3), ((8,), 8), ((255,), 255),
             ((None,), none_code), ((), none_code), ((False,), 0), ((True,), 1)]
    procs = [fx.start(ctx.Process(target=_exit_with, args=args)) for args, _ in table]
    for p, (args, want) in zip(procs, table):
        p.join(5)
        check_eq(p.exitcode, want, f'exitcode of sys.exit(*{args!r})')


@case('PROC-22', "sys.exit('msg') or sys.exit([1, 2, 3]) -> exitcode 1 and str(arg) on the "
      "child's stderr")
def proc_22(fx):
    d = fx.tmpdir()
    for i, arg in enumerate(('msg', [1, 2, 3])):
        path = os.path.join(d, f'stderr{i}')
        p = fx.start(ctx.Process(target=_exit_with_stderr, args=(path, arg)))
        p.join(5)
        check_eq(p.exitcode, 1, f'exitcode of sys.exit({arg!r})')
        with open(path) as f:
            err = f.read()
        check(str(arg) + '\n' in err, f'stderr of sys.exit({arg!r}) is {err!r}')


@case('PROC-23', 'exit code masked to 8 bits: sys.exit(256) -> 0, sys.exit(-1) -> 255, '
      'os._exit(7) -> 7')
def proc_23(fx):
    table = [(_exit_with, 256, 0), (_exit_with, -1, 255), (os._exit, 7, 7)]
    procs = [fx.start(ctx.Process(target=fn, args=(arg,))) for fn, arg, _ in table]
    for p, (fn, arg, want) in zip(procs, table):
        p.join(5)
        check_eq(p.exitcode, want, f'exitcode of {fn.__name__}({arg})')


@case('PROC-24', "uncaught exception in the target -> exitcode 1; stderr has 'Process <name>:' "
      "and the traceback")
def proc_24(fx):
    path = os.path.join(fx.tmpdir(), 'stderr')
    p = fx.start(ctx.Process(target=_raise_with_stderr, args=(path,), name='proc-24-raiser'))
    p.join(5)
    check_eq(p.exitcode, 1, 'exitcode')
    with open(path) as f:
        err = f.read()
    head = err.find('Process proc-24-raiser:\n')
    check(head >= 0, f"stderr lacks 'Process proc-24-raiser:': {err!r}")
    tb = err.find('Traceback (most recent call last):', head)
    check(tb > head, f'stderr lacks the traceback after the header: {err!r}')
    check('ValueError: proc-24 boom' in err[tb:], f'stderr lacks the exception line: {err!r}')


@case('PROC-26', "sentinel: ValueError 'process not started' before start; then an int fd not "
      "ready while the child runs, ready after")
def proc_26(fx):
    p = ctx.Process(target=_noop)
    expect_error(ValueError, 'process not started', getattr, p, 'sentinel')
    p, release = fx.held_child()
    s = p.sentinel
    check(isinstance(s, int) and s >= 0, f'sentinel {s!r} is not an fd')
    ready, elapsed = timed(wait, [s], 0.1)
    check_eq(ready, [], 'wait([sentinel], 0.1) while the child runs')
    check_about(elapsed, 0.1, 'wait([sentinel], 0.1)')
    release()
    ready, elapsed = timed(wait, [s], 1)
    check_eq(ready, [s], 'wait([sentinel], 1) after the child ended')
    check(elapsed < 1, f'wait([sentinel], 1) took {elapsed:.3f} s')
    p.join(5)
    check_eq(p.exitcode, 0, 'exitcode')


@case('PROC-27', 'close(): ValueError on a running child; works after join; then members raise '
      "'process object is closed'; a second close() works")
def proc_27(fx):
    p, release = fx.held_child()
    expect_error(ValueError, 'Cannot close a process while it is still running', p.close)
    check_eq(p.is_alive(), True, 'is_alive() after the refused close()')
    release()
    p.join(5)
    check_eq(p.exitcode, 0, 'exitcode')
    p.close()
    for what, op in (('is_alive()', p.is_alive), ('join()', p.join),
                     ('terminate()', p.terminate), ('exitcode', lambda: p.exitcode)):
        e = expect_error(ValueError, 'process object is closed', op)
        check_eq(str(e), 'process object is closed', f'{what} after close()')
    p.close()


@case('PROC-28', 'active_children() is a list; a finished child is dropped after join() or '
      'is_alive()')
def proc_28(fx):
    a, release_a = fx.held_child()
    b, release_b = fx.held_child()
    c, release_c = fx.held_child()
    kids = multiprocessing.active_children()
    check(type(kids) is list, f'active_children() returned {type(kids).__name__}')
    check(a in kids and b in kids and c in kids, 'running children missing from active_children()')
    release_a()
    a.join(5)
    check(a not in multiprocessing.active_children(), 'joined child still in active_children()')
    release_b()
    # finished = a zombie not yet reaped. (Its sentinel turns ready a moment earlier, while the
    # kernel is still closing its files: is_alive() can still say True in that window.)
    end = time.monotonic() + 5
    while proc_stat(b.pid).state != 'Z':
        check(time.monotonic() < end, 'the released child did not end within 5 s')
        time.sleep(0.002)
    check_eq(b.is_alive(), False, 'is_alive() of the finished child')
    kids = multiprocessing.active_children()
    check(b not in kids, 'finished child still in active_children() after is_alive()')
    check(c in kids, 'running child dropped from active_children()')
    release_c()
    c.join(5)


@case('PROC-29', "current_process() in the main process: 'MainProcess', daemon False, alive, pid "
      "== getpid(), exitcode None, 32-byte authkey")
def proc_29(fx):
    me = multiprocessing.current_process()
    check_eq(me.name, 'MainProcess', 'name')
    check_eq(me.daemon, False, 'daemon')
    check_eq(me.is_alive(), True, 'is_alive()')
    check_eq(me.pid, os.getpid(), 'pid')
    check_eq(me.exitcode, None, 'exitcode')
    check(isinstance(me.authkey, bytes) and len(me.authkey) == 32,
          f'authkey {type(me.authkey).__name__} of length {len(me.authkey)}')


@case('PROC-31', "the grandchild's parent_process().is_alive() turns false after its parent "
      "(the child) is terminated")
def proc_31(fx):
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_parent_of_watcher, args=(w,)))
    tag, gpid, ppid, alive = recv(r, what='grandchild')
    fx.track_pid(gpid)
    check_eq((tag, ppid, alive), ('start', p.pid, True), 'parent_process() seen by the grandchild')
    p.terminate()
    p.join(5)
    check_eq(p.exitcode, -signal.SIGTERM, 'exitcode of the terminated child')
    check_eq(recv(r, what='grandchild'), ('after', False),
             'parent_process().is_alive() after the terminate()')


@case('PROC-32', "a parent's Process start()ed in a child -> 'can only start a process object "
      "created by current process'; is_alive() -> 'can only test a child process'")
def proc_32(fx):
    r, w = fx.pipe()
    foreign = ctx.Process(target=_noop)
    p = fx.start(ctx.Process(target=_misuse_foreign, args=(w, foreign)))
    got = recv(r)
    p.join(5)
    check_eq(got, ['can only start a process object created by current process',
                   'can only test a child process'], 'AssertionError messages in the child')
    check_eq(p.exitcode, 0, 'exitcode')


@case('PROC-33', 'recursive tree to depth 2: ids arrive in DFS order')
def proc_33(fx):
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_tree, args=(w, [], 2)))
    got = [recv(r, what='tree') for _ in range(7)]
    p.join(5)
    check_eq(got, [[], [0], [0, 0], [0, 1], [1], [1, 0], [1, 1]], 'ids')
    check_eq(p.exitcode, 0, 'exitcode of the root')
    check(not r.poll(0.05), 'more than 7 ids arrived')


@case('PROC-34', '100 short processes all exit 0; 100 sleeping processes terminated all give '
      '-SIGTERM')
def proc_34(fx):
    short = [fx.start(ctx.Process(target=_noop)) for _ in range(100)]
    for p in short:
        p.join(10)
    codes = sorted({p.exitcode for p in short}, key=repr)
    check_eq(codes, [0], 'distinct exit codes of the short processes')
    sleepers = [fx.start(ctx.Process(target=time.sleep, args=(30,))) for _ in range(100)]
    for p in sleepers:
        p.terminate()
    for p in sleepers:
        p.join(10)
    codes = sorted({p.exitcode for p in sleepers}, key=repr)
    check_eq(codes, [-signal.SIGTERM], 'distinct exit codes of the terminated processes')


@case('PROC-36', "the child's memory is separate; the target runs in the child's main thread, "
      "with another native thread id")
def proc_36(fx):
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_isolation, args=(w,)))
    mark, in_main, native, main_native, pid = recv(r)
    p.join(5)
    check_eq(mark, 'child', 'the global as the child set it')
    check_eq(MARK, 'parent', 'the global in the parent')
    check_eq(in_main, True, 'target runs in the main thread')
    check_eq(native, main_native, "the target thread's native id vs main_thread().native_id")
    check(native != threading.get_native_id(), 'the child thread has the parent native id')
    check_eq(pid, p.pid, "the child's os.getpid()")


@case('PROC-37', 'under fork a closure, lambda, bound method, callable instance and unpicklable '
      'args all work')
def proc_37(fx):
    r, w = fx.pipe()
    secret = 'closure-value'

    def closure():
        w.send(('closure', secret))

    def use_args(fn, lock):
        with lock:
            w.send(('unpicklable args', fn()))

    lam = lambda: w.send(('lambda', 37))              # noqa: E731 (the lambda is the point)
    arg_fn, arg_lock = (lambda: 'from a lambda argument'), threading.Lock()
    for what in (closure, lam, arg_fn, arg_lock):
        try:
            pickle.dumps(what)
        except Exception:
            continue
        check(False, f'{what!r} pickles, so it proves nothing here')
    runs = [(closure, ()), (lam, ()), (_Holder(w).method, ('m',)),
            (_CallableSender(w), ('c',)), (use_args, (arg_fn, arg_lock))]
    want = [('closure', secret), ('lambda', 37), ('bound method', 'm'),
            ('callable instance', 'c'), ('unpicklable args', 'from a lambda argument')]
    for (target, args), expected in zip(runs, want):
        p = fx.start(ctx.Process(target=target, args=args))
        got = recv(r, what=expected[0])
        p.join(5)
        check_eq(got, expected, f'message from the {expected[0]} target')
        check_eq(p.exitcode, 0, f'exitcode with a {expected[0]} target')


SPAWN_PROGRAM = r'''
import json
spawn = multiprocessing.get_context('spawn')

def main():
    secret = 38
    def closure():
        return secret
    results = []
    for label, target in (('lambda', lambda: None), ('closure', closure)):
        p = spawn.Process(target=target)
        try:
            p.start()
        except Exception as e:
            results.append([label, 'raised', str(e), p.pid,
                            p in multiprocessing.active_children()])
        else:
            results.append([label, 'started', '', p.pid, True])
            p.join()
    me = str(os.getpid())
    kids = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            stat = open(f'/proc/{pid}/stat').read()
            cmd = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\0', b' ').decode()
        except OSError:
            continue
        if stat[stat.rindex(')') + 2:].split()[1] == me:
            kids.append(cmd)
    print(json.dumps({'results': results, 'kids': kids}))

if __name__ == '__main__':
    main()
'''


@case('PROC-38', "(spawn) a lambda or closure target -> start() raises in the parent \"Can't "
      "pickle local object\"; no child runs")
def proc_38(fx):
    if 'spawn' not in multiprocessing.get_all_start_methods():
        raise Skip('this Python has no spawn start method')
    # In a program of its own: the spawn context starts CPython's resource_tracker helper first,
    # and that helper belongs to the program's session, which the fixture cleans up.
    res = run_program(fx, SPAWN_PROGRAM)
    check_eq(res.rc, 0, f'program status ({res.err[-300:]!r})')
    data = json.loads(res.out)
    for label, outcome, message, pid, listed in data['results']:
        check_eq(outcome, 'raised', f'start() with a {label} target under spawn')
        # 3.13's pickle words it "Can't get local object" (the same refusal).
        check("Can't pickle local object" in message or "Can't get local object" in message,
              f'{label}: message {message!r}')
        check_eq((pid, listed), (None, False), f'{label}: pid and active_children() membership')
    others = [k for k in data['kids'] if 'resource_tracker' not in k]
    check_eq(others, [], 'children of the program besides the resource tracker')


CONTEXT_PROGRAM = r'''
import json, multiprocessing
out = {'all': multiprocessing.get_all_start_methods(),
       'none': multiprocessing.get_start_method(allow_none=True)}
multiprocessing.set_start_method('spawn')
try:
    multiprocessing.set_start_method('fork')
    out['second'] = 'accepted'
except RuntimeError as e:
    out['second'] = str(e)
multiprocessing.set_start_method('forkserver', force=True)
out['forced'] = multiprocessing.get_start_method()
try:
    multiprocessing.get_context('bogus')
    out['bogus'] = 'accepted'
except ValueError as e:
    out['bogus'] = str(e)
print(json.dumps(out))
'''


@case('MISC-01', "the Linux start methods are fork, spawn and forkserver, fork the default; a "
      "second set_start_method -> RuntimeError; get_context('bogus') -> ValueError")
def misc_01(fx):
    # In a program of its own: the start method is process-wide state.
    res = run_program(fx, CONTEXT_PROGRAM)
    check_eq(res.rc, 0, f'program status ({res.err[-300:]!r})')
    out = json.loads(res.out)
    check_eq(sorted(out['all']), ['fork', 'forkserver', 'spawn'], 'get_all_start_methods()')
    if sys.version_info < (3, 14):        # 3.14 makes forkserver the Linux default
        check_eq(out['all'][0], 'fork', 'the default comes first')
    check_eq(out['none'], None, 'get_start_method(allow_none=True) before any choice')
    check_eq(out['second'], 'context has already been set', 'a second set_start_method()')
    check_eq(out['forced'], 'forkserver', 'set_start_method(force=True)')
    check_eq(out['bogus'], "cannot find context for 'bogus'", "get_context('bogus')")
