"""Catalogue 17.2 (conformance/catalogue.md) Daemon semantics, checked against CPython (fork context).

The exit-processing cases run a small python3 program (support.PRELUDE + a body) that builds the
situation and exits; its children log to a file from their SIGTERM handlers, with monotonic
timestamps, and the runner reads the log after the program has gone."""

import os
import signal
import multiprocessing

from support import (ctx, case, check, check_eq, check_about, recv, read_until_eof,
                     live_children, Program, run_program)

SIGTERM = int(signal.SIGTERM)
NEAR = 0.1 + 0.25     # "within ~0.1 s" with the +250 ms tolerance (catalogue.md, Timings)


def _noop():
    pass


def _report_daemon_defaults(conn):
    me = multiprocessing.current_process()
    conn.send((me.daemon, ctx.Process(target=_noop).daemon,
               ctx.Process(target=_noop, daemon=None).daemon,
               ctx.Process(target=_noop, daemon=False).daemon,
               ctx.Process(target=_noop, daemon=True).daemon))


def _daemon_tries_children(conn, out_fd):
    results = []
    for kwargs in ({}, {'daemon': False}):
        q = ctx.Process(target=os.write, args=(out_fd, b'G'), **kwargs)
        try:
            q.start()
            results.append(('started', q.pid))
        except AssertionError as e:
            results.append(('refused', str(e), q.pid))
    conn.send((results, live_children()))
    conn.send('still running')


def _daemon_makes_pool(conn):
    try:
        pool = ctx.Pool(2)
    except Exception as e:
        conn.send(('refused', type(e).__name__, str(e), live_children()))
    else:
        pool.terminate()
        conn.send(('created',))
    conn.send('still running')


@case('DMN-01', 'main-process default daemon is False; daemon=None copies the creator flag; '
      'daemon=True/False sets it')
def dmn_01(fx):
    check_eq(ctx.Process(target=_noop).daemon, False, 'default daemon in the main process')
    check_eq(ctx.Process(target=_noop, daemon=None).daemon, False, 'daemon=None in the main process')
    check_eq(ctx.Process(target=_noop, daemon=True).daemon, True, 'daemon=True')
    check_eq(ctx.Process(target=_noop, daemon=False).daemon, False, 'daemon=False')
    p = ctx.Process(target=_noop)
    p.daemon = True
    check_eq(p.daemon, True, 'daemon set before start()')
    # a daemonic creator: None copies its True, an explicit False still sets False
    r, w = fx.pipe()
    d = fx.start(ctx.Process(target=_report_daemon_defaults, args=(w,), daemon=True))
    got = recv(r)
    d.join(5)
    check_eq(got[2:], (True, False, True), 'daemon=None/False/True inside a daemonic creator')


@case('DMN-03', 'inside a daemon child current_process().daemon is True and a new Process() '
      'defaults to daemon=True')
def dmn_03(fx):
    r, w = fx.pipe()
    d = fx.start(ctx.Process(target=_report_daemon_defaults, args=(w,), daemon=True))
    got = recv(r)
    d.join(5)
    check_eq(got[:2], (True, True), 'current_process().daemon and Process().daemon in a daemon')
    # control: a non-daemon child sees False for both
    n = fx.start(ctx.Process(target=_report_daemon_defaults, args=(w,)))
    got = recv(r)
    n.join(5)
    check_eq(got[:2], (False, False), 'the same in a non-daemon child')


@case('DMN-04', "a daemon's start() (even daemon=False) -> AssertionError 'daemonic processes "
      "are not allowed to have children'; no grandchild; the daemon keeps running")
def dmn_04(fx):
    r, w = fx.pipe()
    out_r, out_w = fx.os_pipe()
    d = fx.start(ctx.Process(target=_daemon_tries_children, args=(w, out_w), daemon=True))
    fx.close_fd(out_w)
    results, kids = recv(r)
    msg = 'daemonic processes are not allowed to have children'
    check_eq(results, [('refused', msg, None)] * 2, 'start() of Process() and Process(daemon=False)')
    check_eq(kids, [], "the daemon's children")
    check_eq(recv(r), 'still running', 'the daemon after the refusals')
    d.join(5)
    check_eq(d.exitcode, 0, "the daemon's exitcode")
    check_eq(read_until_eof(out_r), b'', 'output of a grandchild target')


@case('DMN-05', 'creating a Pool inside a daemon child fails with the same AssertionError')
def dmn_05(fx):
    r, w = fx.pipe()
    d = fx.start(ctx.Process(target=_daemon_makes_pool, args=(w,), daemon=True))
    got = recv(r)
    check_eq(got, ('refused', 'AssertionError',
                   'daemonic processes are not allowed to have children', []),
             'Pool(2) in a daemon (kind, message, children)')
    check_eq(recv(r), 'still running', 'the daemon after the refusal')
    d.join(5)
    check_eq(d.exitcode, 0, "the daemon's exitcode")


# ---- exit processing: programs -----------------------------------------------------------------
# A daemon that logs SIGTERM (then dies of it) and would otherwise sleep `seconds` and log 'slept'.
SLEEPY_DAEMON = r'''
def sleepy(conn, seconds):
    signal.signal(signal.SIGTERM, term_logged_then_default)
    log('start', me(), now())
    conn.send('ready')
    time.sleep(seconds)
    log('slept', me(), now())

def worker(conn, seconds):
    log('start', me(), now())
    conn.send('ready')
    time.sleep(seconds)
    log('done', me(), now())
'''

DMN06 = SLEEPY_DAEMON + r'''
if __name__ == '__main__':
    r, w = ctx.Pipe(duplex=False)
    start(sleepy, 'daemon', True, w, 10)
    r.recv()
    log('main-end', 'main', now())
'''

DMN08 = SLEEPY_DAEMON + r'''
if __name__ == '__main__':
    r, w = ctx.Pipe(duplex=False)
    start(sleepy, 'daemon', True, w, 10)
    start(worker, 'worker', False, w, 2)
    r.recv(); r.recv()
    log('main-end', 'main', now())
'''

DMN09 = r'''
def stubborn(conn):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log('start', me(), now())
    conn.send('ready')
    time.sleep(3)
    log('done', me(), now())

if __name__ == '__main__':
    r, w = ctx.Pipe(duplex=False)
    start(stubborn, 'daemon', True, w)
    r.recv()
    log('main-end', 'main', now())
'''

DMN10 = SLEEPY_DAEMON + r'''
if __name__ == '__main__':
    r, w = ctx.Pipe(duplex=False)
    start(sleepy, 'daemon', True, w, 10)
    start(worker, 'worker', False, w, 1)
    r.recv(); r.recv()
    log('main-end', 'main', now())
    if sys.argv[2] == 'exit':
        sys.exit(5)
    raise RuntimeError('dmn-10 uncaught')
'''

DMN11 = SLEEPY_DAEMON + r'''
def middle():
    r, w = ctx.Pipe(duplex=False)
    start(sleepy, 'grandchild', True, w, 10)
    r.recv()
    log('run-end', me(), now())

if __name__ == '__main__':
    c = start(middle, 'child', False)
    c.join()
    log('joined', 'child', now())
'''

DMN13 = r'''
SIDE = int(sys.argv[2])

def on_term(signum, frame):
    os.write(SIDE, str(signum).encode())
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)

def daemon(conn):
    signal.signal(signal.SIGTERM, on_term)
    conn.send('ready')
    time.sleep(10)
    os.write(SIDE, b'slept')

if __name__ == '__main__':
    r, w = ctx.Pipe(duplex=False)
    start(daemon, 'daemon', True, w)
    r.recv()
'''


def _check_sleepy_daemon_terminated(res, who, t_end):
    """who logged SIGTERM within ~0.1 s after t_end, never finished its sleep, exitcode -15."""
    term = res.lines('term', who)
    check(term, f'{who} got no SIGTERM: {res.describe()}')
    check_eq(int(term[0][2]), SIGTERM, f'signal received by {who}')
    delay = float(term[0][3]) - t_end
    check(0 <= delay <= NEAR, f'{who} got SIGTERM {delay:.3f} s after the end of its parent run '
          f'(expected within 0.1 s, +250 ms)')
    check(not res.lines('slept', who), f'{who} finished its sleep')
    return float(term[0][3])


@case('DMN-06', 'parent ends normally with a daemon that would sleep 10 s -> the daemon gets '
      'SIGTERM within ~0.1 s of the end of the main body and never finishes its sleep')
def dmn_06(fx):
    res = run_program(fx, DMN06)
    check_eq(res.rc, 0, f'program status ({res.describe()})')
    t_end = res.time('main-end', 'main')
    _check_sleepy_daemon_terminated(res, 'daemon', t_end)
    check_eq(res.lines('exitcode', 'daemon')[0][2], str(-SIGTERM), "the daemon's exitcode")
    check(res.t_exit - t_end < 2, f'the program took {res.t_exit - t_end:.2f} s to exit')


@case('DMN-08', 'exit order with both kinds: the daemon is terminated before the non-daemon '
      'sibling finishes its 2 s')
def dmn_08(fx):
    res = run_program(fx, DMN08)
    check_eq(res.rc, 0, f'program status ({res.describe()})')
    t_end = res.time('main-end', 'main')
    t_term = _check_sleepy_daemon_terminated(res, 'daemon', t_end)
    t_done = res.time('done', 'worker')
    check_about(t_done - res.time('start', 'worker'), 2.0, "the worker's sleep")
    check(t_term < t_done, f'SIGTERM to the daemon came {t_term - t_done:.3f} s after the worker '
          'ended')
    check(res.t_exit >= t_done, 'the program exited before its non-daemon child ended')
    check_eq([e[2] for e in res.lines('exitcode')], [str(-SIGTERM), '0'], 'exitcodes')


@case('DMN-09', "a daemon that ignores SIGTERM and sleeps 3 s makes the parent's exit take ~3 s "
      '(the parent waits for it)', budget=40)
def dmn_09(fx):
    res = run_program(fx, DMN09)
    check_eq(res.rc, 0, f'program status ({res.describe()})')
    t_start = res.time('start', 'daemon')
    t_end = res.time('main-end', 'main')
    check(res.lines('done', 'daemon'), f'the daemon did not finish its sleep: {res.describe()}')
    # the exit is due when the daemon's 3 s are over, measured from the daemon's own start
    check_about(res.t_exit - t_end, 3.0 - (t_end - t_start), 'exit after the end of the main body')
    check_eq(res.lines('exitcode', 'daemon')[0][2], '0', "the daemon's exitcode")


@case('DMN-10', 'the parent ends with sys.exit(5) or an uncaught exception -> daemons still '
      'terminated, non-daemons still joined, status kept (5, 1)')
def dmn_10(fx):
    runs = {how: Program(fx, DMN10, args=(how,)) for how in ('exit', 'raise')}
    for how, want_rc in (('exit', 5), ('raise', 1)):
        res = runs[how].wait()
        check_eq(res.rc, want_rc, f'status after {how} ({res.describe()})')
        t_end = res.time('main-end', 'main')
        t_term = _check_sleepy_daemon_terminated(res, 'daemon', t_end)
        t_done = res.time('done', 'worker')
        check(t_term < t_done, f'{how}: the daemon was terminated after the worker ended')
        check(res.t_exit >= t_done, f'{how}: the program exited before its non-daemon child ended')
        check_eq([e[2] for e in res.lines('exitcode')], [str(-SIGTERM), '0'], f'{how}: exitcodes')
        if how == 'raise':
            check('RuntimeError: dmn-10 uncaught' in res.err, f'stderr: {res.err[-300:]!r}')


@case('DMN-11', "a non-daemon child's daemonic grandchild gets SIGTERM when the child's run() "
      'returns')
def dmn_11(fx):
    res = run_program(fx, DMN11)
    check_eq(res.rc, 0, f'program status ({res.describe()})')
    t_run_end = res.time('run-end', 'child')
    _check_sleepy_daemon_terminated(res, 'grandchild', t_run_end)
    check(res.time('joined', 'child') - t_run_end < 1, 'the child took over 1 s to end')
    check_eq(res.lines('exitcode', 'child')[0][2], '0', "the child's exitcode")


@case('DMN-13', 'a daemon terminated at parent exit is seen through a side channel (a pipe written '
      'by its SIGTERM handler) carrying signal 15')
def dmn_13(fx):
    side_r, side_w = fx.os_pipe()
    prog = Program(fx, DMN13, args=(side_w,), pass_fds=(side_w,))
    fx.close_fd(side_w)
    res = prog.wait()
    check_eq(res.rc, 0, f'program status ({res.describe()})')
    check_eq(read_until_eof(side_r), str(SIGTERM).encode(), 'bytes on the side channel')
    check_eq(res.lines('exitcode', 'daemon')[0][2], str(-SIGTERM), "the daemon's exitcode")
