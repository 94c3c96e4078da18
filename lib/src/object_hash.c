/* Every hash of libmp's values, and where a dict or set places a key.
 *
 * Two hashes serve two readers. mp_obj_hash() reports CPython's hash for numbers, a fact of
 * the language that users compare with Python's (documented under "Hashing of numeric types"):
 * an exact rational x hashes to x mod P, P = 2**61 - 1, with the sign applied afterwards and -1
 * turned into -2. Because 2**61 = 1 (mod P), multiplying by a power of two is a rotation of the
 * 61-bit residue, so a double m * 2**e needs no big arithmetic. That hash is public knowledge,
 * and anyone can make it collide (k * P for every k), so tables do not place keys by it: a
 * table places a number by SipHash of its canonical form (mp__place_number), keyed with the
 * process's random secret like str and bytes, so that a hostile pickle cannot make its keys
 * land together (docs/pages/deviations.md, "Hash flooding").
 *
 * SipHash-1-3 is the algorithm CPython uses for str and bytes, written here from its published
 * description (Aumasson and Bernstein, "SipHash: a fast short-input PRF"). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "object_impl.h"

#define HASH_P (((uint64_t)1 << 61) - 1)
#define HASH_INF 314159

/* ---- SipHash under the process's key ------------------------------------------------------- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;
static int sip_ready; /* set once sip_key holds the key: spares every hash a call to libc */

static void sip_init(void)
{
    if (getrandom(sip_key, sizeof sip_key, GRND_NONBLOCK) != (ssize_t)sizeof sip_key) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)getpid();
        sip_key[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&sip_key;
    }
    __atomic_store_n(&sip_ready, 1, __ATOMIC_RELEASE);
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static inline __attribute__((always_inline)) void sip_round(uint64_t v[4])
{
    v[0] += v[1], v[1] = ROTL(v[1], 13), v[1] ^= v[0], v[0] = ROTL(v[0], 32);
    v[2] += v[3], v[3] = ROTL(v[3], 16), v[3] ^= v[2];
    v[0] += v[3], v[3] = ROTL(v[3], 21), v[3] ^= v[0];
    v[2] += v[1], v[1] = ROTL(v[1], 17), v[1] ^= v[2], v[2] = ROTL(v[2], 32);
}

/* The initial state; `domain` tells the kinds of message apart (0 for str and bytes, whose
 * hashes must stay what they were), so that a number never places like some byte string. */
static inline __attribute__((always_inline)) void sip_start(uint64_t v[4], uint64_t domain)
{
    if (!__atomic_load_n(&sip_ready, __ATOMIC_ACQUIRE))
        pthread_once(&sip_once, sip_init);
    v[0] = sip_key[0] ^ 0x736f6d6570736575u;
    v[1] = sip_key[1] ^ 0x646f72616e646f6du ^ domain;
    v[2] = sip_key[0] ^ 0x6c7967656e657261u;
    v[3] = sip_key[1] ^ 0x7465646279746573u;
}

static inline __attribute__((always_inline)) void sip_word(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sip_round(v);
    v[0] ^= m;
}

static inline __attribute__((always_inline)) int64_t sip_finish(uint64_t v[4])
{
    v[2] ^= 0xFF;
    sip_round(v), sip_round(v), sip_round(v);
    return (int64_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

static inline __attribute__((always_inline)) int64_t sip(const void *p, size_t n, uint64_t domain)
{
    const unsigned char *b = p;
    uint64_t v[4];
    sip_start(v, domain);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m;
        memcpy(&m, b + i, 8); /* SipHash reads little-endian words, as this machine does */
        sip_word(v, m);
    }
    uint64_t last = (uint64_t)(n & 0xFF) << 56;
    for (size_t j = 0; i + j < n; j++)
        last |= (uint64_t)b[i + j] << (8 * j);
    sip_word(v, last);
    return sip_finish(v);
}

int64_t mp__hash_bytes(const void *p, size_t n)
{
    int64_t h = sip(p, n, 0);
    return h == MP__HASH_UNSET ? h + 1 : h;
}

int64_t mp__hash_slow(const mp_obj_t *o)
{
    int64_t h;
    if (o->type == MP_TYPE_TUPLE)
        h = mp__hash_tuple(MP__TUPLE(o)->item, MP__TUPLE(o)->n);
    else if (o->type == MP_TYPE_STR || o->type == MP_TYPE_BYTES)
        h = mp__hash_bytes(MP__STR(o)->data, MP__STR(o)->len);
    else
        return o->u.hash; /* a frozenset whose mixed hash happens to be UNSET */
    __atomic_store_n(&((mp_obj_t *)o)->u.hash, h, __ATOMIC_RELAXED);
    return h;
}

/* ---- CPython's numeric hash ---------------------------------------------------------------- */

static uint64_t rot61(uint64_t h, unsigned k) /* h * 2**k mod P, for h < P and k < 61 */
{
    return k ? (((h << k) & HASH_P) | (h >> (61 - k))) : h;
}

static int64_t hash_finish(uint64_t h, int neg)
{
    int64_t r = neg ? -(int64_t)h : (int64_t)h;
    return r == -1 ? -2 : r;
}

int64_t mp__hash_limbs(int neg, const uint32_t *limb, size_t n)
{
    uint64_t h = 0;
    for (size_t i = n; i-- > 0;) {
        h = rot61(h, 32) + limb[i];
        while (h >= HASH_P)
            h -= HASH_P;
    }
    return hash_finish(h, neg);
}

int64_t mp__hash_int64(int64_t v)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    u = (u & HASH_P) + (u >> 61);
    if (u >= HASH_P)
        u -= HASH_P;
    return hash_finish(u, v < 0);
}

int64_t mp__hash_double(const mp_obj_t *owner, double v)
{
    if (isnan(v)) /* NaN equals nothing, so any hash will do; CPython uses identity too */
        return (int64_t)((uintptr_t)owner >> 4);
    if (isinf(v))
        return v > 0 ? HASH_INF : -HASH_INF;
    if (v == 0)
        return 0;
    int e;
    double m = frexp(fabs(v), &e);          /* |v| = m * 2**e, 0.5 <= m < 1 */
    uint64_t mant = (uint64_t)ldexp(m, 53); /* |v| = mant * 2**(e - 53), exactly */
    int k = (e - 53) % 61;
    return hash_finish(rot61(mant, (unsigned)(k < 0 ? k + 61 : k)), v < 0);
}

size_t mp__double_limbs(double d, uint32_t limb[34])
{
    int e;
    uint64_t mant = (uint64_t)ldexp(frexp(fabs(d), &e), 53); /* |d| = mant * 2**(e - 53) */
    size_t shift = (size_t)(e - 53);
    unsigned r = (unsigned)(shift % 32);
    uint64_t low = mant << r;
    memset(limb, 0, 34 * sizeof *limb);
    limb[shift / 32] = (uint32_t)low;
    limb[shift / 32 + 1] = (uint32_t)(low >> 32);
    limb[shift / 32 + 2] = r ? (uint32_t)(mant >> (64 - r)) : 0;
    size_t n = shift / 32 + 3;
    while (n && !limb[n - 1])
        n--;
    return n;
}

/* ---- placement ----------------------------------------------------------------------------- */

/* Domains of mp__place_number's messages: an integral value within int64, an integral value
 * beyond it (sign apart), any other float by its bits, and a NaN by its identity. */
#define PLACE_INT 0x1u
#define PLACE_BIG 0x2u
#define PLACE_NEG 0x4u
#define PLACE_FLOAT 0x8u
#define PLACE_NAN 0x10u

static int64_t place_word(uint64_t m, uint64_t domain)
{
    uint64_t v[4];
    sip_start(v, domain);
    sip_word(v, m);
    return sip_finish(v);
}

/* Equal numbers share one canonical form: every integral value, whatever its type, is either
 * an int64 or a big magnitude (an int's own limbs are canonical, and an integral double spells
 * its own out alike), so 1, 1.0 and True place alike, and so do 2**70 and 2.0**70. */
int64_t mp__place_number(const mp_obj_t *o)
{
    if (o->type != MP_TYPE_FLOAT) {
        if (!(o->flags & MP__F_BIG))
            return place_word((uint64_t)MP__SMALL(o)->v, PLACE_INT);
        return sip(MP__BIG(o)->limb, MP__BIG(o)->n * sizeof(uint32_t),
                   PLACE_BIG | (MP__BIG(o)->neg ? PLACE_NEG : 0));
    }
    double d = MP__FLOAT(o)->v;
    if (isnan(d))
        return place_word((uint64_t)(uintptr_t)o, PLACE_NAN);
    if (isfinite(d) && d == trunc(d)) {
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            return place_word((uint64_t)(int64_t)d, PLACE_INT);
        uint32_t limb[34];
        size_t n = mp__double_limbs(d, limb);
        return sip(limb, n * sizeof *limb, PLACE_BIG | (d < 0 ? PLACE_NEG : 0));
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return place_word(bits, PLACE_FLOAT);
}

/* ---- tuple, and asking for a hash ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x) /* a bijective finaliser */
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/* Mixes the items' placement hashes, which are keyed: a tuple of colliding numbers does not
 * collide, and the tuple's own hash serves as its placement. */
int64_t mp__hash_tuple(mp_obj_t *const *item, size_t n)
{
    uint64_t h = 0x27D4EB2F165667C5u ^ n;
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ (uint64_t)mp__place(item[i])) + 0x9E3779B97F4A7C15u;
    return (int64_t)h == MP__HASH_UNSET ? (int64_t)h + 1 : (int64_t)h; /* UNSET means "not yet" */
}

int mp__unhashable(const mp_obj_t *o)
{
    /* For a tuple, name the item that makes it unhashable, as Python does. */
    while (o->type == MP_TYPE_TUPLE) {
        size_t i = 0;
        while (MP__TUPLE(o)->item[i]->flags & MP__F_HASHABLE)
            i++;
        o = MP__TUPLE(o)->item[i];
    }
    return mp__fail(MP_EINVAL, "unhashable type: '%s'", mp_type_name(o->type));
}

int mp_obj_hash(const mp_obj_t *o, int64_t *out)
{
    MP__NEED(o);
    if (!(o->flags & MP__F_HASHABLE))
        return mp__unhashable(o);
    if (out)
        *out = mp__hash(o);
    return 0;
}

/* Order must not matter: equal frozensets hold equal elements in any order. */
int64_t mp__hash_frozenset(const mp__table_t *t)
{
    uint64_t h = mix64(t->n + 0x51ED27u);
    for (size_t i = 0; i < t->n; i++)
        h += mix64((uint64_t)t->ent[i].hash);
    return (int64_t)mix64(h);
}
