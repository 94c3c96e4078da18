/* Assertions of the Pickle suite's files about the encoder: exact bytes, and round trips. */
#ifndef MP_PICKLE_CHECK_H
#define MP_PICKLE_CHECK_H

#include <stddef.h>

#include <mp.h>

/* Asserts that o pickles at `protocol` to exactly the string literal `want`. */
#define ck_assert_dumps(o, protocol, want) check_dumps(o, protocol, want, sizeof(want) - 1)
void check_dumps(const mp_obj_t *o, int protocol, const char *want, size_t n);

/* Pickles o at every protocol and reads it back: the canonical text must not change. */
void check_round_trips(const mp_obj_t *o);

#endif
