/* The bytes of a pickle: the output buffer, and what each scalar becomes at each protocol, as
 * CPython's pickler writes it. The leaves of the encoder: nothing here calls back into the walk
 * (pickle_dump.c) or the memo (pickle_dump_memo.c), which both write through these.
 *
 * Old protocols lack opcodes for some types: bytes below 3 is `_codecs.encode(text,
 * 'latin1')` (`bytes()` when empty), bytearray below 5 is `bytearray(bytes)`, each a GLOBAL and
 * a REDUCE that mp_pickle_loads() also accepts (pickle_whitelist.c). Protocol 0 writes numbers
 * and text as lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_dump_impl.h"

/* ---- output -------------------------------------------------------------------------------- */

int mp__pickler_room(mp__pickler_t *p, size_t n)
{
    if (p->cap - p->len >= n)
        return 0;
    if (n > SIZE_MAX / 2 - p->len)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t cap = p->cap ? p->cap * 2 : 256;
    if (cap < p->len + n)
        cap = p->len + n + 64; /* a big payload: room for the opcodes after it, no realloc */
    unsigned char *b = realloc(p->buf, cap);
    if (!b)
        return mp__fail(MP_ENOMEM, "out of memory");
    mp__advise_fill(b + p->len, cap - p->len);
    p->buf = b;
    p->cap = cap;
    return 0;
}

int mp__pickler_put(mp__pickler_t *p, const void *data, size_t n)
{
    int rc = mp__pickler_room(p, n);
    if (rc == 0 && n) {
        memcpy(p->buf + p->len, data, n);
        p->len += n;
    }
    return rc;
}

/* An opcode and a little-endian operand of `width` bytes. */
int mp__pickler_op_le(mp__pickler_t *p, unsigned op, uint64_t v, int width)
{
    int rc = mp__pickler_room(p, 1 + (size_t)width);
    if (rc == 0) {
        p->buf[p->len++] = (unsigned char)op;
        for (int i = 0; i < width; i++, v >>= 8)
            p->buf[p->len++] = (unsigned char)v;
    }
    return rc;
}

/* An opcode and its protocol 0 text operand, ended by a newline. */
int mp__pickler_op_text(mp__pickler_t *p, unsigned op, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + 1, sizeof buf - 2, fmt, ap);
    va_end(ap);
    buf[0] = (char)op;
    buf[n + 1] = '\n';
    return mp__pickler_put(p, buf, (size_t)n + 2);
}

int mp__pickler_push(mp__pickler_t *p, const mp_obj_t *o)
{
    if (p->sp == p->scap) {
        size_t cap = p->scap ? 2 * p->scap : 32;
        mp__pframe_t *st = cap <= SIZE_MAX / sizeof *st ? realloc(p->st, cap * sizeof *st) : NULL;
        if (!st)
            return mp__fail(MP_ENOMEM, "out of memory");
        p->st = st;
        p->scap = cap;
    }
    p->st[p->sp++] = (mp__pframe_t){o, 0, 0, 0, 1, 0, 0};
    return 0;
}

/* ---- int, float ---------------------------------------------------------------------------- */

/* LONG1 of an int64 beyond BININT's range: a square of a Pool task's item is often one, and
 * the general path's byte conversion cost more than the rest of the pickling. */
static int long_small(mp__pickler_t *p, int64_t v)
{
    int rc = mp__pickler_room(p, 10);
    if (rc < 0)
        return rc;
    /* The fewest bytes of two's complement that hold v, sign bit included: v's significant
     * bits (those of ~v for a negative v) and one for the sign. */
    uint64_t mag = (uint64_t)(v < 0 ? ~v : v);
    size_t bits = mag ? 65 - (size_t)__builtin_clzll(mag) : 1;
    size_t n = (bits + 7) / 8;
    unsigned char *b = p->buf + p->len;
    b[0] = MP__OP_LONG1, b[1] = (unsigned char)n;
    uint64_t u = (uint64_t)v;
    for (size_t i = 0; i < n; i++, u >>= 8)
        b[2 + i] = (unsigned char)u;
    p->len += 2 + n;
    return 0;
}

static int long_binary(mp__pickler_t *p, const mp_obj_t *o)
{
    if (!(o->flags & MP__F_BIG))
        return long_small(p, MP__SMALL(o)->v);
    size_t n = mp_int_nbytes(o);
    if (n > INT32_MAX)
        return mp__fail(MP_EENCODE, "pickle: an int of %zu bytes is too large for LONG4", n);
    int rc = n < 256 ? mp__pickler_op_le(p, MP__OP_LONG1, n, 1)
                     : mp__pickler_op_le(p, MP__OP_LONG4, n, 4);
    if (rc == 0)
        rc = mp__pickler_room(p, n);
    if (rc == 0 && (rc = mp_int_to_bytes(o, p->buf + p->len, n, 1)) == 0)
        p->len += n;
    return rc;
}

/* Protocols 0 and 1 write big ints as decimal text, which CPython reads only up to 4300
 * digits: a bigger int is refused here rather than sent where it cannot be read. */
static int long_text(mp__pickler_t *p, const mp_obj_t *o)
{
    enum { MAX_DIGITS = 4300 };
    char *s = mp_int_nbytes(o) <= 1800 ? mp_int_to_str(o) : NULL; /* 1801 bytes: > 4330 digits */
    if (!s && mp_int_nbytes(o) <= 1800)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t n = s ? strlen(s) : SIZE_MAX;
    int rc = 0;
    if (!s || n - (s[0] == '-') > MAX_DIGITS)
        rc = mp__fail(MP_EENCODE,
                      "pickle: an int of more than %d digits cannot be written at "
                      "protocol %d (CPython reads at most %d); use protocol 2 or "
                      "more",
                      MAX_DIGITS, p->proto, MAX_DIGITS);
    if (rc == 0)
        rc = mp__pickler_room(p, n + 3);
    if (rc == 0) {
        p->buf[p->len++] = MP__OP_LONG;
        memcpy(p->buf + p->len, s, n);
        p->len += n;
        p->buf[p->len++] = 'L';
        p->buf[p->len++] = '\n';
    }
    free(s);
    return rc;
}

/* BININT1, BININT2 or BININT for v, if one holds it (protocol 1 and up): 1 when written. */
static int small_int(mp__pickler_t *p, int64_t v)
{
    unsigned char *b = p->buf + p->len; /* the caller made room for 5 bytes */
    if (v >= 0 && v < 0x100) {
        b[0] = MP__OP_BININT1, b[1] = (unsigned char)v;
        p->len += 2;
    } else if (v >= 0 && v < 0x10000) {
        b[0] = MP__OP_BININT2, b[1] = (unsigned char)v, b[2] = (unsigned char)(v >> 8);
        p->len += 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        uint32_t u = (uint32_t)v;
        b[0] = MP__OP_BININT, b[1] = (unsigned char)u, b[2] = (unsigned char)(u >> 8);
        b[3] = (unsigned char)(u >> 16), b[4] = (unsigned char)(u >> 24);
        p->len += 5;
    } else {
        return 0;
    }
    return 1;
}

static int write_int(mp__pickler_t *p, const mp_obj_t *o)
{
    if (o->type == MP_TYPE_BOOL) {
        int v = MP__SMALL(o)->v != 0;
        if (p->proto >= 2)
            return mp__pickler_op(p, v ? MP__OP_NEWTRUE : MP__OP_NEWFALSE);
        return mp__pickler_op_text(p, MP__OP_INT, "%s", v ? "01" : "00");
    }
    if (!(o->flags & MP__F_BIG)) {
        int64_t v = MP__SMALL(o)->v;
        int rc = p->proto >= 1 ? mp__pickler_room(p, 5) : 0;
        if (rc < 0 || (p->proto >= 1 && small_int(p, v)))
            return rc;
        if (p->proto == 0 && v >= INT32_MIN && v <= INT32_MAX)
            return mp__pickler_op_text(p, MP__OP_INT, "%lld", (long long)v);
    }
    return p->proto >= 2 ? long_binary(p, o) : long_text(p, o);
}

static int write_float(mp__pickler_t *p, const mp_obj_t *o)
{
    double d = MP__FLOAT(o)->v;
    if (p->proto == 0) {
        char *r = mp_repr(o);
        int rc = r ? mp__pickler_op_text(p, MP__OP_FLOAT, "%s", r) : MP_ENOMEM;
        free(r);
        return rc;
    }
    uint64_t bits, be = 0;
    memcpy(&bits, &d, sizeof bits);
    for (int i = 0; i < 8; i++, bits >>= 8) /* big-endian, unlike every other operand */
        be = be << 8 | (bits & 0xFF);
    return mp__pickler_op_le(p, MP__OP_BINFLOAT, be, 8);
}

/* ---- text and bytes ------------------------------------------------------------------------ */

/* The code point at s[*i] of valid UTF-8 (lone surrogates included), advancing *i. */
static uint32_t next_cp(const unsigned char *s, size_t *i)
{
    uint32_t c = s[(*i)++];
    if (c < 0x80)
        return c;
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    c &= 0x3F >> more;
    while (more--)
        c = c << 6 | (s[(*i)++] & 0x3F);
    return c;
}

/* Protocol 0's UNICODE: raw-unicode-escape, with the backslash, NUL, newline, CR and ^Z also
 * escaped as CPython does, so that the line holds no newline and reads back exactly. */
static int text_p0(mp__pickler_t *p, const char *utf8, size_t n)
{
    const unsigned char *s = (const unsigned char *)utf8;
    int rc = n > SIZE_MAX / 6 - 4 ? MP_ENOMEM : mp__pickler_room(p, 6 * n + 2);
    if (rc < 0)
        return rc;
    p->buf[p->len++] = MP__OP_UNICODE;
    for (size_t i = 0; i < n;) {
        uint32_t c = next_cp(s, &i);
        if (c && c < 0x100 && !strchr("\\\n\r\x1a", (int)c))
            p->buf[p->len++] = (unsigned char)c;
        else if (c < 0x10000)
            p->len += (size_t)sprintf((char *)p->buf + p->len, "\\u%04x", (unsigned)c);
        else
            p->len += (size_t)sprintf((char *)p->buf + p->len, "\\U%08x", (unsigned)c);
    }
    p->buf[p->len++] = '\n';
    return 0;
}

static int write_text(mp__pickler_t *p, const char *utf8, size_t n)
{
    int rc;
    if (p->proto == 0)
        return text_p0(p, utf8, n);
    if (p->proto >= 4 && n < 256)
        rc = mp__pickler_op_le(p, MP__OP_SHORT_BINUNICODE, n, 1);
    else if (n <= UINT32_MAX)
        rc = mp__pickler_op_le(p, MP__OP_BINUNICODE, n, 4);
    else if (p->proto >= 4)
        rc = mp__pickler_op_le(p, MP__OP_BINUNICODE8, n, 8);
    else
        return mp__fail(MP_EENCODE, "pickle: a str of 4 GiB or more needs protocol 4");
    return rc < 0 ? rc : mp__pickler_put(p, utf8, n);
}

int mp__pickler_global(mp__pickler_t *p, const char *module, const char *name)
{
    if (!module) /* CPython names builtins by Python 2's name below protocol 3 */
        module = p->proto >= 3 ? "builtins" : "__builtin__";
    size_t nm = strlen(module), nn = strlen(name);
    int rc = mp__pickler_room(p, nm + nn + 3);
    if (rc == 0) {
        p->buf[p->len++] = MP__OP_GLOBAL;
        memcpy(p->buf + p->len, module, nm);
        p->buf[p->len + nm] = '\n';
        memcpy(p->buf + p->len + nm + 1, name, nn);
        p->buf[p->len + nm + nn + 1] = '\n';
        p->len += nm + nn + 2;
    }
    return rc;
}

/* `_codecs.encode(text, 'latin1')`, where text has one character per byte. */
static int bytes_latin1(mp__pickler_t *p, const unsigned char *b, size_t n)
{
    char *utf8 = n <= SIZE_MAX / 2 ? malloc(2 * n) : NULL;
    if (!utf8)
        return mp__fail(MP_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] < 0x80) {
            utf8[k++] = (char)b[i];
        } else {
            utf8[k++] = (char)(0xC0 | b[i] >> 6);
            utf8[k++] = (char)(0x80 | (b[i] & 0x3F));
        }
    }
    int rc = mp__pickler_global(p, "_codecs", "encode");
    if (rc == 0 && p->proto < 2)
        rc = mp__pickler_op(p, MP__OP_MARK);
    if (rc == 0)
        rc = write_text(p, utf8, k);
    if (rc == 0)
        rc = write_text(p, "latin1", 6);
    if (rc == 0)
        rc = mp__pickler_op(p, p->proto >= 2 ? MP__OP_TUPLE2 : MP__OP_TUPLE);
    free(utf8);
    return rc < 0 ? rc : mp__pickler_op(p, MP__OP_REDUCE);
}

static int write_bytes(mp__pickler_t *p, const unsigned char *b, size_t n)
{
    int rc;
    if (p->proto < 3 && n)
        return bytes_latin1(p, b, n);
    if (p->proto < 3) { /* bytes() */
        rc = mp__pickler_global(p, NULL, "bytes");
        if (rc == 0)
            rc =
                p->proto >= 1 ? mp__pickler_op(p, MP__OP_EMPTY_TUPLE) : mp__pickler_put(p, "(t", 2);
        return rc < 0 ? rc : mp__pickler_op(p, MP__OP_REDUCE);
    }
    if (n < 256)
        rc = mp__pickler_op_le(p, MP__OP_SHORT_BINBYTES, n, 1);
    else if (n <= UINT32_MAX)
        rc = mp__pickler_op_le(p, MP__OP_BINBYTES, n, 4);
    else if (p->proto >= 4)
        rc = mp__pickler_op_le(p, MP__OP_BINBYTES8, n, 8);
    else
        return mp__fail(MP_EENCODE, "pickle: bytes of 4 GiB or more need protocol 4");
    return rc < 0 ? rc : mp__pickler_put(p, b, n);
}

static int write_bytearray(mp__pickler_t *p, const mp_obj_t *o)
{
    const unsigned char *b = (const unsigned char *)MP__STR(o)->data;
    size_t n = MP__STR(o)->len;
    int rc;
    if (p->proto >= 5) {
        p->wrote_bytearray = 1;
        rc = mp__pickler_op_le(p, MP__OP_BYTEARRAY8, n, 8);
        return rc < 0 ? rc : mp__pickler_put(p, b, n);
    }
    rc = mp__pickler_global(p, NULL, "bytearray");
    if (rc == 0 && p->proto < 2)
        rc = mp__pickler_op(p, MP__OP_MARK);
    if (rc == 0)
        rc = write_bytes(p, b, n);
    if (rc == 0)
        rc = mp__pickler_op(p, p->proto >= 2 ? MP__OP_TUPLE1 : MP__OP_TUPLE);
    return rc < 0 ? rc : mp__pickler_op(p, MP__OP_REDUCE);
}

/* ---- any scalar ---------------------------------------------------------------------------- */

int mp__pickler_scalar(mp__pickler_t *p, const mp_obj_t *o)
{
    switch (o->type) {
    case MP_TYPE_NONE:
        return mp__pickler_op(p, MP__OP_NONE);
    case MP_TYPE_BOOL:
    case MP_TYPE_INT:
        return write_int(p, o);
    case MP_TYPE_FLOAT:
        return write_float(p, o);
    case MP_TYPE_STR:
        return write_text(p, MP__STR(o)->data, MP__STR(o)->len);
    case MP_TYPE_BYTES:
        return write_bytes(p, (const unsigned char *)MP__STR(o)->data, MP__STR(o)->len);
    default:
        return write_bytearray(p, o);
    }
}

int mp__pickler_small_ints(mp__pickler_t *p, mp_obj_t *const *items, size_t n, size_t *i)
{
    size_t k = *i; /* a local: the byte stores below could alias *i */
    int rc = 0;
    while (k < n && items[k]->type == MP_TYPE_INT && !(items[k]->flags & MP__F_BIG)) {
        if (p->cap - p->len < 5 && (rc = mp__pickler_room(p, 5)) < 0)
            break;
        if (!small_int(p, MP__SMALL(items[k])->v))
            break;
        k++;
    }
    *i = k;
    return rc;
}
