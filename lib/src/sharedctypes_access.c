/* Reading and writing the elements of a Value or Array (sharedctypes.h), each access under the
 * object's lock as CPython's synchronized wrappers take it. */
#include <limits.h>
#include <string.h>
#include <wchar.h>

#include "sharedctypes_impl.h"

/* The lock's verdict on entry: 0 or MP_EOWNERDEAD go on (the access is one element or slice,
 * which a dead holder cannot have left half-written in a way the access depends on), the rest
 * stop it. */
static int enter(const struct mp_array_s *a)
{
    return a->lock ? mp_lock_acquire(a->lock, 1, MP_FOREVER) : 0;
}

static int leave(const struct mp_array_s *a, int rc)
{
    if (a->lock) {
        int r = mp_lock_release(a->lock);
        if (rc == 0)
            rc = r;
    }
    return rc;
}

static int is_float(char tc)
{
    return tc == 'f' || tc == 'd';
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "an element's low bytes are its first bytes here"
#endif

static int is_signed(char tc)
{
    return strchr("bhilqu", tc) != NULL;
}

/* memcpy of a constant size is one move; of a size known only at run time it is a call into
 * libc, a twentieth of an uncontended get or set. */
static void copy_low(void *dst, const void *src, size_t n)
{
    switch (n) {
    case 1:
        memcpy(dst, src, 1);
        break;
    case 2:
        memcpy(dst, src, 2);
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    default:
        memcpy(dst, src, 8);
        break;
    }
}

/* ctypes keeps the low bits of an int too wide for the element: on a little-endian machine
 * those are the first `itemsize` bytes of the int64. Copies, not casts: an element of a slice
 * buffer need not be aligned. */
static void store_i64(const struct mp_array_s *a, unsigned char *p, int64_t x)
{
    if (a->typecode == 'f') {
        float f = (float)x;
        memcpy(p, &f, sizeof f);
    } else if (a->typecode == 'd') {
        double d = (double)x;
        memcpy(p, &d, sizeof d);
    } else {
        copy_low(p, &x, a->itemsize);
    }
}

static int64_t load_i64(const struct mp_array_s *a, const unsigned char *p)
{
    uint64_t u = 0;
    copy_low(&u, p, a->itemsize);
    unsigned shift = 64u - 8u * (unsigned)a->itemsize;
    if (shift && is_signed(a->typecode))
        return (int64_t)(u << shift) >> shift;
    return (int64_t)u;
}

static double load_f64(const struct mp_array_s *a, const unsigned char *p)
{
    if (a->typecode == 'f') {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    if (a->typecode == 'd') {
        double d;
        memcpy(&d, p, sizeof d);
        return d;
    }
    int64_t x = load_i64(a, p);
    return is_signed(a->typecode) ? (double)x : (double)(uint64_t)x;
}

static void store_f64(const struct mp_array_s *a, unsigned char *p, double d)
{
    float f = (float)d;
    if (a->typecode == 'f')
        memcpy(p, &f, sizeof f);
    else
        memcpy(p, &d, sizeof d);
}

/* Python's index: negative counts from the end. */
static int at(const char *fn, const struct mp_array_s *a, long index, unsigned char **p)
{
    long n = (long)a->len;
    long i = index < 0 ? index + n : index;
    if (i < 0 || i >= n)
        return mp__fail(MP_EINDEX, "%s: invalid index %ld (length %ld)", fn, index, n);
    *p = a->data + (size_t)i * a->itemsize;
    return 0;
}

/* 'c' and 'u' hold a character, which does not wrap: a byte is 0 to 255 (ctypes' c_char
 * refuses any other int), a code point 0 to U+10FFFF (CPython cannot read another back). */
static int check_char(const char *fn, char tc, int64_t x)
{
    if (tc == 'c' && (x < 0 || x > 255))
        return mp__fail(MP_EINVAL,
                        "%s: %lld is not a byte for typecode 'c' (CPython: TypeError 'one "
                        "character bytes, bytearray or integer expected')",
                        fn, (long long)x);
    if (tc == 'u' && (x < 0 || x > 0x10ffff))
        return mp__fail(MP_EINVAL,
                        "%s: character U+%llx is not in range [U+0000; U+10ffff] (CPython: "
                        "ValueError)",
                        fn, (unsigned long long)x);
    return 0;
}

enum { GET_I64, SET_I64, GET_F64, SET_F64 };

static int access(const char *fn, const struct mp_array_s *a, long index, int op, void *io)
{
    unsigned char *p;
    if (!a || (op != SET_I64 && op != SET_F64 && !io))
        return mp__fail(MP_EINVAL, "%s: %s is NULL", fn, a ? "out" : "the object");
    if (op == GET_I64 && is_float(a->typecode))
        return mp__fail(MP_EINVAL, "%s: typecode '%c' holds a float: use the _f64 call", fn,
                        a->typecode);
    if (op == SET_F64 && !is_float(a->typecode))
        return mp__fail(MP_EINVAL,
                        "%s: typecode '%c' takes an int, not a float (CPython: "
                        "TypeError)",
                        fn, a->typecode);
    if (op == SET_I64) {
        int rc = check_char(fn, a->typecode, *(const int64_t *)io);
        if (rc < 0)
            return rc;
    }
    int rc = at(fn, a, index, &p);
    if (rc < 0)
        return rc;
    rc = enter(a);
    if (rc < 0 && rc != MP_EOWNERDEAD)
        return rc;
    if (op == GET_I64)
        *(int64_t *)io = load_i64(a, p);
    else if (op == SET_I64)
        store_i64(a, p, *(const int64_t *)io);
    else if (op == GET_F64)
        *(double *)io = load_f64(a, p);
    else
        store_f64(a, p, *(const double *)io);
    return leave(a, rc);
}

int mp_value_get_i64(const mp_value_t *v, int64_t *out)
{
    return access(__func__, v ? &v->a : NULL, 0, GET_I64, out);
}

int mp_value_set_i64(mp_value_t *v, int64_t x)
{
    return access(__func__, v ? &v->a : NULL, 0, SET_I64, &x);
}

int mp_value_get_f64(const mp_value_t *v, double *out)
{
    return access(__func__, v ? &v->a : NULL, 0, GET_F64, out);
}

int mp_value_set_f64(mp_value_t *v, double x)
{
    return access(__func__, v ? &v->a : NULL, 0, SET_F64, &x);
}

int mp_array_get_i64(const mp_array_t *a, long index, int64_t *out)
{
    return access(__func__, a, index, GET_I64, out);
}

int mp_array_set_i64(mp_array_t *a, long index, int64_t x)
{
    return access(__func__, a, index, SET_I64, &x);
}

int mp_array_get_f64(const mp_array_t *a, long index, double *out)
{
    return access(__func__, a, index, GET_F64, out);
}

int mp_array_set_f64(mp_array_t *a, long index, double x)
{
    return access(__func__, a, index, SET_F64, &x);
}

/* Python's slice (PySlice_AdjustIndices): each bound counts from the end when negative, and is
 * clamped to the array, or to one before it for a negative step; *n elements from *lo, `step`
 * apart. */
static int bounds(const char *fn, const struct mp_array_s *a, long start, long stop, long step,
                  long *lo, size_t *n)
{
    if (step == 0)
        return mp__fail(MP_EINVAL, "%s: slice step cannot be zero (CPython: ValueError)", fn);
    if (step < -LONG_MAX)
        step = -LONG_MAX;
    long len = (long)a->len, below = step < 0 ? -1 : 0, above = step < 0 ? len - 1 : len;
    if (start < 0)
        start = start + len < 0 ? below : start + len;
    else if (start >= len)
        start = above;
    if (stop < 0)
        stop = stop + len < 0 ? below : stop + len;
    else if (stop >= len)
        stop = above;
    *lo = start;
    if (step < 0)
        *n = stop < start ? (size_t)((start - stop - 1) / -step + 1) : 0;
    else
        *n = start < stop ? (size_t)((stop - start - 1) / step + 1) : 0;
    return 0;
}

/* Copies `count` elements, `step` apart from `lo`, out (`in` NULL) or in. */
static int copy(const struct mp_array_s *a, long lo, long step, size_t count, void *out,
                const void *in)
{
    int rc = enter(a);
    if (rc < 0 && rc != MP_EOWNERDEAD)
        return rc;
    size_t item = a->itemsize;
    if (count && step == 1) {
        unsigned char *p = a->data + (size_t)lo * item;
        if (in)
            memcpy(p, in, count * item);
        else
            memcpy(out, p, count * item);
    }
    for (size_t i = 0; step != 1 && i < count; i++) {
        unsigned char *p = a->data + (size_t)(lo + (long)i * step) * item;
        if (in)
            memcpy(p, (const unsigned char *)in + i * item, item);
        else
            memcpy((unsigned char *)out + i * item, p, item);
    }
    return leave(a, rc);
}

int mp_value_get(const mp_value_t *v, void *out)
{
    MP__NEED(v);
    MP__NEED(out);
    return copy(&v->a, 0, 1, 1, out, NULL);
}

int mp_value_set(mp_value_t *v, const void *in)
{
    MP__NEED(v);
    MP__NEED(in);
    int rc = mp__sct_check_chars(__func__, v->a.typecode, in, 1);
    return rc < 0 ? rc : copy(&v->a, 0, 1, 1, NULL, in);
}

int mp_array_get_slice_step(const mp_array_t *a, long start, long stop, long step, void *out,
                            size_t *n)
{
    MP__NEED(a);
    MP__NEED(out);
    MP__NEED(n);
    long lo;
    int rc = bounds(__func__, a, start, stop, step, &lo, n);
    return rc < 0 ? rc : copy(a, lo, step, *n, out, NULL);
}

int mp_array_set_slice_step(mp_array_t *a, long start, long stop, long step, const void *in,
                            size_t n)
{
    MP__NEED(a);
    long lo;
    size_t count;
    int rc = bounds(__func__, a, start, stop, step, &lo, &count);
    if (rc < 0)
        return rc;
    if (n != count)
        return mp__fail(MP_EINVAL,
                        "%s: %zu elements for a slice of %zu (CPython: ValueError "
                        "'Can only assign sequence of same size')",
                        __func__, n, count);
    if (n && !in)
        return mp__fail(MP_EINVAL, "%s: in is NULL", __func__);
    rc = mp__sct_check_chars(__func__, a->typecode, in, n);
    return rc < 0 ? rc : copy(a, lo, step, n, NULL, in);
}

int mp_array_get_slice(const mp_array_t *a, long start, long stop, void *out, size_t *n)
{
    return mp_array_get_slice_step(a, start, stop, 1, out, n);
}

int mp_array_set_slice(mp_array_t *a, long start, long stop, const void *in, size_t n)
{
    return mp_array_set_slice_step(a, start, stop, 1, in, n);
}
