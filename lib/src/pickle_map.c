/* A map from object addresses to a size_t, for the pickle codec's walks: how often the encoder
 * meets an object and which memo index it got, and the decoder's depth and cycle walks.
 *
 * Open addressing with linear probing, kept at most half full. Addresses are spread with a
 * multiplicative hash: malloc'd addresses share their low bits, which would cluster. */
#include <stdlib.h>

#include "pickle_impl.h"

static size_t slot_of(const mp__ptrmap_t *m, const void *k)
{
    uint64_t h = (uint64_t)(uintptr_t)k * 0x9E3779B97F4A7C15u;
    size_t i = (size_t)(h >> 17) & m->mask;
    while (m->key[i] && m->key[i] != k)
        i = (i + 1) & m->mask;
    return i;
}

size_t *mp__ptrmap_get(const mp__ptrmap_t *m, const void *k)
{
    if (!m->key)
        return NULL;
    size_t i = slot_of(m, k);
    return m->key[i] ? &m->val[i] : NULL;
}

static int grow(mp__ptrmap_t *m)
{
    size_t size = m->key ? 2 * (m->mask + 1) : 64;
    if (size > SIZE_MAX / 2 / sizeof(size_t))
        return -1;
    mp__ptrmap_t g = {calloc(size, sizeof *g.key), malloc(size * sizeof *g.val), size - 1, m->n};
    if (!g.key || !g.val) {
        free(g.key);
        free(g.val);
        return -1;
    }
    for (size_t i = 0; m->key && i <= m->mask; i++) {
        if (m->key[i]) {
            size_t j = slot_of(&g, m->key[i]);
            g.key[j] = m->key[i];
            g.val[j] = m->val[i];
        }
    }
    free(m->key);
    free(m->val);
    *m = g;
    return 0;
}

size_t *mp__ptrmap_put(mp__ptrmap_t *m, const void *k, int *added)
{
    *added = 0;
    if (m->key) {
        size_t i = slot_of(m, k);
        if (m->key[i])
            return &m->val[i];
    }
    if (2 * (m->n + 1) > (m->key ? m->mask + 1 : 0) && grow(m) < 0)
        return NULL;
    if (!m->key)
        return NULL;
    size_t i = slot_of(m, k);
    m->key[i] = k;
    /* The analyser takes grow()'s free of the old arrays for the new ones. */
    m->val[i] = 0; /* NOLINT(clang-analyzer-unix.Malloc) */
    m->n++;
    *added = 1;
    return &m->val[i];
}

void mp__ptrmap_free(mp__ptrmap_t *m)
{
    free(m->key);
    free(m->val);
    m->key = NULL;
    m->val = NULL;
    m->mask = m->n = 0;
}
