"""Shared machinery of the CPython conformance runner: the case registry, checks, timing rules,
per-test cleanup of every process a test started, /proc readers, and the runner of the small
exit-processing programs (a fresh python3 in its own session, observed through a log file)."""

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import multiprocessing

ctx = multiprocessing.get_context('fork')

# ---- timing rules (conformance/catalogue.md, Timings) -------------------------------------------
TOL_EARLY = 0.010       # elapsed >= expected - 10 ms
TOL_LATE = 0.250        # elapsed <= expected + 250 ms
IMMEDIATE = 0.050       # "immediate" is < 50 ms


class Failure(AssertionError):
    """A check of the test itself failed (kept apart from CPython's own AssertionErrors)."""


class Skip(Exception):
    """The case cannot run here; the reason is printed and counted."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def check_eq(got, want, what):
    if got != want:
        raise Failure(f'{what}: got {got!r}, expected {want!r}')


def check_about(elapsed, expected, what):
    check(expected - TOL_EARLY <= elapsed <= expected + TOL_LATE,
          f'{what} took {elapsed:.3f} s, expected {expected:.3f} s (-10 ms/+250 ms)')


def check_immediate(elapsed, what):
    check(elapsed < IMMEDIATE, f'{what} took {elapsed * 1000:.1f} ms, expected < 50 ms')


def timed(fn, *args, **kwargs):
    t0 = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - t0


def expect_error(exc_type, text, fn, *args, **kwargs):
    """fn(*args) must raise exc_type whose message contains text; returns the exception."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        check(text in str(e), f'{exc_type.__name__} message {str(e)!r} lacks {text!r}')
        return e
    except Exception as e:  # the wrong kind of error is a failure of the case, not of the runner
        raise Failure(f'expected {exc_type.__name__}({text!r}), got {type(e).__name__}: {e}')
    raise Failure(f'expected {exc_type.__name__}({text!r}), nothing was raised')


# ---- registry ----------------------------------------------------------------------------------
CASES = []


def case(ident, title, budget=30):
    """Register fn(fx) as the test of catalogue id `ident`."""
    def register(fn):
        CASES.append((ident, title, budget, fn))
        return fn
    return register


# ---- /proc -------------------------------------------------------------------------------------
class Stat:
    __slots__ = ('pid', 'state', 'ppid', 'session', 'starttime')

    def __init__(self, pid, fields):
        # fields start at field 3 of proc(5): state ppid pgrp session ... starttime is field 22
        self.pid = pid
        self.state = fields[0]
        self.ppid = int(fields[1])
        self.session = int(fields[3])
        self.starttime = int(fields[19])


def proc_stat(pid):
    """The process's /proc/PID/stat, or None when there is no such process."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return Stat(pid, data[data.rindex(')') + 2:].split())


def is_gone(pid):
    """Dead: absent, or a zombie (Z) / dead (X) entry waiting to be reaped."""
    st = proc_stat(pid)
    return st is None or st.state in 'ZX'


def all_stats():
    out = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None:
                out.append(st)
    return out


def live_children(pid=None):
    """Pids of the living (not zombie) children of pid (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return sorted(st.pid for st in all_stats() if st.ppid == pid and st.state not in 'ZX')


def cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace').strip()
    except OSError:
        return ''


SUBREAPER = False


def become_subreaper():
    """Orphans of our tests are re-parented to the runner, which reaps them; without this they
    would stay zombies under an init that does not reap. Linux only; harmless if refused."""
    global SUBREAPER
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0      # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        SUBREAPER = False
    return SUBREAPER


def subreaper_on():
    return SUBREAPER


def _reap(pid, deadline=2.0):
    """Wait for a pid we killed: waitpid if it is our child, else until /proc shows it gone."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        st = proc_stat(pid)
        if st is None:
            return
        if st.ppid == os.getpid():
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:
                return
        elif st.state in 'ZX':
            return
        time.sleep(0.005)


def kill_pid(pid, starttime):
    """SIGKILL pid only if it is still the very process we recorded (same start time)."""
    st = proc_stat(pid)
    if st is None or st.starttime != starttime:
        return
    if st.state not in 'ZX':
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(pid)


def sweep_strays(known):
    """After a test: reap adopted zombies; kill and report any living child not in `known`."""
    leaked = []
    for st in all_stats():
        if st.ppid != os.getpid() or st.pid in known:
            continue
        if st.state not in 'ZX':
            leaked.append(f'{st.pid} ({cmdline(st.pid)[:60]})')
            kill_pid(st.pid, st.starttime)
        else:
            _reap(st.pid)
    return leaked


# ---- per-test fixture --------------------------------------------------------------------------
class Fixture:
    """What one test started, so that cleanup finds it even when the test fails half-way."""

    def __init__(self):
        self.procs = []        # multiprocessing.Process objects started by the runner
        self.pids = {}         # pid -> starttime of descendants we learned about (grandchildren)
        self.sessions = []     # subprocess.Popen of programs started in a new session
        self.conns = []
        self.fds = []
        self._tmp = None
        self._nprog = 0

    def start(self, p):
        self.procs.append(p)
        p.start()
        return p

    def track_pid(self, pid):
        st = proc_stat(pid)
        if st is not None:
            self.pids[pid] = st.starttime
        return pid

    def pipe(self):
        """A multiprocessing one-way pipe (reader, writer); closed at cleanup."""
        r, w = ctx.Pipe(duplex=False)
        self.conns += [r, w]
        return r, w

    def os_pipe(self):
        r, w = os.pipe()
        self.fds += [r, w]
        return r, w

    def close_fd(self, fd):
        if fd in self.fds:
            self.fds.remove(fd)
            os.close(fd)

    def tmpdir(self):
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix='mp-conformance-')
        return self._tmp.name

    def held_child(self, **kwargs):
        """A started child that blocks until release() is called; returns (process, release)."""
        r, w = self.os_pipe()
        p = self.start(ctx.Process(target=os.read, args=(r, 1), **kwargs))

        def release():
            os.write(w, b'x')
        return p, release

    def cleanup(self):
        for p in self.procs:
            try:
                if p.pid is not None and p.exitcode is None:
                    p.kill()
                    p.join(5)
            except ValueError:       # closed: it had ended and been joined
                pass
        for pid, starttime in self.pids.items():
            kill_pid(pid, starttime)
        for proc in self.sessions:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for st in all_stats():
                if st.session == proc.pid:
                    kill_pid(st.pid, st.starttime)
        for c in self.conns:
            c.close()
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        if self._tmp is not None:
            self._tmp.cleanup()


def recv(conn, timeout=5.0, what='child'):
    """The next message on a multiprocessing Connection, or a failure after timeout."""
    check(conn.poll(timeout), f'no message from the {what} within {timeout} s')
    try:
        return conn.recv()
    except EOFError:
        raise Failure(f'the {what} closed its pipe without reporting') from None


def read_until_eof(fd, timeout=5.0):
    """All bytes from fd until every writer has closed it."""
    data = b''
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        check(left > 0, f'pipe still open after {timeout} s (got {data!r})')
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                return data
            data += chunk


def read_exact(fd, n, timeout=5.0):
    data = b''
    end = time.monotonic() + timeout
    while len(data) < n:
        left = end - time.monotonic()
        check(left > 0, f'expected {n} bytes within {timeout} s, got {data!r}')
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, n - len(data))
            check(chunk, f'end of file after {data!r}, expected {n} bytes')
            data += chunk
    return data


# ---- exit-processing programs ------------------------------------------------------------------
# Every program gets this prelude. Its atexit hook is registered before multiprocessing is
# imported, so (atexit being LIFO) it runs after multiprocessing's exit processing and can log
# the exit codes that processing left. Times are time.monotonic(), one clock for every process.
PRELUDE = r'''
import atexit, os, signal, sys, time
LOG = sys.argv[1]
CHILDREN = []

def now():
    return repr(time.monotonic())

def log(*words):
    line = (' '.join(str(w) for w in words) + '\n').encode()
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)

def _log_exitcodes():
    for p in CHILDREN:
        log('exitcode', p.name, p.exitcode, now())
atexit.register(_log_exitcodes)

import multiprocessing
ctx = multiprocessing.get_context('fork')

def me():
    return multiprocessing.current_process().name

def term_logged_then_default(signum, frame):
    """SIGTERM handler: log the signal and the time, then die of it as if unhandled."""
    log('term', me(), signum, now())
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)

def start(target, name, daemon, *args):
    p = ctx.Process(target=target, name=name, daemon=daemon, args=args)
    p.start()
    CHILDREN.append(p)
    log('pid', name, p.pid)
    return p
'''


class Outcome:
    """What a program did: exit status, exit time, log events, stdout and stderr."""

    def __init__(self, rc, t_exit, events, out, err):
        self.rc, self.t_exit, self.events, self.out, self.err = rc, t_exit, events, out, err

    def lines(self, event, who=None):
        return [e for e in self.events if e[0] == event and (who is None or e[1] == who)]

    def time(self, event, who):
        found = self.lines(event, who)
        check(found, f'the log has no {event!r} for {who!r}: {self.describe()}')
        return float(found[-1][-1])

    def describe(self):
        text = ' | '.join(' '.join(e) for e in self.events)
        return f'rc={self.rc} log=[{text}] stderr={self.err[-300:]!r}'


class Program:
    def __init__(self, fx, body, args=(), pass_fds=()):
        d = fx.tmpdir()
        fx._nprog += 1
        stem = os.path.join(d, f'prog{fx._nprog}')
        self.log = stem + '.log'
        with open(stem + '.py', 'w') as f:
            f.write(PRELUDE + body)
        self._out = open(stem + '.out', 'w+')
        self._err = open(stem + '.err', 'w+')
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, stem + '.py', self.log, *map(str, args)], cwd=d,
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
            start_new_session=True, pass_fds=pass_fds)
        fx.sessions.append(self.proc)

    def wait(self, timeout=15.0):
        """Wait for the program itself to exit; its exit time is read off a pidfd."""
        proc = self.proc
        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            try:
                ready, _, _ = select.select([pidfd], [], [], timeout)
            finally:
                os.close(pidfd)
            t_exit = time.monotonic()
            check(ready, f'the program was still running after {timeout} s')
            rc = proc.wait()
        else:                       # no pidfd: poll waitpid with a 2 ms step
            end = time.monotonic() + timeout
            while proc.poll() is None:
                check(time.monotonic() < end, f'the program was still running after {timeout} s')
                time.sleep(0.002)
            t_exit = time.monotonic()
            rc = proc.returncode
        events = []
        if os.path.exists(self.log):
            with open(self.log) as f:
                events = [line.split() for line in f if line.strip()]
        outs = []
        for fh in (self._out, self._err):
            fh.seek(0)
            outs.append(fh.read())
            fh.close()
        return Outcome(rc, t_exit, events, *outs)


def run_program(fx, body, args=(), timeout=15.0, pass_fds=()):
    return Program(fx, body, args, pass_fds).wait(timeout)


# ---- the runner --------------------------------------------------------------------------------
class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _one_line(text):
    return re.sub(r'\s+', ' ', str(text)).strip()


def run_cases(selected):
    """Run the cases, print one line each and the closing count; returns the exit status."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # children inherit dispositions: keep defaults
    signal.signal(signal.SIGALRM, _on_alarm)
    become_subreaper()
    passed = failed = skipped = 0
    for ident, title, budget, fn in selected:
        fx = Fixture()
        status, reason = 'ok', ''
        signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            fn(fx)
        except Skip as e:
            status, reason = 'skip', str(e)
        except Failure as e:
            status, reason = 'FAIL', str(e)
        except _Timeout:
            status, reason = 'FAIL', f'timed out after {budget} s'
        except Exception as e:
            status, reason = 'FAIL', f'{type(e).__name__}: {e}'
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            fx.cleanup()
            leaked = sweep_strays({p.pid for p in multiprocessing.active_children()})
            if leaked and status == 'ok':
                status, reason = 'FAIL', 'left processes behind: ' + ', '.join(leaked)
        except Exception as e:
            if status == 'ok':
                status, reason = 'FAIL', f'cleanup: {type(e).__name__}: {e}'
        if status == 'ok':
            passed += 1
            print(f'ok   {ident} {title}', flush=True)
        elif status == 'skip':
            skipped += 1
            print(f'skip {ident}: {_one_line(reason)}', flush=True)
        else:
            failed += 1
            print(f'FAIL {ident} {title}: {_one_line(reason)}', flush=True)
    tail = f', {skipped} skipped' if skipped else ''
    print(f'{passed} passed, {failed} failed{tail}', flush=True)
    return 1 if failed else 0
