/* str, bytes and bytearray: one layout (mp__str_t) for the three.
 *
 * A str is UTF-8, validated once at construction, with its count of code points kept beside
 * it (len() and repr need it); lone surrogates pass only when asked for, since CPython's
 * pickle writes them ('surrogatepass') and a Python str may hold them. str and bytes compute
 * their hash on first use (mp__hash in object_impl.h): most never become a key. */
#include <stdlib.h>
#include <string.h>

#include "object_impl.h"

/* The length of the UTF-8 sequence starting at p[0..n), or 0 if it is invalid. Lone surrogates
 * (ED A0..BF xx) count as valid only when `surrogates` is set; *sur reports them. */
static size_t utf8_seq(const unsigned char *p, size_t n, int surrogates, int *sur)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below */
        else if (c == 0xED && n > 1 && p[1] >= 0xA0) {
            if (!surrogates)
                return 0;
            *sur = 1;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Inline in its three callers: a short str is made per key of a dict being decoded. */
static inline __attribute__((always_inline)) mp_obj_t *bytes_like(mp_type_t type, const void *p,
                                                                  size_t n)
{
    if (n > SIZE_MAX - sizeof(mp__str_t) - 1) {
        mp__set_errmsg("out of memory");
        return NULL;
    }
    mp__str_t *s = (mp__str_t *)mp__obj_alloc(type, sizeof *s + n + 1);
    if (!s)
        return NULL;
    mp__advise_fill(s->data, n);
    if (n)
        memcpy(s->data, p, n);
    s->data[n] = '\0';
    s->len = s->ncp = n;
    if (type != MP_TYPE_BYTEARRAY) {
        s->ob.u.hash = MP__HASH_UNSET; /* computed on first use: mp__hash() */
        s->ob.flags |= MP__F_HASHABLE;
    }
    return &s->ob;
}

int mp__str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors, mp_obj_t **out)
{
    const unsigned char *p = (const unsigned char *)utf8;
    size_t ncp = 0;
    int sur = 0;
    *out = NULL;
    if (n && !utf8) /* named for the public call, which is what the user made */
        return mp__fail(MP_EINVAL, "mp_str_decode: utf8 is NULL");
    size_t i = 0;
    /* ASCII, the common case, needs no decoding: eight bytes are checked at a time. */
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080u)
            break;
    }
    while (i < n && p[i] < 0x80)
        i++;
    ncp = i;
    for (; i < n; ncp++) {
        int s = 0;
        size_t len = utf8_seq(p + i, n - i, errors == MP_UTF8_SURROGATEPASS, &s);
        if (!len)
            return mp__fail(MP_EINVAL, "mp_str: invalid UTF-8 at byte %zu", i);
        sur |= s;
        i += len;
    }
    mp_obj_t *o = bytes_like(MP_TYPE_STR, utf8, n);
    if (!o)
        return MP_ENOMEM;
    ((mp__str_t *)o)->ncp = ncp;
    if (sur)
        o->flags |= MP__F_SURROGATE;
    *out = o;
    return 0;
}

/* The pointer form loses the code; mp_errmsg() still says why. */
mp_obj_t *mp_str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors)
{
    mp_obj_t *o;
    mp__str_decode(utf8, n, errors, &o);
    return o;
}

mp_obj_t *mp_str_n(const char *utf8, size_t n)
{
    if (n)
        MP__NEED_OR(utf8, NULL);
    return mp_str_decode(utf8, n, MP_UTF8_STRICT);
}

mp_obj_t *mp_str(const char *utf8)
{
    MP__NEED_OR(utf8, NULL);
    return mp_str_decode(utf8, strlen(utf8), MP_UTF8_STRICT);
}

const char *mp_str_data(const mp_obj_t *o, size_t *nbytes)
{
    MP__NEED_OR(o, NULL);
    if (o->type != MP_TYPE_STR)
        return NULL;
    if (nbytes)
        *nbytes = MP__STR(o)->len;
    return MP__STR(o)->data;
}

mp_obj_t *mp_bytes(const void *p, size_t n)
{
    if (n)
        MP__NEED_OR(p, NULL);
    return bytes_like(MP_TYPE_BYTES, p, n);
}

mp_obj_t *mp_bytearray(const void *p, size_t n)
{
    if (n)
        MP__NEED_OR(p, NULL);
    return bytes_like(MP_TYPE_BYTEARRAY, p, n);
}

const unsigned char *mp_bytes_data(const mp_obj_t *o, size_t *n)
{
    MP__NEED_OR(o, NULL);
    if (o->type != MP_TYPE_BYTES && o->type != MP_TYPE_BYTEARRAY)
        return NULL;
    if (n)
        *n = MP__STR(o)->len;
    return (const unsigned char *)MP__STR(o)->data;
}
