/* Numbers: int, exact at any size, and float; their conversions and their equality.
 *
 * An int whose value fits int64 is always an mp__small_t; only values outside that range are
 * mp__bigint_t (sign and magnitude, 32-bit limbs). Keeping that form canonical means two ints
 * are equal exactly when their representations are, and the int64 path never meets a big one.
 * Their hashes (CPython's) are object_hash.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_impl.h"

/* ---- magnitudes ---------------------------------------------------------------------------- */

typedef struct { /* a view of any int as sign and magnitude; use in place (limb may point at buf) */
    int neg;
    size_t n;
    const uint32_t *limb;
    uint32_t buf[2];
} mag_t;

static void mag_of(const mp_obj_t *o, mag_t *m)
{
    if (o->flags & MP__F_BIG) {
        m->neg = MP__BIG(o)->neg;
        m->n = MP__BIG(o)->n;
        m->limb = MP__BIG(o)->limb;
        return;
    }
    int64_t v = MP__SMALL(o)->v;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    m->neg = v < 0;
    m->buf[0] = (uint32_t)u;
    m->buf[1] = (uint32_t)(u >> 32);
    m->n = m->buf[1] ? 2 : m->buf[0] ? 1 : 0;
    m->limb = m->buf;
}

static size_t mag_bits(const uint32_t *limb, size_t n)
{
    return n ? (n - 1) * 32 + (32 - (size_t)__builtin_clz(limb[n - 1])) : 0;
}

static int mag_is_pow2(const uint32_t *limb, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (limb[i])
            return 0;
    return n && (limb[n - 1] & (limb[n - 1] - 1)) == 0;
}

static void mag_mul_add(uint32_t *limb, size_t *n, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < *n; i++) {
        uint64_t t = (uint64_t)limb[i] * mul + carry;
        limb[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        limb[(*n)++] = (uint32_t)carry;
}

static uint32_t mag_divmod(uint32_t *limb, size_t *n, uint32_t div)
{
    uint64_t rem = 0;
    for (size_t i = *n; i-- > 0;) {
        uint64_t cur = (rem << 32) | limb[i];
        limb[i] = (uint32_t)(cur / div);
        rem = cur % div;
    }
    while (*n && !limb[*n - 1])
        (*n)--;
    return (uint32_t)rem;
}

/* ---- construction -------------------------------------------------------------------------- */

/* The canonical int for sign and magnitude (leading zero limbs allowed); copies the limbs. */
static mp_obj_t *from_mag(int neg, const uint32_t *limb, size_t n)
{
    while (n && !limb[n - 1])
        n--;
    if (n <= 2) {
        uint64_t u = n ? limb[0] : 0;
        if (n == 2)
            u |= (uint64_t)limb[1] << 32;
        if (!neg && u <= INT64_MAX)
            return mp__int_small((int64_t)u);
        if (neg && u <= (uint64_t)INT64_MAX + 1)
            return mp__int_small(u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u);
    }
    if (n > (SIZE_MAX - sizeof(mp__bigint_t)) / sizeof *limb) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    mp__bigint_t *b = (mp__bigint_t *)mp__obj_alloc(MP_TYPE_INT, sizeof *b + n * sizeof *limb);
    if (!b)
        return NULL;
    b->neg = neg;
    b->n = n;
    memcpy(b->limb, limb, n * sizeof *limb);
    b->ob.u.hash = mp__hash_limbs(neg, limb, n);
    b->ob.flags |= MP__F_HASHABLE | MP__F_BIG;
    return &b->ob;
}

mp_obj_t *mp_int(int64_t v)
{
    return mp__int_small(v);
}

mp_obj_t *mp_int_from_u64(uint64_t v)
{
    uint32_t limb[2] = {(uint32_t)v, (uint32_t)(v >> 32)};
    return from_mag(0, limb, 2);
}

static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Checks Python's base-10 int() syntax; returns the number of digits, 0 if invalid. */
static size_t decimal_syntax(const char *s, const char **start, int *neg)
{
    while (is_space(*s))
        s++;
    *neg = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    *start = s;
    size_t digits = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        digits++;
        if (s[1] == '_' && s[2] >= '0' && s[2] <= '9')
            s++;
    }
    while (is_space(*s))
        s++;
    return *s ? 0 : digits;
}

mp_obj_t *mp_int_from_str(const char *decimal)
{
    const char *p;
    int neg;
    MP__NEED_OR(decimal, NULL);
    size_t digits = decimal_syntax(decimal, &p, &neg);
    if (!digits) {
        mp__set_errmsg("invalid literal for int() with base 10: '%.200s'", decimal);
        return NULL;
    }
    uint32_t *limb = malloc((digits / 9 + 2) * sizeof *limb);
    if (!limb) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    size_t n = 0;
    uint32_t chunk = 0, mul = 1;
    for (size_t done = 0; done < digits; p++) {
        if (*p == '_')
            continue;
        chunk = chunk * 10 + (uint32_t)(*p - '0');
        mul *= 10;
        if (++done % 9 == 0 || done == digits) {
            mag_mul_add(limb, &n, mul, chunk);
            chunk = 0;
            mul = 1;
        }
    }
    mp_obj_t *o = from_mag(neg, limb, n);
    free(limb);
    return o;
}

mp_obj_t *mp_int_from_bytes(const void *p, size_t n, int is_signed)
{
    const unsigned char *b = p;
    if (n)
        MP__NEED_OR(p, NULL);
    if (n > SIZE_MAX - 3) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    if (n <= 8 && (is_signed || n < 8)) {
        /* Fits an int64: no limbs to allocate (a pickled LONG1 of a few bytes comes here). */
        uint64_t u = 0;
        for (size_t i = n; i-- > 0;)
            u = u << 8 | b[i];
        if (is_signed && n && n < 8 && (b[n - 1] & 0x80))
            u |= ~(uint64_t)0 << (8 * n); /* sign extension */
        return mp_int((int64_t)u);
    }
    size_t nl = (n + 3) / 4;
    uint32_t *limb = calloc(nl ? nl : 1, sizeof *limb);
    if (!limb) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    /* A negative two's complement value's magnitude is its bitwise complement plus one. */
    int neg = is_signed && n && (b[n - 1] & 0x80);
    unsigned carry = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned byte = b[i];
        if (neg) {
            byte = (~byte & 0xFFu) + carry;
            carry = byte >> 8;
            byte &= 0xFFu;
        }
        limb[i / 4] |= (uint32_t)byte << (8 * (i % 4));
    }
    mp_obj_t *o = from_mag(neg, limb, nl);
    free(limb);
    return o;
}

/* ---- float ------------------------------------------------------------------------------------ */

mp_obj_t *mp_float(double v)
{
    mp__float_t *f = (mp__float_t *)mp__obj_alloc(MP_TYPE_FLOAT, sizeof *f);
    if (!f)
        return NULL;
    f->v = v; /* a plain copy keeps every bit, NaN payload and sign included */
    f->ob.u.hash = mp__hash_double(&f->ob, v);
    f->ob.flags |= MP__F_HASHABLE;
    return &f->ob;
}

double mp_float_value(const mp_obj_t *o)
{
    MP__NEED_OR(o, NAN);
    return o->type == MP_TYPE_FLOAT ? MP__FLOAT(o)->v : NAN;
}

/* ---- conversion ---------------------------------------------------------------------------- */

static int not_int(const mp_obj_t *o, const char *who)
{
    return mp__fail(MP_EINVAL, "%s: expected int, got %s", who, mp_type_name(o->type));
}

int mp_int_as_int64(const mp_obj_t *o, int64_t *out)
{
    MP__NEED(o);
    MP__NEED(out);
    if (!mp__is_int(o))
        return not_int(o, "mp_int_as_int64");
    if (o->flags & MP__F_BIG)
        return mp__fail(MP_EOVERFLOW, "int too big to convert to int64");
    *out = MP__SMALL(o)->v;
    return 0;
}

int mp_int_as_u64(const mp_obj_t *o, uint64_t *out)
{
    mag_t m;
    MP__NEED(o);
    MP__NEED(out);
    if (!mp__is_int(o))
        return not_int(o, "mp_int_as_u64");
    mag_of(o, &m);
    if (m.neg)
        return mp__fail(MP_EOVERFLOW, "can't convert negative int to unsigned");
    if (m.n > 2)
        return mp__fail(MP_EOVERFLOW, "int too big to convert to uint64");
    *out = (m.n ? m.limb[0] : 0) | (m.n == 2 ? (uint64_t)m.limb[1] << 32 : 0);
    return 0;
}

/* The fewest bytes holding the value: two's complement when is_signed, and 0 for zero. */
static size_t min_bytes(const mag_t *m, int is_signed)
{
    size_t bits = mag_bits(m->limb, m->n);
    if (!bits)
        return 0;
    if (!is_signed)
        return (bits + 7) / 8;
    if (m->neg && mag_is_pow2(m->limb, m->n))
        bits--; /* -2**k needs no more room than 2**k - 1 */
    return bits / 8 + 1;
}

size_t mp_int_nbytes(const mp_obj_t *o)
{
    mag_t m;
    MP__NEED_OR(o, 0);
    if (!mp__is_int(o))
        return 0;
    mag_of(o, &m);
    return min_bytes(&m, 1);
}

int mp_int_to_bytes(const mp_obj_t *o, void *buf, size_t n, int is_signed)
{
    mag_t m;
    unsigned char *out = buf;
    MP__NEED(o);
    if (n)
        MP__NEED(buf);
    if (!mp__is_int(o))
        return not_int(o, "mp_int_to_bytes");
    mag_of(o, &m);
    if (m.neg && !is_signed)
        return mp__fail(MP_EOVERFLOW, "can't convert negative int to unsigned");
    if (min_bytes(&m, is_signed) > n)
        return mp__fail(MP_EOVERFLOW, "int too big to convert");
    unsigned carry = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned byte = i / 4 < m.n ? (m.limb[i / 4] >> (8 * (i % 4))) & 0xFFu : 0;
        if (m.neg) {
            byte = (~byte & 0xFFu) + carry;
            carry = byte >> 8;
            byte &= 0xFFu;
        }
        out[i] = (unsigned char)byte;
    }
    return 0;
}

char *mp_int_to_str(const mp_obj_t *o)
{
    mag_t m;
    MP__NEED_OR(o, NULL);
    if (!mp__is_int(o)) {
        not_int(o, "mp_int_to_str");
        return NULL;
    }
    mag_of(o, &m);
    size_t n = m.n, nchunk = 0;
    uint32_t *work = malloc((n + 1) * sizeof *work);
    uint32_t *chunk = malloc((n * 32 / 29 + 2) * sizeof *chunk); /* 10**9 > 2**29 */
    char *s = malloc(n * 10 + 12);
    if (!work || !chunk || !s) {
        free(work), free(chunk), free(s);
        mp__set_errmsg("out of memory");
        return NULL;
    }
    memcpy(work, m.limb, n * sizeof *work);
    do
        chunk[nchunk++] = mag_divmod(work, &n, 1000000000u);
    while (n);
    char *p = s + sprintf(s, "%s%u", m.neg ? "-" : "", (unsigned)chunk[--nchunk]);
    while (nchunk)
        p += sprintf(p, "%09u", (unsigned)chunk[--nchunk]);
    free(work);
    free(chunk);
    return s;
}

int mp_number_as_double(const mp_obj_t *o, double *out)
{
    mag_t m;
    MP__NEED(o);
    MP__NEED(out);
    if (o->type == MP_TYPE_FLOAT) {
        *out = MP__FLOAT(o)->v;
        return 0;
    }
    if (!mp__is_int(o))
        return mp__fail(MP_EINVAL, "must be real number, not %s", mp_type_name(o->type));
    if (!(o->flags & MP__F_BIG)) {
        *out = (double)MP__SMALL(o)->v;
        return 0;
    }
    /* The top 64 bits, with every lower bit folded into bit 0 ("sticky"), round to the same
     * double as the whole magnitude: the rounding point is 11 bits above bit 0. */
    mag_of(o, &m);
    size_t shift = mag_bits(m.limb, m.n) - 64, q = shift / 32;
    unsigned r = (unsigned)(shift % 32);
    uint32_t l2 = q + 2 < m.n ? m.limb[q + 2] : 0;
    uint64_t low = m.limb[q] | (uint64_t)m.limb[q + 1] << 32;
    uint64_t top = r ? (low >> r) | ((uint64_t)l2 << (64 - r)) : low;
    int sticky = r && (m.limb[q] & ((1u << r) - 1));
    for (size_t i = 0; i < q && !sticky; i++)
        sticky = m.limb[i] != 0;
    double d = ldexp((double)(top | (uint64_t)sticky), (int)(shift > 2000 ? 2000 : shift));
    if (isinf(d))
        return mp__fail(MP_EOVERFLOW, "int too large to convert to float");
    *out = m.neg ? -d : d;
    return 0;
}

/* ---- equality ------------------------------------------------------------------------------ */

int mp__int_equal(const mp_obj_t *a, const mp_obj_t *b)
{
    mag_t x, y;
    if (!(a->flags & MP__F_BIG) && !(b->flags & MP__F_BIG))
        return MP__SMALL(a)->v == MP__SMALL(b)->v;
    mag_of(a, &x);
    mag_of(b, &y);
    return x.neg == y.neg && x.n == y.n && !memcmp(x.limb, y.limb, x.n * sizeof *x.limb);
}

int mp__int_equal_double(const mp_obj_t *i, double d)
{
    if (!isfinite(d) || d != trunc(d))
        return 0;
    if (!(i->flags & MP__F_BIG)) {
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return 0;
        return (int64_t)d == MP__SMALL(i)->v;
    }
    /* A big int is at least 2**63 in magnitude; spell |d| out in limbs and compare. */
    if (fabs(d) < 9223372036854775808.0)
        return 0;
    uint32_t limb[34];
    size_t n = mp__double_limbs(d, limb);
    const mp__bigint_t *b = MP__BIG(i);
    return b->neg == (d < 0) && b->n == n && !memcmp(b->limb, limb, n * sizeof *limb);
}
