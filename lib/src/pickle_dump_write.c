/* What each value becomes at each protocol, as CPython's pickler writes it (minus FRAME and
 * the memo entries nothing refers to).
 *
 * Old protocols lack opcodes for some types: bytes below 3 is `_codecs.encode(text,
 * 'latin1')` (`bytes()` when empty), bytearray below 5 is `bytearray(bytes)`, set and
 * frozenset below 4 are `set(list)` and `frozenset(list)`, each a GLOBAL and a REDUCE that
 * mp_pickle_loads() also accepts. Protocol 0 writes numbers and text as lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_dump_impl.h"

enum {
    CLOSE_NONE,
    CLOSE_APPENDS,
    CLOSE_SETITEMS,
    CLOSE_ADDITEMS,
    CLOSE_FROZENSET,
    CLOSE_TUPLE,
    CLOSE_MARK_TUPLE,
    CLOSE_REDUCE
};

static int op(mp__pickler_t *p, unsigned opcode)
{
    return mp__pickler_op_le(p, opcode, 0, 0);
}

/* ---- int, float ---------------------------------------------------------------------------- */

static int long_binary(mp__pickler_t *p, const mp_obj_t *o)
{
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
            return op(p, v ? MP__OP_NEWTRUE : MP__OP_NEWFALSE);
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

static int global(mp__pickler_t *p, const char *module, const char *name)
{
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

/* The module CPython names builtins by: protocols below 3 use Python 2's name. */
static const char *builtins(const mp__pickler_t *p)
{
    return p->proto >= 3 ? "builtins" : "__builtin__";
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
    int rc = global(p, "_codecs", "encode");
    if (rc == 0 && p->proto < 2)
        rc = op(p, MP__OP_MARK);
    if (rc == 0)
        rc = write_text(p, utf8, k);
    if (rc == 0)
        rc = write_text(p, "latin1", 6);
    if (rc == 0)
        rc = op(p, p->proto >= 2 ? MP__OP_TUPLE2 : MP__OP_TUPLE);
    free(utf8);
    return rc < 0 ? rc : op(p, MP__OP_REDUCE);
}

static int write_bytes(mp__pickler_t *p, const unsigned char *b, size_t n)
{
    int rc;
    if (p->proto < 3 && n)
        return bytes_latin1(p, b, n);
    if (p->proto < 3) { /* bytes() */
        rc = global(p, builtins(p), "bytes");
        if (rc == 0)
            rc = p->proto >= 1 ? op(p, MP__OP_EMPTY_TUPLE) : mp__pickler_put(p, "(t", 2);
        return rc < 0 ? rc : op(p, MP__OP_REDUCE);
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
    rc = global(p, builtins(p), "bytearray");
    if (rc == 0 && p->proto < 2)
        rc = op(p, MP__OP_MARK);
    if (rc == 0)
        rc = write_bytes(p, b, n);
    if (rc == 0)
        rc = op(p, p->proto >= 2 ? MP__OP_TUPLE1 : MP__OP_TUPLE);
    return rc < 0 ? rc : op(p, MP__OP_REDUCE);
}

/* ---- containers ---------------------------------------------------------------------------- */

/* Pushes the frame that writes o's n children, each followed by `after` every `step`. */
static int frame(mp__pickler_t *p, const mp_obj_t *o, size_t n, unsigned after, unsigned step,
                 unsigned close)
{
    int rc = mp__pickler_push(p, o);
    if (rc == 0) {
        mp__pframe_t *f = &p->st[p->sp - 1];
        f->n = n;
        f->after = (uint8_t)after;
        f->step = (uint8_t)step;
        f->close = (uint8_t)close;
    }
    return rc;
}

/* A list is memoised before its items, so that an item can be the list itself. */
static int open_list(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__LIST(o)->n;
    int rc = p->proto >= 1 ? op(p, MP__OP_EMPTY_LIST) : mp__pickler_put(p, "(l", 2);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    if (p->proto >= 1 && n > 1) {
        rc = op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_APPENDS);
    }
    return frame(p, o, n, MP__OP_APPEND, 1, CLOSE_NONE);
}

static int open_dict(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = 2 * MP__TABLE(o)->n;
    int rc = p->proto >= 1 ? op(p, MP__OP_EMPTY_DICT) : mp__pickler_put(p, "(d", 2);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    if (p->proto >= 1) {
        rc = op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_SETITEMS);
    }
    return frame(p, o, n, MP__OP_SETITEM, 2, CLOSE_NONE);
}

/* Below protocol 4: set(list) or frozenset(list), the list written around the elements. */
static int open_old_set(mp__pickler_t *p, const mp_obj_t *o, size_t n)
{
    int rc = global(p, builtins(p), o->type == MP_TYPE_SET ? "set" : "frozenset");
    if (rc == 0 && p->proto < 2)
        rc = op(p, MP__OP_MARK);
    if (rc == 0)
        rc = p->proto >= 1 ? op(p, MP__OP_EMPTY_LIST) : mp__pickler_put(p, "(l", 2);
    if (rc == 0 && p->proto >= 1 && n > 1)
        rc = op(p, MP__OP_MARK);
    if (rc < 0)
        return rc;
    return frame(p, o, n, p->proto == 0 || n == 1 ? MP__OP_APPEND : 0, 1, CLOSE_REDUCE);
}

static int open_set(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__TABLE(o)->n;
    int rc;
    if (p->proto < 4)
        return open_old_set(p, o, n);
    if (o->type == MP_TYPE_FROZENSET) { /* memoised once made, by FROZENSET */
        rc = op(p, MP__OP_MARK);
        return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_FROZENSET);
    }
    rc = op(p, MP__OP_EMPTY_SET);
    if (rc == 0)
        rc = mp__pickler_memo_put(p, o);
    if (rc < 0 || n == 0)
        return rc;
    rc = op(p, MP__OP_MARK);
    return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_ADDITEMS);
}

static int open_tuple(mp__pickler_t *p, const mp_obj_t *o)
{
    size_t n = MP__TUPLE(o)->n;
    if (n == 0)
        return p->proto >= 1 ? op(p, MP__OP_EMPTY_TUPLE) : mp__pickler_put(p, "(t", 2);
    if (p->proto >= 2 && n <= 3)
        return frame(p, o, n, 0, 1, CLOSE_TUPLE);
    int rc = op(p, MP__OP_MARK);
    return rc < 0 ? rc : frame(p, o, n, 0, 1, CLOSE_MARK_TUPLE);
}

/* A tuple whose items were written. If writing them memoised the tuple (a cycle through a
 * list came back to it), the items and their MARK are dropped and the memoised tuple, which
 * is the same object, fetched instead. */
static int close_tuple(mp__pickler_t *p, const mp_obj_t *o, int marked)
{
    size_t n = MP__TUPLE(o)->n;
    if (p->memo.n && mp__ptrmap_get(&p->memo, o)) {
        int rc = 0;
        if (marked && p->proto >= 1)
            rc = op(p, MP__OP_POP_MARK);
        else /* at protocol 0 a last POP drops the MARK */
            for (size_t i = 0; rc == 0 && i < n + (marked ? 1 : 0); i++)
                rc = op(p, MP__OP_POP);
        if (rc == 0)
            rc = mp__pickler_memo_get(p, o);
        return rc < 0 ? rc : 0;
    }
    int rc = op(p, marked ? MP__OP_TUPLE : MP__OP_TUPLE1 + (unsigned)n - 1);
    return rc < 0 ? rc : mp__pickler_memo_put(p, o);
}

static int close_frame(mp__pickler_t *p, const mp__pframe_t *f)
{
    int rc = 0;
    switch (f->close) {
    case CLOSE_APPENDS:
        return op(p, MP__OP_APPENDS);
    case CLOSE_SETITEMS:
        return op(p, MP__OP_SETITEMS);
    case CLOSE_ADDITEMS:
        return op(p, MP__OP_ADDITEMS);
    case CLOSE_FROZENSET:
        rc = op(p, MP__OP_FROZENSET);
        return rc < 0 ? rc : mp__pickler_memo_put(p, f->o);
    case CLOSE_TUPLE:
    case CLOSE_MARK_TUPLE:
        return close_tuple(p, f->o, f->close == CLOSE_MARK_TUPLE);
    case CLOSE_REDUCE:
        if (p->proto >= 1 && f->n > 1)
            rc = op(p, MP__OP_APPENDS);
        if (rc == 0)
            rc = op(p, p->proto >= 2 ? MP__OP_TUPLE1 : MP__OP_TUPLE);
        if (rc == 0)
            rc = op(p, MP__OP_REDUCE);
        return rc < 0 ? rc : mp__pickler_memo_put(p, f->o);
    default:
        return 0;
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* Writes a scalar, or opens a container (its frame then writes the rest). */
static int start(mp__pickler_t *p, const mp_obj_t *o)
{
    int rc = p->memo.n && o->type >= MP_TYPE_STR ? mp__pickler_memo_get(p, o) : 0;
    if (rc)
        return rc < 0 ? rc : 0;
    switch (o->type) {
    case MP_TYPE_NONE:
        return op(p, MP__OP_NONE);
    case MP_TYPE_BOOL:
    case MP_TYPE_INT:
        return write_int(p, o);
    case MP_TYPE_FLOAT:
        return write_float(p, o);
    case MP_TYPE_STR:
        rc = write_text(p, MP__STR(o)->data, MP__STR(o)->len);
        break;
    case MP_TYPE_BYTES:
        rc = write_bytes(p, (const unsigned char *)MP__STR(o)->data, MP__STR(o)->len);
        break;
    case MP_TYPE_BYTEARRAY:
        rc = write_bytearray(p, o);
        break;
    case MP_TYPE_TUPLE:
        return open_tuple(p, o);
    case MP_TYPE_LIST:
        return open_list(p, o);
    case MP_TYPE_DICT:
        return open_dict(p, o);
    default:
        return open_set(p, o);
    }
    return rc < 0 ? rc : mp__pickler_memo_put(p, o);
}

/* The ints of a list or tuple, written in one loop while they last (a list of a million ints
 * is the common case worth it); the frame's index moves past them. */
static int small_ints(mp__pickler_t *p, mp__pframe_t *f)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(f->o, &n);
    while (items && f->i < n && items[f->i]->type == MP_TYPE_INT &&
           !(items[f->i]->flags & MP__F_BIG)) {
        int rc = p->cap - p->len >= 5 ? 0 : mp__pickler_room(p, 5);
        if (rc < 0)
            return rc;
        if (!small_int(p, MP__SMALL(items[f->i])->v))
            break;
        f->i++;
    }
    return 0;
}

int mp__pickler_write(mp__pickler_t *p, const mp_obj_t *o)
{
    int rc = start(p, o);
    while (rc == 0 && p->sp) {
        mp__pframe_t *f = &p->st[p->sp - 1];
        if (f->pending) {
            f->pending = 0;
            if (f->after && f->i % f->step == 0 && (rc = op(p, f->after)) < 0)
                break;
        }
        if (!f->after && p->proto >= 1 && (rc = small_ints(p, f)) < 0)
            break;
        if (f->i < f->n) {
            f->pending = 1;
            rc = start(p, mp__pickle_child(f->o, f->i++));
            continue;
        }
        mp__pframe_t done = *f;
        p->sp--;
        rc = close_frame(p, &done);
    }
    return rc;
}
