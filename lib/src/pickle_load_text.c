/* The decoder's protocol 0 opcodes (operands as text lines), and the opcodes that name and call
 * the constructors of old protocols: GLOBAL and STACK_GLOBAL push the inert stand-in of a name
 * that pickle_whitelist.c allows (and refuse every other name), REDUCE lets the stand-in build
 * its value from arguments of the expected types. Nothing is looked up and nothing is called. */
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

/* ---- GLOBAL and STACK_GLOBAL ------------------------------------------------------------ */

/* A name from the input, fit to quote in a message. */
static void quote(char *buf, size_t size, const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i < n && i + 4 < size && i < 40; i++)
        buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    if (i < n)
        buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
    buf[i] = '\0';
}

static int push_global(mp__unpickler_t *u, const unsigned char *mod, size_t nm,
                       const unsigned char *name, size_t nn)
{
    mp_obj_t *tag = mp__whitelist_find(mod, nm, name, nn);
    if (tag) {
        u->saw_tag = 1;
        return mp__unpickle_push(u, tag);
    }
    char m[48], n[48];
    quote(m, sizeof m, mod, nm);
    quote(n, sizeof n, name, nn);
    return mp__unpickle_fail(u, "refused: '%s.%s' is not one of " MP__WHITELIST_NAMES, m, n);
}

/* ---- text operands ------------------------------------------------------------------------- */

/* The operand up to the next newline (which is consumed, not included). */
static const unsigned char *line(mp__unpickler_t *u, size_t *n)
{
    const unsigned char *p = u->in + u->pos;
    const unsigned char *nl = memchr(p, '\n', u->len - u->pos);
    if (!nl) {
        mp__unpickle_fail(u, "pickle data was truncated: no newline ends the operand");
        return NULL;
    }
    *n = (size_t)(nl - p);
    u->pos += *n + 1;
    return p;
}

int mp__op_global(mp__unpickler_t *u, int arg)
{
    (void)arg;
    size_t nm, nn;
    const unsigned char *mod = line(u, &nm);
    const unsigned char *name = mod ? line(u, &nn) : NULL;
    return name ? push_global(u, mod, nm, name, nn) : MP_EDECODE;
}

int mp__op_stack_global(mp__unpickler_t *u, int arg)
{
    (void)arg;
    mp_obj_t *name = NULL, *mod = NULL;
    int rc = mp__unpickle_pop(u, &name);
    if (rc == 0)
        rc = mp__unpickle_pop(u, &mod);
    if (rc == 0 && (name->type != MP_TYPE_STR || mod->type != MP_TYPE_STR))
        rc = mp__unpickle_fail(u, "STACK_GLOBAL requires str");
    if (rc == 0)
        rc = push_global(u, (const unsigned char *)MP__STR(mod)->data, MP__STR(mod)->len,
                         (const unsigned char *)MP__STR(name)->data, MP__STR(name)->len);
    mp_obj_decref(name);
    mp_obj_decref(mod);
    return rc;
}

/* Decimal digits, with an optional sign; 0 if the text is anything else or too long. */
static size_t digits(mp__unpickler_t *u, const unsigned char *p, size_t n)
{
    size_t i = n && (p[0] == '-' || p[0] == '+');
    if (i == n || n - i > u->lim.max_int_digits)
        return 0;
    for (size_t j = i; j < n; j++)
        if (p[j] < '0' || p[j] > '9')
            return 0;
    return n - i;
}

static int push_decimal(mp__unpickler_t *u, const unsigned char *p, size_t n)
{
    size_t nd = digits(u, p, n);
    if (!nd)
        return mp__unpickle_fail(u,
                                 n > u->lim.max_int_digits ? "more than %zu digits (max_int_digits)"
                                                           : "invalid literal for int()",
                                 u->lim.max_int_digits);
    int rc = mp__unpickle_charge(u, 2 * n + 64);
    char *s = rc < 0 ? NULL : malloc(n + 1);
    if (!s)
        return rc < 0 ? rc : mp__fail(MP_ENOMEM, "out of memory");
    memcpy(s, p, n);
    s[n] = '\0';
    mp_obj_t *o = nd <= 18 ? mp_int(strtoll(s, NULL, 10)) : mp_int_from_str(s);
    free(s);
    return mp__unpickle_push(u, o);
}

/* INT (arg 0: decimal, or 00 and 01 for False and True) and LONG (arg 1: decimal with an
 * optional trailing L). */
int mp__op_decimal(mp__unpickler_t *u, int is_long)
{
    size_t n;
    const unsigned char *p = line(u, &n);
    if (!p)
        return MP_EDECODE;
    if (!is_long && n == 2 && p[0] == '0' && (p[1] == '0' || p[1] == '1'))
        return mp__unpickle_push(u, mp_bool(p[1] == '1'));
    return push_decimal(u, p, is_long && n && p[n - 1] == 'L' ? n - 1 : n);
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* repr() text of a float. strtod alone would also take hex and "nan(...)", which repr never
 * writes, and would follow the program's LC_NUMERIC. */
int mp__op_float(mp__unpickler_t *u, int arg)
{
    (void)arg;
    size_t n;
    char buf[64];
    const unsigned char *p = line(u, &n);
    if (!p)
        return MP_EDECODE;
    int ok = n > 0 && n < sizeof buf;
    for (size_t i = 0; ok && i < n; i++)
        ok = strchr("0123456789+-.eEinfatyINFATY", p[i]) && p[i];
    char *end = buf;
    double d = 0;
    if (ok) {
        memcpy(buf, p, n);
        buf[n] = '\0';
        pthread_once(&c_locale_once, c_locale_init);
        d = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
    }
    if (!ok || end != buf + n)
        return mp__unpickle_fail(u, "could not convert string to float");
    int rc = mp__unpickle_charge(u, 48);
    return rc < 0 ? rc : mp__unpickle_push(u, mp_float(d));
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) { /* lone surrogates too, as 'surrogatepass' writes them */
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One \uXXXX or \UXXXXXXXX escape (p points after the backslash); its length, or 0. */
static size_t escape(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t k = p[0] == 'u' ? 4 : 8;
    if (n < k + 1)
        return 0;
    *cp = 0;
    for (size_t i = 1; i <= k; i++) {
        int c = p[i];
        int v = c >= '0' && c <= '9'                     ? c - '0'
                : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                         : -1;
        if (v < 0)
            return 0;
        *cp = *cp << 4 | (uint32_t)v;
    }
    return *cp <= 0x10FFFF ? k + 1 : 0;
}

/* raw-unicode-escape: bytes are code points U+0000..U+00FF, except that a backslash run of odd
 * length followed by u or U makes its last backslash start an escape. The UTF-8 is at most
 * twice as long as the text. */
static size_t raw_unicode_escape(const unsigned char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] != '\\') {
            o += put_utf8(out + o, p[i++]);
            continue;
        }
        size_t run = 0;
        while (i < n && p[i] == '\\')
            out[o++] = '\\', run++, i++;
        if (run % 2 == 0 || i == n || (p[i] != 'u' && p[i] != 'U'))
            continue;
        uint32_t cp;
        size_t k = escape(p + i, n - i, &cp);
        if (!k)
            return SIZE_MAX;
        o += put_utf8(out + o - 1, cp) - 1;
        i += k;
    }
    return o;
}

int mp__op_unicode(mp__unpickler_t *u, int arg)
{
    (void)arg;
    size_t n;
    const unsigned char *p = line(u, &n);
    if (!p)
        return MP_EDECODE;
    int rc = mp__unpickle_charge(u, 48 + 2 * n + 1);
    char *buf = rc < 0 ? NULL : malloc(2 * n + 1);
    if (!buf)
        return rc < 0 ? rc : mp__fail(MP_ENOMEM, "out of memory");
    size_t len = raw_unicode_escape(p, n, buf);
    mp_obj_t *s = NULL;
    if (len != SIZE_MAX)
        rc = mp__str_decode(buf, len, MP_UTF8_SURROGATEPASS, &s);
    free(buf);
    if (len == SIZE_MAX)
        return mp__unpickle_fail(u, "a bad \\uXXXX or \\UXXXXXXXX escape");
    return rc < 0 ? rc : mp__unpickle_push(u, s);
}

/* ---- protocol 0 memo -------------------------------------------------------- */

static int text_index(mp__unpickler_t *u, size_t *idx)
{
    size_t n;
    const unsigned char *p = line(u, &n);
    if (!p)
        return MP_EDECODE;
    if (n == 0 || n > 18)
        return mp__unpickle_fail(u, "a memo index must be decimal");
    *idx = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return mp__unpickle_fail(u, "a memo index must be decimal");
        *idx = *idx * 10 + (size_t)(p[i] - '0');
    }
    return 0;
}

/* PUT (arg 0) and GET (arg 1), with a decimal index. */
int mp__op_text_memo(mp__unpickler_t *u, int get)
{
    size_t idx = 0;
    int rc = text_index(u, &idx);
    if (rc < 0)
        return rc;
    return get ? mp__unpickle_memo_get(u, idx) : mp__unpickle_memo_put(u, idx);
}

/* ---- REDUCE on a stand-in ------------------------------------------------------------------ */

int mp__op_reduce(mp__unpickler_t *u, int arg)
{
    (void)arg;
    mp_obj_t *args = NULL, *fn = NULL;
    int rc = mp__unpickle_pop(u, &args);
    if (rc == 0)
        rc = mp__unpickle_pop(u, &fn);
    if (rc == 0 && !mp__unpickle_is_tag(fn))
        rc = mp__unpickle_fail(u, "refused: REDUCE calls only " MP__WHITELIST_NAMES
                                  ", named by GLOBAL");
    if (rc == 0 && args->type != MP_TYPE_TUPLE)
        rc = mp__unpickle_fail(u, "the arguments of REDUCE must be a tuple");
    size_t cost = 0;
    for (size_t i = 0; rc == 0 && i < MP__TUPLE(args)->n; i++) {
        const mp_obj_t *a = MP__TUPLE(args)->item[i];
        cost += a->type == MP_TYPE_LIST                              ? 64 * MP__LIST(a)->n
                : a->type == MP_TYPE_STR || a->type == MP_TYPE_BYTES ? MP__STR(a)->len
                                                                     : 0;
    }
    if (rc == 0)
        rc = mp__unpickle_charge(u, 48 + cost);
    mp_obj_t *v = NULL;
    if (rc == 0)
        rc = mp__whitelist_call(fn, args, &v);
    if (rc == MP_EDECODE) /* the message says why; the opcode and its offset go first */
        rc = mp__unpickle_fail(u, "%s", mp_errmsg());
    mp_obj_decref(args);
    mp_obj_decref(fn);
    return rc < 0 ? rc : mp__unpickle_push(u, v);
}
