"""Catalogue 17.3 (conformance/catalogue.md) Pipe / Connection and connection.wait, checked against CPython (fork context).

Blocking cases never block the runner for long: whatever might block for ever (a recv whose
sender failed, an 8 MiB send with no reader) either runs in a child that the fixture kills, or
waits on a pipe whose other copies are closed, so that a dead peer shows as EOF."""

import array
import os
import select
import signal
import struct
import time
import multiprocessing
import multiprocessing.resource_sharer
from multiprocessing.connection import Connection, wait

from support import (ctx, case, check, check_eq, check_about, check_immediate, timed,
                     expect_error, recv, read_exact, proc_stat)

ALPHABET = b'abcdefghijklmnopqrstuvwxyz'     # the 26-byte message of PIPE-21/22
MiB = 1 << 20


def duplex(fx):
    """Pipe() in this process; both ends are closed at cleanup."""
    a, b = ctx.Pipe()
    fx.conns += [a, b]
    return a, b


def no_bytes_waiting(fd, within=0.05):
    ready, _, _ = select.select([fd], [], [], within)
    return not ready


def wait_blocked(pid, timeout=5.0):
    """Until the child sleeps in the kernel (state S): after its last report, that is the call
    it was about to make."""
    end = time.monotonic() + timeout
    while True:
        st = proc_stat(pid)
        check(st is not None and st.state not in 'ZX', f'child {pid} ended early')
        if st.state == 'S':
            return
        check(time.monotonic() < end,
              f'child {pid} not blocked after {timeout} s (state {st.state})')
        time.sleep(0.005)


def joined_ok(p, what):
    """Join child p and check it ended with exit code 0."""
    p.join(5)
    check_eq(p.exitcode, 0, f'exitcode of {what}')


def error_of(fn, *args):
    """(type name, message, errno) of what fn(*args) raised, or None; for children's reports."""
    try:
        fn(*args)
    except Exception as e:
        return (type(e).__name__, str(e), getattr(e, 'errno', None))
    return None


# ---- child targets -----------------------------------------------------------------------------
def _send_after(conn, delay, obj):
    time.sleep(delay)
    conn.send(obj)


def _send_then_close(conn, *objs):
    for obj in objs:
        conn.send(obj)
    conn.close()


def _send_to_closed_peers(report, cases):
    """Each case names a pipe kind and an operation; the peer is closed before the operation."""
    out = []
    for kind, op in cases:
        if kind == 'duplex':
            mine, peer = ctx.Pipe()
        else:
            peer, mine = ctx.Pipe(duplex=False)
        peer.close()
        if op == 'send':
            out.append((kind, op, error_of(mine.send, 1)))
        else:
            out.append((kind, op, error_of(mine.send_bytes, b'')))
        mine.close()
    report.send(out)


def check_epipe_in_child(fx, cases):
    """A child runs each (pipe kind, operation) against a closed peer: every one must raise
    BrokenPipeError (EPIPE) and the child must still exit 0 (-13 would be death by SIGPIPE)."""
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_send_to_closed_peers, args=(w, cases)))
    got = recv(r)
    joined_ok(p, 'the sender (-13 = killed by SIGPIPE)')
    epipe = ('BrokenPipeError', '[Errno 32] Broken pipe', 32)
    check_eq(got, [(kind, op, epipe) for kind, op in cases], 'outcomes')


STRINGS = [b'hello', b'', b'a', b'', b'', b'bcdefg', b'', b'x' * 20000, b'', b'end', b'']
DELAYS = [0.0, 0.03, 0.0, 0.0, 0.05, 0.0, 0.02, 0.0, 0.03, 0.0, 0.0]


def _send_strings(conn):
    for s, delay in zip(STRINGS, DELAYS):
        time.sleep(delay)
        conn.send_bytes(s)
    conn.close()


def _echo_bytes_once(conn):
    conn.send_bytes(conn.recv_bytes())
    conn.close()


def _big_send(conn, report, nbytes):
    report.send(('start', time.monotonic()))
    conn.send_bytes(bytes(nbytes))
    report.send(('done', time.monotonic()))


class _EchoServer(ctx.Process):
    """A Process subclass whose run() echoes objects until it receives None."""

    def __init__(self, conn):
        super().__init__()
        self.conn = conn

    def run(self):
        while True:
            obj = self.conn.recv()
            if obj is None:
                break
            self.conn.send(('echo', obj))
        self.conn.close()


def _use_passed_connections(ctl):
    reader, writer, both = ctl.recv()
    ctl.send([(c.readable, c.writable) for c in (reader, writer, both)])
    writer.send(('from child', reader.recv()))
    both.send(('duplex', both.recv()))
    ctl.send([error_of(reader.send, 'x'), error_of(writer.recv)])
    for c in (reader, writer, both):
        c.close()


PATTERN = bytes(range(256)) * (32 * 1024)    # 8 MiB


def _blocked_through_signals(conn, report):
    hits = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: hits.append(signum))
    report.send('recv')
    obj = conn.recv()
    report.send(('received', obj, len(hits)))
    report.send('send')
    conn.send_bytes(PATTERN)
    report.send(('sent', len(hits)))


def _send_numbered(conn, ident, count, pause):
    for j in range(count):
        conn.send((ident, j))
        if pause:
            time.sleep(pause)
    conn.close()


# ---- cases -------------------------------------------------------------------------------------
@case('PIPE-01', 'Pipe(): both ends readable and writable; a.send(x) -> b.recv() == x and '
      'b.send(y) -> a.recv() == y')
def pipe_01(fx):
    a, b = duplex(fx)
    check_eq((a.readable, a.writable, b.readable, b.writable), (True,) * 4,
             '(a.readable, a.writable, b.readable, b.writable)')
    x, y = {'k': [1, 2.5, None]}, ('y', b'\x00\xff')
    a.send(x)
    check_eq(b.recv(), x, 'b.recv() after a.send(x)')
    b.send(y)
    check_eq(a.recv(), y, 'a.recv() after b.send(y)')


@case('PIPE-02', 'r, w = Pipe(duplex=False): r readable, not writable; w writable, not readable')
def pipe_02(fx):
    r, w = fx.pipe()
    check_eq((r.readable, r.writable), (True, False), '(r.readable, r.writable)')
    check_eq((w.readable, w.writable), (False, True), '(w.readable, w.writable)')


@case('PIPE-03', 'simplex: w.send(1) -> r.recv() == 1')
def pipe_03(fx):
    r, w = fx.pipe()
    w.send(1)
    check_eq(r.recv(), 1, 'r.recv()')


@case('PIPE-05', "simplex: w.recv(), w.recv_bytes() and w.poll() -> OSError 'connection is "
      "write-only'")
def pipe_05(fx):
    r, w = fx.pipe()
    for what, op in (('recv()', w.recv), ('recv_bytes()', w.recv_bytes), ('poll()', w.poll)):
        e = expect_error(OSError, 'connection is write-only', op)
        check_eq(str(e), 'connection is write-only', f'w.{what} error')


@case('PIPE-06', 'recv() blocks until data: a child sends after 0.5 s -> recv returns the object '
      'after ~0.5 s')
def pipe_06(fx):
    r, w = fx.pipe()
    t0 = time.monotonic()
    fx.start(ctx.Process(target=_send_after, args=(w, 0.5, 'late')))
    w.close()                     # a child that dies shows as EOFError, not as a hang
    got = r.recv()
    check_about(time.monotonic() - t0, 0.5, 'start() + recv()')
    check_eq(got, 'late', 'recv()')


@case('PIPE-07', 'poll() and poll(-1) on an empty pipe -> False, immediately')
def pipe_07(fx):
    a, b = duplex(fx)
    for args in ((), (-1,), (-0.5,)):
        what = f'poll({", ".join(map(repr, args))})'
        result, elapsed = timed(b.poll, *args)
        check_eq(result, False, what)
        check_immediate(elapsed, what)


@case('PIPE-08', 'poll(0.3) on an empty pipe -> False after ~0.3 s')
def pipe_08(fx):
    a, b = duplex(fx)
    result, elapsed = timed(b.poll, 0.3)
    check_eq(result, False, 'poll(0.3)')
    check_about(elapsed, 0.3, 'poll(0.3)')


@case('PIPE-10', 'poll(None) blocks until a message arrives 0.5 s later -> True after ~0.5 s')
def pipe_10(fx):
    r, w = fx.pipe()
    t0 = time.monotonic()
    fx.start(ctx.Process(target=_send_after, args=(w, 0.5, 'late')))
    w.close()
    result = r.poll(None)
    check_about(time.monotonic() - t0, 0.5, 'start() + poll(None)')
    check_eq(result, True, 'poll(None)')
    check_eq(r.recv(), 'late', 'recv() after poll(None)')


@case('PIPE-11', 'the peer sends 1 and 2, then closes -> recv() 1, 2, then EOFError on every '
      'later call')
def pipe_11(fx):
    mine, theirs = duplex(fx)
    p = fx.start(ctx.Process(target=_send_then_close, args=(theirs, 1, 2)))
    theirs.close()
    joined_ok(p, 'the sender')
    check_eq(mine.recv(), 1, 'first recv()')
    check_eq(mine.recv(), 2, 'second recv()')
    for i in range(3):
        expect_error(EOFError, '', mine.recv)


@case('PIPE-12', 'peer closed, nothing buffered -> poll() True, recv() and recv_bytes() -> '
      'EOFError')
def pipe_12(fx):
    a, b = duplex(fx)
    b.close()
    result, elapsed = timed(a.poll)
    check_eq(result, True, 'poll() at end of file')
    check_immediate(elapsed, 'poll() at end of file')
    expect_error(EOFError, '', a.recv)
    expect_error(EOFError, '', a.recv_bytes)
    check_eq(a.poll(), True, 'poll() after the EOFErrors')


@case('PIPE-13', "simplex: w.send('x'); w.close() -> r.recv() == 'x', then EOFError")
def pipe_13(fx):
    r, w = fx.pipe()
    w.send('x')
    w.close()
    check_eq(r.recv(), 'x', 'r.recv()')
    expect_error(EOFError, '', r.recv)
    expect_error(EOFError, '', r.recv)


@case('PIPE-15', "own closed end: send, recv, poll, fileno -> OSError 'handle is closed'; closed "
      "is True; close() again is a no-op")
def pipe_15(fx):
    a, b = duplex(fx)
    check_eq(a.closed, False, 'closed before close()')
    a.close()
    check_eq(a.closed, True, 'closed after close()')
    for what, op, args in (('send', a.send, (1,)), ('send_bytes', a.send_bytes, (b'x',)),
                           ('recv', a.recv, ()), ('recv_bytes', a.recv_bytes, ()),
                           ('poll', a.poll, ()), ('fileno', a.fileno, ())):
        e = expect_error(OSError, 'handle is closed', op, *args)
        check_eq(str(e), 'handle is closed', f'{what}() on the closed end')
    check_eq(a.close(), None, 'second close()')
    check_eq(a.closed, True, 'closed after the second close()')


@case('PIPE-16', 'send to a peer whose end is closed (duplex) -> BrokenPipeError (EPIPE); the '
      'process is not killed by SIGPIPE')
def pipe_16(fx):
    check_epipe_in_child(fx, [('duplex', 'send')])


@case('PIPE-17', "the same for simplex (r closed, w.send) and for an empty send_bytes(b'') -> "
      "EPIPE")
def pipe_17(fx):
    check_epipe_in_child(fx, [('simplex', 'send'), ('simplex', 'send_bytes'),
                              ('duplex', 'send_bytes')])


@case('PIPE-18', "message boundaries: send_bytes b'a', b'b', b'cd' -> three recv_bytes return "
      "exactly those")
def pipe_18(fx):
    a, b = duplex(fx)
    for m in (b'a', b'b', b'cd'):
        a.send_bytes(m)
    got = [b.recv_bytes() for _ in range(3)]
    check_eq(got, [b'a', b'b', b'cd'], 'recv_bytes() x3')
    check_eq(b.poll(), False, 'poll() after the three messages')


@case('PIPE-20', 'a child sends empty and non-empty byte strings with delays -> the parent, '
      'polling with poll(0.01), receives exactly that sequence')
def pipe_20(fx):
    r, w = fx.pipe()
    p = fx.start(ctx.Process(target=_send_strings, args=(w,)))
    w.close()
    got = []
    end = time.monotonic() + 10
    while True:
        check(time.monotonic() < end, f'end of file not seen within 10 s ({len(got)} received)')
        if r.poll(0.01):
            try:
                got.append(r.recv_bytes())
            except EOFError:
                break
    joined_ok(p, 'the sender')
    check_eq(got, STRINGS, 'received sequence')


@case('PIPE-21', 'send_bytes(msg, 5) -> msg[5:]; (msg, 7, 8) -> msg[7:15]; (msg, 26) and '
      "(msg, 26, 0) -> b''")
def pipe_21(fx):
    a, b = duplex(fx)
    msg = ALPHABET
    check_eq(len(msg), 26, 'len(msg)')
    for args, want in (((5,), msg[5:]), ((7, 8), msg[7:15]), ((26,), b''), ((26, 0), b'')):
        a.send_bytes(msg, *args)
        check_eq(b.recv_bytes(), want, f'send_bytes(msg, {", ".join(map(str, args))})')
    check_eq(b.poll(), False, 'poll() after the four messages')


@case('PIPE-22', 'send_bytes (msg, 27), (msg, 22, 5), (msg, 26, 1), (msg, -1), (msg, 4, -1) -> '
      'ValueError, nothing sent')
def pipe_22(fx):
    a, b = duplex(fx)
    for args, text in (((27,), 'buffer length < offset'),
                       ((22, 5), 'buffer length < offset + size'),
                       ((26, 1), 'buffer length < offset + size'),
                       ((-1,), 'offset is negative'),
                       ((4, -1), 'size is negative')):
        expect_error(ValueError, text, a.send_bytes, ALPHABET, *args)
    check_eq(b.poll(0.05), False, 'poll(0.05) on the peer after the refused sends')


@case('PIPE-23', "recv_bytes(5) on a 10-byte message -> OSError 'bad message length'; a duplex "
      "end becomes write-only; a simplex read end becomes closed")
def pipe_23(fx):
    a, b = duplex(fx)
    a.send_bytes(b'0123456789')
    e = expect_error(OSError, 'bad message length', b.recv_bytes, 5)
    check_eq(str(e), 'bad message length', 'error of recv_bytes(5)')
    check_eq((b.readable, b.writable, b.closed), (False, True, False),
             'duplex end after it: (readable, writable, closed)')
    expect_error(OSError, 'connection is write-only', b.recv)
    b.send('still writes')
    check_eq(a.recv(), 'still writes', 'the peer receives from the now write-only end')
    r, w = fx.pipe()
    w.send_bytes(b'0123456789')
    expect_error(OSError, 'bad message length', r.recv_bytes, 5)
    check_eq(r.closed, True, 'simplex read end closed after it')
    expect_error(OSError, 'handle is closed', r.recv)


@case('PIPE-25', 'recv_bytes_into(int array of 10) after sending 4 ints -> 16, first four slots '
      'filled; at offset 3*itemsize -> 16, slots 3..6 filled')
def pipe_25(fx):
    a, b = duplex(fx)
    sent = array.array('i', [11, 22, 33, 44])
    a.send_bytes(sent)
    buf = array.array('i', [0] * 10)
    check_eq(b.recv_bytes_into(buf), 4 * buf.itemsize, 'recv_bytes_into(buf)')
    check_eq(buf.tolist(), [11, 22, 33, 44, 0, 0, 0, 0, 0, 0], 'buffer')
    a.send_bytes(sent)
    buf = array.array('i', [0] * 10)
    check_eq(b.recv_bytes_into(buf, 3 * buf.itemsize), 16, 'recv_bytes_into(buf, 3*itemsize)')
    check_eq(buf.tolist(), [0, 0, 0, 11, 22, 33, 44, 0, 0, 0], 'buffer at offset 3*itemsize')


@case('PIPE-26', 'recv_bytes_into(bytearray(40)) for a 110-byte message -> BufferTooShort whose '
      'args[0] is the whole message; the message is used up')
def pipe_26(fx):
    a, b = duplex(fx)
    msg = bytes(range(110))
    a.send_bytes(msg)
    e = expect_error(multiprocessing.BufferTooShort, '', b.recv_bytes_into, bytearray(40))
    check_eq(e.args, (msg,), 'BufferTooShort args')
    check_eq(b.poll(), False, 'poll() after the BufferTooShort')
    a.send_bytes(b'next')
    check_eq(b.recv_bytes(), b'next', 'the following message')


@case('PIPE-27', 'a 16 MiB send_bytes round-trips through an echo child unchanged')
def pipe_27(fx):
    mine, theirs = duplex(fx)
    p = fx.start(ctx.Process(target=_echo_bytes_once, args=(theirs,)))
    theirs.close()
    data = os.urandom(16 * MiB)
    mine.send_bytes(data)
    check(mine.poll(10), 'no echo within 10 s')
    back = mine.recv_bytes()
    check_eq(len(back), len(data), 'length of the echo')
    check(back == data, 'the echo differs from what was sent')
    joined_ok(p, 'the echo child')


@case('PIPE-28', 'with no reader an 8 MiB send_bytes blocks (not finished after 0.5 s) and '
      'finishes once the peer reads')
def pipe_28(fx):
    mine, theirs = duplex(fx)
    rep_r, rep_w = fx.pipe()
    p = fx.start(ctx.Process(target=_big_send, args=(theirs, rep_w, 8 * MiB)))
    theirs.close()
    rep_w.close()
    tag, _ = recv(rep_r)
    check_eq(tag, 'start', 'first report')
    check(not rep_r.poll(0.5), 'send_bytes(8 MiB) finished (or failed) with no reader')
    check(p.is_alive(), 'the sender ended with no reader')
    t_read = time.monotonic()
    data = mine.recv_bytes()
    check(len(data) == 8 * MiB and data == bytes(8 * MiB),
          f'received {len(data)} bytes, not the 8 MiB of zeros')
    tag, t_done = recv(rep_r)
    check_eq(tag, 'done', 'second report')
    check(t_done >= t_read, 'send_bytes returned before the peer began to read')
    joined_ok(p, 'the sender')


@case('PIPE-30', 'echo server child on a duplex pipe: the parent closes child_conn right after '
      'start(); request/response works; the child exits after a sentinel')
def pipe_30(fx):
    parent_conn, child_conn = duplex(fx)
    p = fx.start(_EchoServer(child_conn))
    child_conn.close()
    for obj in (1, 'two', [3.0, None], b'\x04' * 5000):
        parent_conn.send(obj)
        check_eq(recv(parent_conn, what='echo server'), ('echo', obj), 'echo')
    parent_conn.send(None)
    joined_ok(p, 'the echo server')
    expect_error(EOFError, '', parent_conn.recv)


@case('PIPE-31', 'a Connection sent over a Connection keeps its direction and works in the '
      'receiving process (fd passing)')
def pipe_31(fx):
    ctl, ctl_child = duplex(fx)
    p = fx.start(ctx.Process(target=_use_passed_connections, args=(ctl_child,)))
    ctl_child.close()
    try:
        # made after start(): the child can only have them through the message
        r1, w1 = fx.pipe()
        r2, w2 = fx.pipe()
        d1, d2 = duplex(fx)
        ctl.send((r1, w2, d2))
        flags = recv(ctl)
        check_eq(flags, [(True, False), (False, True), (True, True)],
                 '(readable, writable) of the received reader, writer, duplex end')
        for c in (r1, w2, d2):       # from now on the child holds the only other copies
            c.close()
        w1.send('to child')
        check_eq(recv(r2), ('from child', 'to child'), 'through the passed read and write ends')
        d1.send('ping')
        check_eq(recv(d1), ('duplex', 'ping'), 'through the passed duplex end')
        check_eq(recv(ctl), [('OSError', 'connection is read-only', None),
                             ('OSError', 'connection is write-only', None)],
                 'wrong-direction calls on the received ends')
        joined_ok(p, 'the receiver')
        expect_error(EOFError, '', r2.recv)
        expect_error(EOFError, '', d1.recv)
    finally:
        multiprocessing.resource_sharer.stop(timeout=5)   # the fd-passing thread it started


@case('PIPE-32', 'the context manager closes both ends; afterwards recv -> OSError')
def pipe_32(fx):
    a, b = duplex(fx)
    with a as x, b as y:
        check(x is a and y is b, '__enter__ does not return the connection itself')
        a.send('inside')
        check_eq(b.recv(), 'inside', 'recv() inside the with block')
    check_eq((a.closed, b.closed), (True, True), 'closed after the with block')
    for c in (a, b):
        expect_error(OSError, 'handle is closed', c.recv)
    r, w = fx.pipe()
    try:
        with r, w:
            raise KeyError('pipe-32')
    except KeyError:
        pass
    check_eq((r.closed, w.closed), (True, True), 'closed after a with block left by an exception')


@case('PIPE-33', "Connection(-1) -> ValueError 'invalid handle'; neither readable nor writable -> "
      "ValueError")
def pipe_33(fx):
    e = expect_error(ValueError, 'invalid handle', Connection, -1)
    check_eq(str(e), 'invalid handle', 'Connection(-1)')
    fd, _ = fx.os_pipe()
    expect_error(ValueError, 'at least one of `readable` and `writable` must be True',
                 Connection, fd, readable=False, writable=False)


@case('PIPE-35', 'a handled SIGUSR1 arriving while the child is blocked in recv / send_bytes -> '
      'the call still completes correctly (EINTR retried)')
def pipe_35(fx):
    mine, theirs = duplex(fx)
    rep_r, rep_w = fx.pipe()
    p = fx.start(ctx.Process(target=_blocked_through_signals, args=(theirs, rep_w)))
    theirs.close()
    rep_w.close()

    def interrupt(phase):
        check_eq(recv(rep_r), phase, 'report before the blocking call')
        wait_blocked(p.pid)
        time.sleep(0.05)
        for _ in range(2):
            os.kill(p.pid, signal.SIGUSR1)
            time.sleep(0.05)
        check(not rep_r.poll(0.05), f'the blocked {phase} returned early after SIGUSR1')
        check(p.is_alive(), f'the child died of SIGUSR1 during {phase}')

    interrupt('recv')
    mine.send('after signals')
    tag, obj, hits = recv(rep_r)
    check_eq((tag, obj), ('received', 'after signals'), 'what the interrupted recv() returned')
    check(hits >= 1, 'the SIGUSR1 handler did not run during recv()')
    interrupt('send')
    data = mine.recv_bytes()
    check(data == PATTERN, f'the interrupted 8 MiB send_bytes arrived altered ({len(data)} bytes)')
    tag, hits2 = recv(rep_r)
    check_eq(tag, 'sent', 'report after send_bytes')
    check(hits2 > hits, 'the SIGUSR1 handler did not run during send_bytes()')
    joined_ok(p, 'the child')


@case('PIPE-36', "a truncated frame (header 10 then 3 bytes then close; or 2 header bytes then "
      "close) -> OSError 'got end of file during message'")
def pipe_36(fx):
    for what, raw in (('header 10 + 3 bytes', struct.pack('!i', 10) + b'abc'),
                      ('2 header bytes', b'\x00\x00')):
        a, b = duplex(fx)
        os.write(a.fileno(), raw)
        a.close()
        e = expect_error(OSError, 'got end of file during message', b.recv_bytes)
        check(not isinstance(e, EOFError), f'{what}: EOFError instead of OSError')
        check_eq(str(e), 'got end of file during message', what)


@case('PIPE-37', "wire: send_bytes(b'abc') writes exactly 00 00 00 03 61 62 63")
def pipe_37(fx):
    a, b = duplex(fx)
    a.send_bytes(b'abc')
    check_eq(read_exact(b.fileno(), 7).hex(' '), '00 00 00 03 61 62 63', 'bytes on the wire')
    check(no_bytes_waiting(b.fileno()), 'more than 7 bytes on the wire')


@case('PIPE-38', "wire: a 20000-byte message has the 4-byte BE header 20000; FF FF FF FF + 8-byte "
      "BE length 3 + 'xyz' is received as b'xyz'")
def pipe_38(fx):
    a, b = duplex(fx)
    payload = os.urandom(20000)
    a.send_bytes(payload)
    wire = read_exact(b.fileno(), 4 + 20000)
    check_eq(wire[:4].hex(' '), '00 00 4e 20', 'header of the 20000-byte message')
    check(wire[4:] == payload, 'the payload on the wire differs')
    check(no_bytes_waiting(b.fileno()), 'more than 20004 bytes on the wire')
    os.write(a.fileno(), b'\xff\xff\xff\xff' + struct.pack('!Q', 3) + b'xyz')
    check_eq(b.recv_bytes(), b'xyz', 'recv_bytes() of the escaped frame')
    check_eq(b.poll(), False, 'poll() after the escaped frame')


@case('WAIT-01', 'wait([a], 0.2) on an idle pipe -> [] after ~0.2 s; wait([a], -1) -> [] '
      'immediately')
def wait_01(fx):
    a, b = duplex(fx)
    ready, elapsed = timed(wait, [a], 0.2)
    check_eq(ready, [], 'wait([a], 0.2)')
    check_about(elapsed, 0.2, 'wait([a], 0.2)')
    ready, elapsed = timed(wait, [a], -1)
    check_eq(ready, [], 'wait([a], -1)')
    check_immediate(elapsed, 'wait([a], -1)')


@case('WAIT-02', 'wait([a, sentinel, b], 23) -> [sentinel] when a 3 s child ends; after a.send '
      '{sentinel, b}; after b.send all three; each within 0.4 s')
def wait_02(fx):
    a, b = duplex(fx)
    t0 = time.monotonic()
    p = fx.start(ctx.Process(target=time.sleep, args=(3,)))
    s = p.sentinel
    ready = wait([a, s, b], 23)
    check_eq(ready, [s], 'ready list when the child ends')
    elapsed = time.monotonic() - t0
    check(3.0 - 0.010 <= elapsed <= 3.4, f'the 3 s child was seen ending after {elapsed:.3f} s')
    a.send(None)
    ready, elapsed = timed(wait, [a, s, b], 23)
    check(elapsed < 0.4, f'wait after a.send took {elapsed:.3f} s')
    check_eq(sorted(ready, key=id), sorted([s, b], key=id), 'ready list after a.send')
    b.send(None)
    ready, elapsed = timed(wait, [a, s, b], 23)
    check(elapsed < 0.4, f'wait after b.send took {elapsed:.3f} s')
    check_eq(sorted(ready, key=id), sorted([a, s, b], key=id), 'ready list after b.send')
    p.join(5)


@case('WAIT-03', 'four children send 10 messages each and close; wait(readers) + recv, dropping '
      'readers at EOF, collects all 40')
def wait_03(fx):
    readers = []
    for i in range(4):
        r, w = fx.pipe()
        fx.start(ctx.Process(target=_send_numbered, args=(w, i, 10, 0.002 * (i % 2))))
        w.close()
        readers.append(r)
    got = []
    end = time.monotonic() + 10
    while readers:
        left = end - time.monotonic()
        check(left > 0, f'{len(readers)} readers still open after 10 s ({len(got)} messages)')
        for r in wait(readers, left):
            try:
                got.append(r.recv())
            except EOFError:
                readers.remove(r)
                r.close()
    check_eq(len(got), 40, 'number of messages')
    check_eq(sorted(got), [(i, j) for i in range(4) for j in range(10)], 'messages')
    for i in range(4):
        check_eq([j for k, j in got if k == i], list(range(10)), f'order of child {i}')
