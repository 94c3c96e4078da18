/* The canonical text of a value, as conformance/vectors/README.md defines it: what the
 * Pickle suite and the decoder's fuzz target compare decoded values by. */
#ifndef MP_PICKLE_CANON_H
#define MP_PICKLE_CANON_H

#include <mp.h>

/* A malloc'd string (NULL when out of memory): `N`, `T`, `F`, `i:-12`, `f:<16 hex>`, `s:<hex
 * of UTF-8>`, `b:`/`y:` hex, `(...)`, `[...]`, `{k=v,...}`, `S<...>`/`Z<...>` sorted, and
 * `@/path` for a list, dict, set or bytearray met again. */
char *pickle_canon(const mp_obj_t *o);

/* Whether a canonical text holds a NaN (`f:` and 16 hex digits with every exponent bit set and
 * a mantissa): protocol 0 writes floats as repr() text, where every NaN is "nan". */
int pickle_canon_has_nan(const char *canon);

/* Hex to bytes: a malloc'd buffer (never NULL for valid hex, even when empty), its length in
 * *n; NULL if the text is not hex. */
unsigned char *pickle_unhex(const char *hex, size_t *n);

#endif
