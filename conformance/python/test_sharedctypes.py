"""Catalogue 17.12 (conformance/catalogue.md: Value / Array) and libmp's LIBMP-75 to LIBMP-78,
checked against CPython's multiprocessing.Value, Array, RawValue and RawArray. The C suite
SharedCtypes checks libmp against the same ids."""

import ctypes

import json

from support import ctx, case, check, check_eq, expect_error, run_program


def joined(p):
    p.join(30)
    check_eq(p.exitcode, 0, f'exitcode of {p.name}')


# ---- children ----------------------------------------------------------------------------------
def _set_values(vi, vd, vh, vq, vc):
    vi.value, vd.value, vh.value, vq.value, vc.value = -1, -2.5, 7, -2**40, b'y'


def _prefix_sums(arr):
    for i in range(1, len(arr)):
        arr[i] += arr[i - 1]


def _raw_in_child(v, arr):
    if hasattr(v, 'get_lock') or len(arr) != 3:
        raise SystemExit(2)
    v.value = 2**64 - 1
    arr[:] = [1, 2, 3]


# ---- cases -------------------------------------------------------------------------------------
@case('VAL-01', "Value('i',4343), ('d',3.625), ('h',-232), ('q',2**33), ('c',b'x') read back; a "
      'child sets new values; the parent sees them after join')
def val_01(fx):
    vals = [ctx.Value('i', 4343), ctx.Value('d', 3.625), ctx.Value('h', -232),
            ctx.Value('q', 2**33), ctx.Value('c', b'x')]
    check_eq([v.value for v in vals], [4343, 3.625, -232, 2**33, b'x'], 'values')
    joined(fx.start(ctx.Process(target=_set_values, args=vals)))
    check_eq([v.value for v in vals], [-1, -2.5, 7, -2**40, b'y'], 'values set by the child')


def _lock_rules(make):
    v = make(lock=True)
    check_eq(type(v.get_lock()).__name__, 'RLock', 'type of the default lock')
    check(v.get_obj() is not None, 'get_obj()')
    v = make(lock=None)
    check(hasattr(v, 'get_lock') and hasattr(v, 'get_obj'), 'lock=None has get_lock/get_obj')
    lock = ctx.Lock()
    check(make(lock=lock).get_lock() is lock, "lock=L: get_lock() is L")
    raw = make(lock=False)
    check(not hasattr(raw, 'get_lock') and not hasattr(raw, 'get_obj'),
          'lock=False: no get_lock/get_obj')
    expect_error(AttributeError, "has no method 'acquire'", make, lock='navalue')


@case('VAL-02', 'get_lock()/get_obj() by default and with lock=None; lock=L -> get_lock() is L; '
      "lock=False has neither; lock='navalue' -> AttributeError")
def val_02(fx):
    _lock_rules(lambda lock: ctx.Value('i', 5, lock=lock))


@case('ARR-01', "Array('i', seq): len, arr[3], arr[2:7], slice assignment; a child turns it "
      'into prefix sums and the parent sees that')
def arr_01(fx):
    seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831]
    arr = ctx.Array('i', seq)
    check_eq(len(arr), 10, 'len')
    check_eq(arr[3], 821, 'arr[3]')
    check_eq(list(arr[2:7]), seq[2:7], 'arr[2:7]')
    arr[2:4] = [-1, -2]
    check_eq(list(arr[:]), seq[:2] + [-1, -2] + seq[4:], 'after a slice assignment')
    arr[2:4] = seq[2:4]
    joined(fx.start(ctx.Process(target=_prefix_sums, args=(arr,))))
    sums = [sum(seq[:i + 1]) for i in range(10)]
    check_eq(list(arr[:]), sums, 'prefix sums made by the child')


@case('ARR-02', "Array('i', 10) is all zeros (three times, to catch reused memory)")
def arr_02(fx):
    for _ in range(3):
        arr = ctx.Array('i', 10)
        check_eq(list(arr), [0] * 10, 'a new array')
        arr[:] = range(1000, 1010)
        del arr


@case('ARR-03', 'the get_lock/get_obj rules match VAL-02')
def arr_03(fx):
    _lock_rules(lambda lock: ctx.Array('d', 4, lock=lock))


COUNTER_PROGRAM = r'''
import json, multiprocessing

def count_up(v, n):
    for _ in range(n):
        with v.get_lock():
            v.value += 1

if __name__ == '__main__':
    counts = {}
    for method in ('fork', 'spawn', 'forkserver'):
        m = multiprocessing.get_context(method)
        v = m.Value('i', 0)
        procs = [m.Process(target=count_up, args=(v, 1000)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        counts[method] = [v.value, [p.exitcode for p in procs]]
    print(json.dumps(counts))
'''


@case('LIBMP-75', '4 processes x 1000 `with v.get_lock(): v.value += 1` give 4000, under fork, '
      'spawn and forkserver', budget=60)
def libmp_75(fx):
    # In a program of its own: spawn and forkserver leave CPython's helpers (the resource
    # tracker, the fork server) running until the program ends, in its session.
    res = run_program(fx, COUNTER_PROGRAM, timeout=50)
    check_eq(res.rc, 0, f'program status ({res.err[-300:]!r})')
    for method, (count, codes) in json.loads(res.out).items():
        check_eq(codes, [0] * 4, f'exit codes under {method}')
        check_eq(count, 4000, f'the count under {method}')


@case('LIBMP-76', "unknown typecodes -> TypeError; arr[3], arr[-4] of 3 -> IndexError 'invalid "
      "index'; a float into 'i' -> TypeError; 2**40 into 'i' reads 0; a slice of another length "
      "-> ValueError; slices clamp; 'u' holds a code point (past U+10FFFF -> ValueError); 'c' "
      "takes 0-255, no wrap (TypeError); 'b' given 300 reads 44")
def libmp_76(fx):
    for code in ('z', 'x', 'U', '?', 'zz'):
        expect_error(TypeError, '', ctx.Value, code)
        expect_error(TypeError, '', ctx.Array, code, 3)
        expect_error(TypeError, '', ctx.RawValue, code)
    arr = ctx.Array('i', 3)
    expect_error(IndexError, 'invalid index', lambda: arr[3])
    expect_error(IndexError, 'invalid index', arr.__setitem__, -4, 1)
    arr[-1] = 9
    check_eq(arr[2], 9, 'arr[2] after arr[-1] = 9')
    expect_error(TypeError, '', arr.__setitem__, 0, 1.5)
    arr[0] = 2**40
    check_eq(arr[0], 0, 'arr[0] after 2**40 (ctypes keeps the low bits)')
    expect_error(ValueError, 'Can only assign sequence of same size', arr.__setitem__,
                 slice(0, 3), [1, 2])
    check_eq(len(arr[-10:10]), 3, 'a clamped slice')
    check_eq(arr[2:1], [], 'a crossed slice')
    d = ctx.RawValue('d')
    d.value = 3
    check_eq(d.value, 3.0, 'an int into a double')
    check_eq(ord(ctx.Value('u', '\u00e9').value), 0xe9, "'u'")
    u = ctx.RawValue('u')
    ctypes.memmove(ctypes.addressof(u), ctypes.byref(ctypes.c_int32(0x110000)), 4)
    expect_error(ValueError, 'is not in range', lambda: u.value)
    c = ctx.Array('c', b'ab')
    expect_error(TypeError, 'one character bytes, bytearray or integer expected',
                 c.__setitem__, 0, 256)
    expect_error(TypeError, 'one character bytes, bytearray or integer expected',
                 c.__setitem__, 1, -1)
    c[1] = 255
    check_eq(c[:], b'a\xff', "'c' after c[1] = 255")
    check_eq(ctx.Value('b', 300).value, 44, "Value('b', 300) (the low bits)")
    check_eq(ctypes.sizeof(ctypes.c_wchar), 4, "sizeof 'u' (wchar_t)")


@case('LIBMP-77', "RawValue('Q') and RawArray('Q', 3) in a child: no get_lock; it writes "
      '2**64-1 and [1, 2, 3]; the parent sees them')
def libmp_77(fx):
    v, arr = ctx.RawValue('Q'), ctx.RawArray('Q', 3)
    joined(fx.start(ctx.Process(target=_raw_in_child, args=(v, arr))))
    check_eq(v.value, 2**64 - 1, 'the value')
    check_eq(list(arr), [1, 2, 3], 'the array')
    r, w = fx.pipe()
    expect_error(RuntimeError, 'should only be shared between processes through inheritance',
                 w.send, v)


@case('LIBMP-78', "extended slices: arr[::2], arr[::-1], arr[8:2:-2], arr[100:-100:-3], "
      "arr[-2:0:-4], arr[3:3:-1] read; arr[1::2] and arr[::-3] assigned; a step of 0 -> "
      "ValueError 'slice step cannot be zero'; a sequence of another length -> ValueError")
def libmp_78(fx):
    arr = ctx.Array('i', range(10))
    check_eq(arr[::2], [0, 2, 4, 6, 8], 'arr[::2]')
    check_eq(arr[::-1], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 'arr[::-1]')
    check_eq(arr[8:2:-2], [8, 6, 4], 'arr[8:2:-2]')
    check_eq(arr[100:-100:-3], [9, 6, 3, 0], 'arr[100:-100:-3]')
    check_eq(arr[-2:0:-4], [8, 4], 'arr[-2:0:-4]')
    check_eq(arr[3:3:-1], [], 'arr[3:3:-1]')
    arr[1::2] = [-1, -3, -5, -7, -9]
    arr[::-3] = [90, 60, 30, 0]
    check_eq(arr[:], [0, -1, 2, 30, 4, -5, 60, -7, 8, 90], 'after the assignments')
    expect_error(ValueError, 'slice step cannot be zero', lambda: arr[::0])
    expect_error(ValueError, 'Can only assign sequence of same size', arr.__setitem__,
                 slice(None, None, 2), [1])
    check_eq(arr[0:10:-2**63], [], 'a step of -2**63 from 0')
    check_eq(arr[9::-2**63], [90], 'a step of -2**63 from 9')
