/* repr(): the text CPython 3.11 prints for the same value.
 *
 * Containers are printed by a loop over an explicit stack, not by recursion, so any nesting
 * depth works (CPython itself would stop with RecursionError). Floats print the shortest digit
 * string that reads back to the same double, found by asking printf for 1, 2, ... 17 significant
 * digits; printf and strtod run under the "C" locale, so a program that set LC_NUMERIC to a
 * comma locale still gets Python's "1.5". */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_impl.h"

/* ---- output buffer ------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf_t;

static void sb_put(sbuf_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->cap - b->n <= n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->n <= n && cap <= SIZE_MAX / 2)
            cap *= 2;
        char *p = cap - b->n > n ? realloc(b->p, cap) : NULL;
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* ---- float --------------------------------------------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* printf's correctly rounded p-digit string is the p-digit number nearest x, but it can miss
 * x's round-trip interval where a neighbour hits it: at a power of two the interval is twice as
 * wide above x as below. So each length also tries the neighbours one unit in the last digit
 * away, which finds the shortest string that reads back, as Python's repr does. */
static int round_trips(double x, uint64_t mant, int exp10, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu64 "e%d", mant, exp10);
    return strtod(buf, NULL) == x;
}

static int try_digits(double x, int prec, uint64_t *mant, int *exp10)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
    uint64_t m = 0;
    const char *p = buf;
    for (; *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            m = m * 10 + (uint64_t)(*p - '0');
    *exp10 = atoi(p + 1) - (prec - 1); /* x ~ m * 10**exp10 */
    *mant = m;
    if (strtod(buf, NULL) == x)
        return 1;
    uint64_t lo = 1;
    for (int i = 1; i < prec; i++)
        lo *= 10; /* m stays within [lo, 10 * lo): prec digits */
    for (int d = -1; d <= 1; d += 2) {
        uint64_t n = m + (uint64_t)(int64_t)d;
        if (n >= lo && n < lo * 10 && round_trips(x, n, *exp10, buf, sizeof buf)) {
            *mant = n;
            return 1;
        }
    }
    return 0;
}

/* The shortest decimal digits of x > 0 (finite) that read back as x: x = 0.DIGITS * 10**decpt. */
static void shortest_digits(double x, char digits[20], int *decpt)
{
    uint64_t mant = 0;
    int exp10 = 0, prec = 1;
    pthread_once(&c_locale_once, c_locale_init);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    while (prec < 17 && !try_digits(x, prec, &mant, &exp10))
        prec++;
    if (prec == 17)
        try_digits(x, prec, &mant, &exp10); /* 17 digits always read back */
    if (old)
        uselocale(old);
    int n = snprintf(digits, 20, "%" PRIu64, mant);
    *decpt = exp10 + n;
    while (n > 1 && digits[n - 1] == '0')
        digits[--n] = '\0';
}

/* Python's float.__repr__: fixed notation when -4 < decpt <= 16, scientific otherwise. */
static void float_repr(sbuf_t *b, double x)
{
    char digits[20], out[48], *q = out;
    int decpt;
    if (isnan(x) || isinf(x) || x == 0) {
        sb_puts(b, isnan(x)   ? "nan"
                   : isinf(x) ? (x > 0 ? "inf" : "-inf")
                              : (signbit(x) ? "-0.0" : "0.0"));
        return;
    }
    shortest_digits(fabs(x), digits, &decpt);
    int nd = (int)strlen(digits);
    if (x < 0)
        *q++ = '-';
    if (decpt <= -4 || decpt > 16) {
        int e = decpt - 1;
        *q++ = digits[0];
        if (nd > 1)
            q += sprintf(q, ".%s", digits + 1);
        sprintf(q, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (decpt <= 0) {
        q = stpcpy(q, "0.");
        for (int i = decpt; i < 0; i++)
            *q++ = '0';
        stpcpy(q, digits);
    } else if (decpt < nd) {
        memcpy(q, digits, (size_t)decpt);
        sprintf(q + decpt, ".%s", digits + decpt);
    } else {
        q = stpcpy(q, digits);
        for (int i = nd; i < decpt; i++)
            *q++ = '0';
        stpcpy(q, ".0");
    }
    sb_puts(b, out);
}

/* ---- str and bytes ------------------------------------------------------------------------- */

/* Python's quote choice: single quotes unless the text has ' and no ". */
static char pick_quote(const char *s, size_t n)
{
    return memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
}

/* The escape every repr shares for ASCII; 0 if c prints as itself. */
static int ascii_escape(char *out, unsigned c, char quote)
{
    if (c == (unsigned char)quote || c == '\\')
        return sprintf(out, "\\%c", (char)c);
    if (c == '\t' || c == '\n' || c == '\r')
        return sprintf(out, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
    if (c < 0x20 || c == 0x7F)
        return sprintf(out, "\\x%02x", c);
    return 0;
}

static void bytes_repr(sbuf_t *b, const mp__str_t *s)
{
    char quote = pick_quote(s->data, s->len), esc[8];
    sb_put(b, "b", 1);
    sb_put(b, &quote, 1);
    for (size_t i = 0; i < s->len; i++) {
        unsigned c = (unsigned char)s->data[i];
        int n = c >= 0x80 ? sprintf(esc, "\\x%02x", c) : ascii_escape(esc, c, quote);
        if (n)
            sb_put(b, esc, (size_t)n);
        else
            sb_put(b, s->data + i, 1);
    }
    sb_put(b, &quote, 1);
}

/* Decodes one code point of stored (already validated) UTF-8; returns its byte length. */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    uint32_t v = p[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++)
        v = (v << 6) | (p[i] & 0x3Fu);
    *cp = v;
    return len;
}

static void str_repr(sbuf_t *b, const mp__str_t *s)
{
    char quote = pick_quote(s->data, s->len), esc[16];
    const unsigned char *p = (const unsigned char *)s->data;
    sb_put(b, &quote, 1);
    for (size_t i = 0; i < s->len;) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, &cp);
        int n = 0;
        if (cp < 0x80)
            n = ascii_escape(esc, cp, quote);
        else if (!mp__unicode_printable(cp))
            n = sprintf(esc,
                        cp <= 0xFF     ? "\\x%02x"
                        : cp <= 0xFFFF ? "\\u%04x"
                                       : "\\U%08x",
                        (unsigned)cp);
        if (n)
            sb_put(b, esc, (size_t)n);
        else
            sb_put(b, s->data + i, len);
        i += len;
    }
    sb_put(b, &quote, 1);
}

/* ---- values -------------------------------------------------------------------------------- */

/* CPython's default repr, as its Queue prints: the address is the handle's, so values wrapping
 * one handle print alike. */
static void handle_repr(sbuf_t *b, const mp__handle_t *h)
{
    char addr[32];
    snprintf(addr, sizeof addr, "%p", h->handle);
    sb_puts(b, "<");
    sb_puts(b, h->t->module);
    sb_puts(b, ".");
    sb_puts(b, h->t->name);
    sb_puts(b, " object at ");
    sb_puts(b, addr);
    sb_puts(b, ">");
}

static void scalar_repr(sbuf_t *b, const mp_obj_t *o)
{
    char num[32], *big = NULL;
    switch (o->type) {
    case MP_TYPE_NONE:
        sb_puts(b, "None");
        break;
    case MP_TYPE_BOOL:
        sb_puts(b, MP__SMALL(o)->v ? "True" : "False");
        break;
    case MP_TYPE_INT:
        if (o->flags & MP__F_BIG) {
            big = mp_int_to_str(o);
            b->oom |= !big;
            sb_puts(b, big ? big : "");
            free(big);
        } else {
            snprintf(num, sizeof num, "%lld", (long long)MP__SMALL(o)->v);
            sb_puts(b, num);
        }
        break;
    case MP_TYPE_FLOAT:
        float_repr(b, MP__FLOAT(o)->v);
        break;
    case MP_TYPE_STR:
        str_repr(b, MP__STR(o));
        break;
    case MP_TYPE_BYTES:
        bytes_repr(b, MP__STR(o));
        break;
    case MP_TYPE_HANDLE:
        handle_repr(b, MP__HANDLE(o));
        break;
    default: /* MP_TYPE_BYTEARRAY */
        sb_puts(b, "bytearray(");
        bytes_repr(b, MP__STR(o));
        sb_puts(b, ")");
    }
}

typedef struct {
    const mp_obj_t *o;
    size_t i, n; /* n counts children: a dict's keys and values both */
} rframe_t;

/* How each container opens, closes, and prints when empty. */
static const char *const open_s[] = {"(", "[", "{", "{", "frozenset({"};
static const char *const close_s[] = {")", "]", "}", "}", "})"};
static const char *const empty_s[] = {"()", "[]", "{}", "set()", "frozenset()"};

static const mp_obj_t *child(const mp_obj_t *o, size_t i)
{
    size_t n;
    mp_obj_t *const *items = mp__seq_items(o, &n);
    if (items)
        return items[i];
    const mp__entry_t *e = &MP__TABLE(o)->ent[o->type == MP_TYPE_DICT ? i / 2 : i];
    return o->type == MP_TYPE_DICT && i % 2 ? e->value : e->key;
}

static const char *separator(const rframe_t *f)
{
    if (f->o->type == MP_TYPE_DICT && f->i % 2)
        return ": ";
    return f->i ? ", " : "";
}

/* Whether o is open on the stack: a recursive value met again prints as Python's `[...]`. */
static int is_open(const mp_obj_t *o, const rframe_t *st, size_t sp)
{
    for (size_t i = 0; (o->flags & MP__F_CYCLE) && i < sp; i++)
        if (st[i].o == o)
            return 1;
    return 0;
}

/* Prints o, or opens it and pushes a frame; returns -1 if the stack cannot grow. */
static int begin(sbuf_t *b, const mp_obj_t *o, rframe_t **st, size_t *sp, size_t *cap)
{
    size_t n;
    if (!mp__is_container(o)) {
        scalar_repr(b, o);
        return 0;
    }
    if (is_open(o, *st, *sp)) {
        sb_puts(b, o->type == MP_TYPE_LIST ? "[...]" : o->type == MP_TYPE_DICT ? "{...}" : "(...)");
        return 0;
    }
    unsigned k = o->type - MP_TYPE_TUPLE;
    mp_obj_len(o, &n);
    if (!n) {
        sb_puts(b, empty_s[k]);
        return 0;
    }
    if (*sp == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        rframe_t *s = c <= SIZE_MAX / sizeof *s ? realloc(*st, c * sizeof *s) : NULL;
        if (!s)
            return -1;
        *st = s;
        *cap = c;
    }
    sb_puts(b, open_s[k]);
    (*st)[(*sp)++] = (rframe_t){o, 0, o->type == MP_TYPE_DICT ? 2 * n : n};
    return 0;
}

char *mp_repr(const mp_obj_t *o)
{
    MP__NEED_OR(o, NULL);
    sbuf_t b = {NULL, 0, 0, 0};
    rframe_t *st = NULL;
    size_t sp = 0, cap = 0;
    int rc = begin(&b, o, &st, &sp, &cap);
    while (rc == 0 && sp && !b.oom) {
        rframe_t *f = &st[sp - 1];
        if (f->i == f->n) {
            int one = f->n == 1 && f->o->type == MP_TYPE_TUPLE; /* (1,) */
            sb_puts(&b, one ? ",)" : close_s[f->o->type - MP_TYPE_TUPLE]);
            sp--;
            continue;
        }
        sb_puts(&b, separator(f));
        rc = begin(&b, child(f->o, f->i++), &st, &sp, &cap);
    }
    free(st);
    if (rc < 0 || b.oom) {
        free(b.p);
        mp__set_errmsg("out of memory");
        return NULL;
    }
    return b.p;
}
