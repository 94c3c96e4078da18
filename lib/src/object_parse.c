/* mp_parse(): C variables from a value, after CPython's PyArg_Parse.
 *
 * The walk follows the format and the value together. Items are named by their position from 1,
 * nested ones with dots ("2.1"), so a message points at the exact item that did not match.
 * Units after a '|' that the value does not have are skipped: their arguments are still taken
 * off the va_list (untouched), so the units after them line up. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "object_impl.h"

#define MAX_NESTING 100

typedef struct {
    const char *f;
    va_list ap;
    int depth;
} pstate_t;

/* Where the walk is: item `i` (from 1) of the group `up`; the value itself has up == NULL.
 * A Pool task parses its arguments once per item, so the name an error message needs is
 * spelled out only when there is an error. */
typedef struct ppath {
    const struct ppath *up;
    size_t i;
} ppath_t;

/* Writes "2.1" for `p` into buf (of cap bytes); returns the length written. */
static size_t path_str(const ppath_t *p, char *buf, size_t cap)
{
    if (!p->up)
        return 0;
    size_t n = path_str(p->up, buf, cap);
    int k = snprintf(buf + n, cap - n, n ? ".%zu" : "%zu", p->i);
    return k < 0 || (size_t)k >= cap - n ? cap - 1 : n + (size_t)k;
}

static int mismatch(const ppath_t *path, const char *want, const mp_obj_t *got)
{
    char name[128] = "";
    path_str(path, name, sizeof name);
    if (!*name)
        return mp__fail(MP_EINVAL, "mp_parse: expected %s, got %s", want, mp_type_name(got->type));
    return mp__fail(MP_EINVAL, "mp_parse: item %s: expected %s, got %s", name, want,
                    mp_type_name(got->type));
}

static int refused(const ppath_t *path, const char *why, int code)
{
    char name[128] = "";
    path_str(path, name, sizeof name);
    if (!*name)
        return mp__fail(code, "mp_parse: %s", why);
    return mp__fail(code, "mp_parse: item %s: %s", name, why);
}

/* The separators a format may hold between units, for the reader's eye. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == ',' || c == ':';
}

static int bad_format(char c)
{
    return mp__fail(MP_EINVAL, "mp_parse: bad format code '%c'", c);
}

static int has_hash(pstate_t *s)
{
    if (*s->f != '#')
        return 0;
    s->f++;
    return 1;
}

/* ---- numbers ------------------------------------------------------------------------------- */

/* A switch, not a table search: this runs for every integer unit of every parse. */
static int int_range(char c, int64_t *lo, uint64_t *hi)
{
    *lo = 0;
    switch (c) {
    case 'b':
    case 'B':
        *hi = UCHAR_MAX;
        return 1;
    case 'h':
        *lo = SHRT_MIN, *hi = SHRT_MAX;
        return 1;
    case 'i':
        *lo = INT_MIN, *hi = INT_MAX;
        return 1;
    case 'l':
        *lo = LONG_MIN, *hi = LONG_MAX;
        return 1;
    case 'L':
        *lo = LLONG_MIN, *hi = LLONG_MAX;
        return 1;
    case 'n':
        *lo = -SSIZE_MAX - 1, *hi = SSIZE_MAX;
        return 1;
    case 'H':
        *hi = USHRT_MAX;
        return 1;
    case 'I':
        *hi = UINT_MAX;
        return 1;
    case 'k':
        *hi = ULONG_MAX;
        return 1;
    case 'K':
        *hi = ULLONG_MAX;
        return 1;
    default:
        return 0;
    }
}

/* Takes the code's pointer off the list with its own type (va_arg needs the exact type). */
static void *int_dest(pstate_t *s, char c)
{
    switch (c) {
    case 'b':
    case 'B':
        return va_arg(s->ap, unsigned char *);
    case 'h':
        return va_arg(s->ap, short *);
    case 'H':
        return va_arg(s->ap, unsigned short *);
    case 'i':
        return va_arg(s->ap, int *);
    case 'I':
        return va_arg(s->ap, unsigned int *);
    case 'l':
        return va_arg(s->ap, long *);
    case 'k':
        return va_arg(s->ap, unsigned long *);
    case 'L':
        return va_arg(s->ap, long long *);
    case 'n':
        return va_arg(s->ap, ssize_t *);
    default:
        return va_arg(s->ap, unsigned long long *);
    }
}

static void store_int(void *dst, char c, int64_t v)
{
    switch (c) {
    case 'b':
    case 'B':
        *(unsigned char *)dst = (unsigned char)v;
        break;
    case 'h':
        *(short *)dst = (short)v;
        break;
    case 'H':
        *(unsigned short *)dst = (unsigned short)v;
        break;
    case 'i':
        *(int *)dst = (int)v;
        break;
    case 'I':
        *(unsigned int *)dst = (unsigned int)v;
        break;
    case 'l':
        *(long *)dst = (long)v;
        break;
    case 'k':
        *(unsigned long *)dst = (unsigned long)(uint64_t)v;
        break;
    case 'L':
        *(long long *)dst = (long long)v;
        break;
    case 'n':
        *(ssize_t *)dst = (ssize_t)v;
        break;
    default:
        *(unsigned long long *)dst = (unsigned long long)(uint64_t)v;
        break;
    }
}

/* An integer code: `o` NULL skips the unit (its pointer is still consumed). */
static int parse_int(pstate_t *s, char c, const mp_obj_t *o, const ppath_t *path)
{
    int64_t lo = 0, v = 0;
    uint64_t hi = 0, u = 0;
    void *dst = int_dest(s, c);
    int_range(c, &lo, &hi);
    if (!o)
        return 0;
    if (!mp__is_int(o))
        return mismatch(path, "int", o);
    if (lo < 0) {
        if (o->type == MP_TYPE_INT && !(o->flags & MP__F_BIG))
            v = MP__SMALL(o)->v; /* the common case, without a call */
        else if (mp_int_as_int64(o, &v) < 0)
            return refused(path, "int out of range for the C type", MP_EOVERFLOW);
        if (v < lo || (v > 0 && (uint64_t)v > hi))
            return refused(path, "int out of range for the C type", MP_EOVERFLOW);
    } else {
        if (mp_int_as_u64(o, &u) < 0 || u > hi)
            return refused(path, "int out of range for the C type", MP_EOVERFLOW);
        v = (int64_t)u; /* the unsigned stores convert it back modulo 2**64 */
    }
    store_int(dst, c, v);
    return 0;
}

static int parse_double(pstate_t *s, char c, const mp_obj_t *o, const ppath_t *path)
{
    void *dst = c == 'd' ? (void *)va_arg(s->ap, double *) : (void *)va_arg(s->ap, float *);
    double d;
    if (!o)
        return 0;
    if (o->type != MP_TYPE_FLOAT && !mp__is_int(o))
        return mismatch(path, "float", o);
    if (mp_number_as_double(o, &d) < 0)
        return refused(path, "int too large to convert to float", MP_EOVERFLOW);
    if (c == 'd')
        *(double *)dst = d;
    else
        *(float *)dst = (float)d;
    return 0;
}

/* ---- text ---------------------------------------------------------------------------------- */

/* s, z, y, Y: with '#' a pointer and a length, else a NUL-terminated pointer. */
static int parse_text(pstate_t *s, char c, const mp_obj_t *o, const ppath_t *path)
{
    int counted = has_hash(s);
    if (c == 'Y' && !counted)
        return bad_format('Y');
    const char **pp = va_arg(s->ap, const char **);
    size_t *np = counted ? va_arg(s->ap, size_t *) : NULL;
    if (!o)
        return 0;
    if (c == 'z' && o->type == MP_TYPE_NONE) {
        *pp = NULL;
        if (np)
            *np = 0;
        return 0;
    }
    int want = c == 'y' ? MP_TYPE_BYTES : c == 'Y' ? MP_TYPE_BYTEARRAY : MP_TYPE_STR;
    int ok = o->type == want || (counted && want == MP_TYPE_STR && o->type == MP_TYPE_BYTES);
    if (!ok)
        return mismatch(path,
                        c == 'z' ? (counted ? "str, bytes or None" : "str or None")
                        : want == MP_TYPE_STR && counted ? "str or bytes"
                                                         : mp_type_name(want),
                        o);
    if (o->type == MP_TYPE_STR && (o->flags & MP__F_SURROGATE))
        return refused(path, "surrogates not allowed", MP_EINVAL);
    if (!counted && memchr(MP__STR(o)->data, '\0', MP__STR(o)->len))
        return refused(path,
                       o->type == MP_TYPE_STR ? "embedded null character" : "embedded null byte",
                       MP_EINVAL);
    *pp = MP__STR(o)->data;
    if (np)
        *np = MP__STR(o)->len;
    return 0;
}

/* ---- structure ----------------------------------------------------------------------------- */

static int parse_unit(pstate_t *s, const mp_obj_t *o, const ppath_t *path);

/* Counts the units of a group up to `close`: *min before any '|', *max in all. */
static int count_units(const char *f, char close, size_t *min, size_t *max)
{
    int level = 0;
    *min = SIZE_MAX;
    *max = 0;
    for (; *f && !(level == 0 && *f == close); f++) {
        if (is_space(*f) || *f == '#')
            continue;
        if (*f == '|') {
            if (level == 0 && *min == SIZE_MAX)
                *min = *max;
        } else if (*f == '(' || *f == '[') {
            *max += level++ == 0;
        } else if (*f == ')' || *f == ']') {
            if (--level < 0)
                break;
        } else if (level == 0) {
            (*max)++;
        }
    }
    if (*f != close)
        return mp__fail(MP_EINVAL, "mp_parse: unbalanced brackets in the format");
    if (*min == SIZE_MAX)
        *min = *max;
    return 0;
}

static int length_error(const ppath_t *path, size_t min, size_t max, size_t n)
{
    char why[120];
    if (min == max)
        snprintf(why, sizeof why, "expected a sequence of %zu items, got %zu", max, n);
    else
        snprintf(why, sizeof why, "expected a sequence of %zu to %zu items, got %zu", min, max, n);
    return refused(path, why, MP_EINVAL);
}

/* A group: the cursor is after its opening bracket (or at the start, for the top level). */
static int parse_group(pstate_t *s, char close, const mp_obj_t *o, const ppath_t *path)
{
    size_t min, max, n = 0, i = 0;
    int rc = count_units(s->f, close, &min, &max);
    mp_obj_t *const *items = NULL;
    if (rc < 0)
        return rc;
    if (o) {
        items = mp__seq_items(o, &n);
        if (!items)
            return mismatch(path, close == ']' ? "list" : "tuple or list", o);
        if (close == ']' && o->type != MP_TYPE_LIST)
            return mismatch(path, "list", o);
        if (n < min || n > max)
            return length_error(path, min, max, n);
    }
    while (rc == 0 && *s->f != close) {
        if (is_space(*s->f) || *s->f == '|') {
            s->f++;
            continue;
        }
        ppath_t sub = {path, ++i};
        rc = parse_unit(s, o && i <= n ? items[i - 1] : NULL, &sub);
    }
    if (rc == 0 && close)
        s->f++;
    return rc;
}

static int parse_unit(pstate_t *s, const mp_obj_t *o, const ppath_t *path)
{
    char c = *s->f++;
    int64_t lo;
    uint64_t hi;
    if (int_range(c, &lo, &hi))
        return parse_int(s, c, o, path);
    switch (c) {
    case 'p': {
        int *dst = va_arg(s->ap, int *);
        if (o)
            *dst = mp_obj_truth(o);
        return 0;
    }
    case 'd':
    case 'f':
        return parse_double(s, c, o, path);
    case 's':
    case 'z':
    case 'y':
    case 'Y':
        return parse_text(s, c, o, path);
    case 'O': {
        mp_obj_t **dst = va_arg(s->ap, mp_obj_t **);
        if (o)
            *dst = (mp_obj_t *)o;
        return 0;
    }
    case '(':
    case '[': {
        if (++s->depth > MAX_NESTING)
            return mp__fail(MP_EINVAL, "mp_parse: format nested more than 100 deep");
        int rc = parse_group(s, c == '(' ? ')' : ']', o, path);
        s->depth--;
        return rc;
    }
    case '{':
        return mp__fail(MP_EINVAL, "mp_parse: '{' is not a parse code (read dicts with 'O')");
    default:
        return bad_format(c);
    }
}

/* Whether fmt is "(" one-letter units ")", the shape of a task's arguments: *k is their count.
 * Such a format needs no counting pass and no group bookkeeping (mp_vparse). Anything else
 * (a '#', a '|', spaces, nesting) takes the general walk. */
static int plain_tuple(const char *fmt, size_t *k)
{
    size_t i = 1;
    if (fmt[0] != '(')
        return 0;
    while ((fmt[i] >= 'a' && fmt[i] <= 'z') || (fmt[i] >= 'A' && fmt[i] <= 'Z'))
        i++;
    if (fmt[i] != ')' || fmt[i + 1])
        return 0;
    *k = i - 1;
    return 1;
}

static int parse_plain(pstate_t *s, const mp_obj_t *o, size_t k, const ppath_t *path)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(o, &n);
    if (!items)
        return mismatch(path, "tuple or list", o);
    if (n != k)
        return length_error(path, k, k, n);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        ppath_t sub = {path, i + 1};
        rc = parse_unit(s, items[i], &sub);
    }
    return rc;
}

int mp_vparse(const mp_obj_t *o, const char *fmt, va_list ap)
{
    size_t min, max;
    MP__NEED(o);
    MP__NEED(fmt);
    pstate_t s;
    s.f = fmt;
    s.depth = 0;
    va_copy(s.ap, ap);
    ppath_t top = {NULL, 0};
    if (plain_tuple(fmt, &max)) {
        s.f = fmt + 1;
        int rc = parse_plain(&s, o, max, &top);
        va_end(s.ap);
        return rc;
    }
    /* One unit reads the value itself; several (or a '|') read a tuple, as PyArg_ParseTuple. */
    int rc = count_units(fmt, '\0', &min, &max);
    if (rc == 0 && (max != 1 || min != 1)) {
        rc = parse_group(&s, '\0', o, &top);
    } else if (rc == 0) {
        while (is_space(*s.f))
            s.f++;
        rc = parse_unit(&s, o, &top);
        while (rc == 0 && is_space(*s.f))
            s.f++;
        if (rc == 0 && *s.f)
            rc = bad_format(*s.f);
    }
    va_end(s.ap);
    return rc;
}

int mp_parse(const mp_obj_t *o, const char *fmt, ...)
{
    va_list ap;
    MP__NEED(o);
    MP__NEED(fmt);
    va_start(ap, fmt);
    int rc = mp_vparse(o, fmt, ap);
    va_end(ap);
    return rc;
}
