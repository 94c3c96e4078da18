/**
 * @file common.h
 * @brief Definitions every libmp header shares: visibility, time and the "forever" timeout.
 * @defgroup mp_common Common definitions
 * @{
 */
#ifndef MP_COMMON_H
#define MP_COMMON_H

#include <math.h>

/** Marks a public symbol of libmp (exported from libmp.so). */
#if defined(__GNUC__) && __GNUC__ >= 4
#define MP_EXTERN __attribute__((visibility("default")))
#else
#define MP_EXTERN
#endif

/**
 * @brief A timeout that never expires: Python's `timeout=None`.
 *
 * Timeouts are `double` seconds measured on CLOCK_MONOTONIC. A negative timeout counts as 0
 * (poll once, do not block), as in CPython; NaN is refused with #MP_EINVAL.
 */
#define MP_FOREVER ((double)INFINITY)

/** libmp's version, as numbers. */
#define MP_VERSION_MAJOR 0
/** @copydoc MP_VERSION_MAJOR */
#define MP_VERSION_MINOR 1
/** @copydoc MP_VERSION_MAJOR */
#define MP_VERSION_PATCH 0

/** @} */
#endif /* MP_COMMON_H */
