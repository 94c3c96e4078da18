/* mp_build(): values from a format string, after CPython's Py_BuildValue.
 *
 * A recursive descent over the format; the recursion depth is the format's own nesting, which
 * the programmer wrote, and is capped anyway. Once something fails the walk goes on to the end
 * of the format without building, only to consume the remaining arguments: an `N` argument
 * must be released even when the call fails, or the caller's reference would leak (CPython
 * makes the same promise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "object_impl.h"

#define MAX_NESTING 100

typedef struct {
    const char *f;
    va_list ap;
    int failed;
    int depth;
} bstate_t;

static void skip_separators(bstate_t *s)
{
    while (*s->f == ' ' || *s->f == '\t' || *s->f == ',' || *s->f == ':')
        s->f++;
}

static int has_hash(bstate_t *s) /* consumes a '#' after the code */
{
    if (*s->f != '#')
        return 0;
    s->f++;
    return 1;
}

/* The first failure sets the message; later ones (while unwinding) keep it. */
static mp_obj_t *fail(bstate_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mp_obj_t *fail(bstate_t *s, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!s->failed)
        mp__set_errmsg("mp_build: %s", msg);
    s->failed = 1;
    return NULL;
}

/* A broken format: how many arguments follow is unknowable, so consuming stops here. */
static mp_obj_t *bad_format(bstate_t *s, const char *fmt, char c)
{
    fail(s, fmt, c);
    s->depth = -1;
    return NULL;
}

static mp_obj_t *checked(bstate_t *s, mp_obj_t *o)
{
    if (!o)
        s->failed = 1; /* the constructor set the message */
    return o;
}

static mp_obj_t *text(bstate_t *s, char code)
{
    int counted = has_hash(s);
    if (code == 'Y' && !counted)
        return bad_format(s, "'%c' needs '#'", code);
    const char *p = va_arg(s->ap, const char *);
    size_t n = counted ? va_arg(s->ap, size_t) : (p ? strlen(p) : 0);
    if (s->failed)
        return NULL;
    if (!p && code != 'Y')
        return mp_none();
    if (code == 's' || code == 'z')
        return checked(s, mp_str_n(p, n));
    return checked(s, code == 'y' ? mp_bytes(p, n) : mp_bytearray(p, n));
}

static mp_obj_t *object(bstate_t *s, char code)
{
    mp_obj_t *o = va_arg(s->ap, mp_obj_t *);
    if (s->failed) {
        if (code == 'N')
            mp_obj_decref(o);
        return NULL;
    }
    if (!o) { /* an earlier constructor failed: its message stands */
        s->failed = 1;
        return NULL;
    }
    return code == 'N' ? o : mp_obj_incref(o);
}

static mp_obj_t *integer(bstate_t *s, char code)
{
    int64_t v = 0;
    uint64_t u = 0;
    int is_unsigned = 0;
    switch (code) {
    case 'b':
    case 'h':
    case 'i':
    case 'B':
    case 'H':
        v = va_arg(s->ap, int);
        break;
    case 'I':
        v = va_arg(s->ap, unsigned int);
        break;
    case 'l':
        v = va_arg(s->ap, long);
        break;
    case 'L':
        v = va_arg(s->ap, long long);
        break;
    case 'n':
        v = va_arg(s->ap, ssize_t);
        break;
    case 'k':
        u = va_arg(s->ap, unsigned long), is_unsigned = 1;
        break;
    default: /* 'K' */
        u = va_arg(s->ap, unsigned long long), is_unsigned = 1;
    }
    if (s->failed)
        return NULL;
    return checked(s, is_unsigned ? mp_int_from_u64(u) : mp_int(v));
}

static mp_obj_t *build_unit(bstate_t *s);

/* The items up to `close`, as new references in a malloc'd array (also on failure, so the
 * caller can release what was built). */
static mp_obj_t **build_items(bstate_t *s, char close, size_t *n)
{
    size_t cap = 0;
    mp_obj_t **items = NULL;
    *n = 0;
    for (skip_separators(s); *s->f != close; skip_separators(s)) {
        if (!*s->f || strchr(")]}", *s->f)) {
            bad_format(s, "unbalanced brackets in the format%c", '.');
            break;
        }
        mp_obj_t *o = build_unit(s);
        if (*n == cap && o) {
            mp_obj_t **p = realloc(items, (cap = cap ? cap * 2 : 8) * sizeof *p);
            if (!p) {
                mp_obj_decref(o);
                o = NULL;
                fail(s, "out of memory");
            } else {
                items = p;
            }
        }
        if (o && items)
            items[(*n)++] = o;
        if (s->failed && (!*s->f || s->depth < 0))
            break;
    }
    if (*s->f == close && close)
        s->f++;
    return items;
}

static mp_obj_t *make_dict(bstate_t *s, mp_obj_t **items, size_t n)
{
    if (n % 2)
        return fail(s, "a dict needs key:value pairs, got %zu items", n);
    mp_obj_t *d = checked(s, mp__table_new(MP_TYPE_DICT, n / 2));
    for (size_t i = 0; d && i < n; i += 2) {
        if (mp__dict_setitem(d, items[i], items[i + 1]) < 0) {
            mp_obj_decref(d);
            d = NULL;
            s->failed = 1;
        }
    }
    return d;
}

static mp_obj_t *container(bstate_t *s, char open)
{
    char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    if (++s->depth > MAX_NESTING)
        return bad_format(s, "format nested more than 100 deep at '%c'", open);
    size_t n;
    mp_obj_t **items = build_items(s, close, &n);
    mp_obj_t *o = NULL;
    if (!s->failed) {
        if (open == '(')
            o = checked(s, mp_tuple_new(n, items));
        else if (open == '[')
            o = checked(s, mp_list_new(n, items));
        else
            o = make_dict(s, items, n);
    }
    for (size_t i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    free(items);
    if (s->depth > 0)
        s->depth--;
    return o;
}

static mp_obj_t *build_unit(bstate_t *s)
{
    char c = *s->f++;
    switch (c) {
    case 'b':
    case 'h':
    case 'i':
    case 'l':
    case 'L':
    case 'n':
    case 'B':
    case 'H':
    case 'I':
    case 'k':
    case 'K':
        return integer(s, c);
    case 'p': {
        int v = va_arg(s->ap, int);
        return s->failed ? NULL : mp_bool(v);
    }
    case 'd':
    case 'f': {
        double v = va_arg(s->ap, double);
        return s->failed ? NULL : checked(s, mp_float(v));
    }
    case 's':
    case 'z':
    case 'y':
    case 'Y':
        return text(s, c);
    case 'O':
    case 'S':
    case 'N':
        return object(s, c);
    case '(':
    case '[':
    case '{':
        return container(s, c);
    default:
        return bad_format(s, "bad format code '%c'", c);
    }
}

mp_obj_t *mp_vbuild(const char *fmt, va_list ap)
{
    bstate_t s;
    MP__NEED_OR(fmt, NULL);
    s.f = fmt;
    s.failed = s.depth = 0;
    va_copy(s.ap, ap);
    size_t n;
    mp_obj_t **items = build_items(&s, '\0', &n);
    va_end(s.ap);
    mp_obj_t *o = NULL;
    if (!s.failed)
        o = n == 0 ? mp_none() : n == 1 ? mp_obj_incref(items[0]) : mp_tuple_new(n, items);
    for (size_t i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    free(items);
    return o;
}

mp_obj_t *mp_build(const char *fmt, ...)
{
    va_list ap;
    MP__NEED_OR(fmt, NULL);
    va_start(ap, fmt);
    mp_obj_t *o = mp_vbuild(fmt, ap);
    va_end(ap);
    return o;
}
