/**
 * @file sharedctypes.h
 * @brief Typed values and arrays in shared memory: `multiprocessing.Value`, `Array`, `RawValue`
 *        and `RawArray`.
 *
 * A Value holds one C number, an Array a fixed number of them, in memory that libmp shares
 * with every process started after it was made (memfd-backed, as the locks are): a child of any
 * start method that gets the handle in its arguments (mp_value_obj(), mp_array_obj()) reads and
 * writes the same memory. Make the object *before* starting the processes that use it.
 *
 * **Typecodes** are CPython's (the `array` module's letters, as ctypes maps them on Linux x86-64
 * and aarch64): ``'b'`` signed char, ``'B'`` unsigned char, ``'h'`` short, ``'H'`` unsigned short, ``'i'``
 * int, ``'I'`` unsigned int, ``'l'`` long, ``'L'`` unsigned long, ``'q'`` long long, ``'Q'`` unsigned long
 * long, ``'f'`` float, ``'d'`` double, ``'c'`` char (one byte; CPython's `c_char`, a `bytes` of length
 * 1) and ``'u'`` wchar_t (CPython's `c_wchar`: one code point, 4 bytes on Linux). Any other code is
 * #MP_EINVAL (CPython's TypeError "this type has no size").
 *
 * **The lock.** Value() and Array() take `lock`: NULL makes a new RLock, as CPython's
 * `lock=True` and `lock=None` do; a caller's Lock or RLock is used as it is (it must outlive the
 * object). CPython's `lock=False` returns the raw object, which is what mp_rawvalue_new() and
 * mp_rawarray_new() make: an object with no lock, whose get_lock is #MP_EINVAL (CPython's
 * AttributeError). Every get and set below takes the lock for its own duration, as CPython's
 * `.value` and indexing do, so `v += 1` is *not* atomic: hold the lock around it (with an
 * RLock, the get and set inside acquire it again at once):
 *
 *     mp_lock_t *l; mp_value_get_lock(v, &l);
 *     mp_lock_acquire(l, 1, MP_FOREVER);
 *     int64_t x; mp_value_get_i64(v, &x); mp_value_set_i64(v, x + 1);
 *     mp_lock_release(l);
 *
 * With a caller's plain Lock (not recursive) the get and set inside would wait for the lock
 * their caller holds, for ever, as CPython's `.value` does under `with v.get_lock():`: there,
 * read and write the object through mp_value_get_obj() or mp_array_get_obj().
 *
 * Sending a Value or Array through a Pipe or Queue is refused (#MP_EENCODE, CPython's
 * RuntimeError "Synchronized objects should only be shared between processes through
 * inheritance"; libmp names a raw object "Synchronized" too, where CPython names its ctypes
 * type): pass it in a child's arguments.
 *
 * When the lock's previous holder died holding it, a get or set does its work, releases the
 * lock without mp_lock_make_consistent() (which poisons it, synchronize.h) and returns
 * #MP_EOWNERDEAD; a poisoned lock makes every later get and set fail with #MP_ENOTRECOVERABLE.
 *
 * **Typed access.** Each family is a small set: `_i64` for the integer codes, ``'c'`` and ``'u'``
 * (the number; a set wraps to the type's width as ctypes does: ``Value('i', 2**40)`` reads 0,
 * ``Value('b', 300)`` 44; but a character does not wrap: ``'c'`` takes 0 to 255, as ctypes' c_char
 * takes an int, and ``'u'`` a code point 0 to U+10FFFF, any other is #MP_EINVAL, given by number
 * or in a C copy: an initial value, mp_value_set(), a slice), and `_f64` for every code (a
 * set of a float on an integer code is #MP_EINVAL, CPython's TypeError; a get converts).
 * mp_value_get() and mp_value_set() copy the C object itself (all 64 bits of a ``'Q'``), and the
 * slices copy C arrays of the element type.
 *
 * **Indices** follow Python: a negative index counts from the end; one out of range is
 * #MP_EINDEX (CPython's IndexError "invalid index"). Slices take Python's `start` and `stop`
 * (negative from the end, clamped to the array) and, in the `_step` calls, a step: a bound
 * Python leaves out is any number past the end it stands for, so `arr[::-1]` is
 * `(LONG_MAX, LONG_MIN, -1)` and `arr[::2]` is `(0, LONG_MAX, 2)`.
 *
 * @defgroup mp_sharedctypes Value and Array
 * @{
 */
#ifndef MP_SHAREDCTYPES_H
#define MP_SHAREDCTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "mp/common.h"
#include "mp/object.h"
#include "mp/synchronize.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A Value or RawValue: one C number in shared memory. */
typedef struct mp_value_s mp_value_t;
/** @brief An Array or RawArray: a fixed number of C numbers in shared memory. */
typedef struct mp_array_s mp_array_t;

/**
 * @brief Makes a Value with a lock.
 * @param[out] out      the new value; free it with mp_value_free().
 * @param typecode      one of the codes above.
 * @param initial       the C object to copy in (an `int` for ``'i'``...), or NULL for zero.
 * @param lock          NULL for a new RLock, or a caller's Lock or RLock, which must outlive it.
 * @return 0; #MP_EINVAL for an unknown typecode or an initial ``'u'`` that is no code point;
 *         #MP_ENOMEM or a negative errno when shared memory cannot be made.
 * @pyequiv `multiprocessing.Value(typecode, initial, lock=True)`
 */
MP_EXTERN int mp_value_new(mp_value_t **out, char typecode, const void *initial, mp_lock_t *lock);

/**
 * @brief Makes a Value with no lock.
 * @param[out] out      the new value; free it with mp_value_free().
 * @param typecode      one of the codes above.
 * @param initial       the C object to copy in, or NULL for zero.
 * @return as mp_value_new().
 * @pyequiv `multiprocessing.RawValue(typecode, initial)` and `Value(typecode, initial,
 *          lock=False)`
 */
MP_EXTERN int mp_rawvalue_new(mp_value_t **out, char typecode, const void *initial);

/**
 * @brief Frees this process's handle (and the RLock it made); other processes keep theirs.
 * @param v the value, or NULL (nothing happens).
 * @pyequiv dropping the last reference to the Value in this process.
 */
MP_EXTERN void mp_value_free(mp_value_t *v);

/**
 * @brief The value's lock.
 * @param v        the value.
 * @param[out] out its Lock or RLock, which the value owns or the caller gave.
 * @return 0; #MP_EINVAL for a raw value (CPython's AttributeError) or NULL arguments.
 * @pyequiv `Value.get_lock()`
 */
MP_EXTERN int mp_value_get_lock(const mp_value_t *v, mp_lock_t **out);

/**
 * @brief The C object itself, in shared memory, for access under the caller's own locking.
 * @param v the value.
 * @return its address; NULL for a NULL value.
 * @pyequiv `Value.get_obj()` (for a raw value: the object itself).
 */
MP_EXTERN void *mp_value_get_obj(const mp_value_t *v);

/**
 * @brief The value's typecode.
 * @param v the value.
 * @return the code; 0 for NULL.
 * @pyequiv `Value._type_` (CPython keeps the ctypes type, not the letter).
 */
MP_EXTERN char mp_value_typecode(const mp_value_t *v);

/**
 * @brief Copies the C object out, under the lock.
 * @param v        the value.
 * @param[out] out room for one object of the value's type.
 * @return 0; #MP_EINVAL for NULL arguments; the lock's errors (see above).
 * @pyequiv reading `Value.value`
 */
MP_EXTERN int mp_value_get(const mp_value_t *v, void *out);

/**
 * @brief Copies a C object in, under the lock.
 * @param v  the value.
 * @param in one object of the value's type.
 * @return 0; #MP_EINVAL for NULL arguments or a ``'u'`` that is no code point; the lock's errors
 *         (see above).
 * @pyequiv `Value.value = x`
 */
MP_EXTERN int mp_value_set(mp_value_t *v, const void *in);

/**
 * @brief Reads an integer-typed value (also ``'c'`` and ``'u'``).
 * @param v        the value.
 * @param[out] out the number.
 * @return 0; #MP_EINVAL for ``'f'`` and ``'d'`` (use mp_value_get_f64()); the lock's errors.
 * @pyequiv reading `Value.value`
 */
MP_EXTERN int mp_value_get_i64(const mp_value_t *v, int64_t *out);

/**
 * @brief Writes a number, wrapped to the type's width as ctypes does (a float code converts).
 * @param v the value.
 * @param x the number.
 * @return 0; #MP_EINVAL for NULL, for ``'c'`` outside 0..255 (CPython's TypeError) and for ``'u'``
 *         outside 0..0x10FFFF; the lock's errors.
 * @pyequiv `Value.value = x`
 */
MP_EXTERN int mp_value_set_i64(mp_value_t *v, int64_t x);

/**
 * @brief Reads any value as a double.
 * @param v        the value.
 * @param[out] out the number.
 * @return 0; #MP_EINVAL for NULL; the lock's errors.
 * @pyequiv `float(Value.value)`
 */
MP_EXTERN int mp_value_get_f64(const mp_value_t *v, double *out);

/**
 * @brief Writes a float-typed value (``'f'``, ``'d'``).
 * @param v the value.
 * @param x the number.
 * @return 0; #MP_EINVAL for an integer code (CPython's TypeError) or NULL; the lock's errors.
 * @pyequiv `Value.value = x`
 */
MP_EXTERN int mp_value_set_f64(mp_value_t *v, double x);

/**
 * @brief Makes an Array with a lock.
 * @param[out] out the new array; free it with mp_array_free().
 * @param typecode one of the codes above.
 * @param size     its length (fixed).
 * @param initial  `size` C objects to copy in, or NULL for zeros.
 * @param lock     NULL for a new RLock, or a caller's Lock or RLock, which must outlive it.
 * @return 0; #MP_EINVAL for an unknown typecode, a size whose bytes overflow or an initial
 *         ``'u'`` that is no code point; #MP_ENOMEM or a negative errno when shared memory cannot
 *         be made.
 * @pyequiv `multiprocessing.Array(typecode, size_or_initializer, lock=True)`
 */
MP_EXTERN int mp_array_new(mp_array_t **out, char typecode, size_t size, const void *initial,
                           mp_lock_t *lock);

/**
 * @brief Makes an Array with no lock.
 * @param[out] out the new array; free it with mp_array_free().
 * @param typecode one of the codes above.
 * @param size     its length.
 * @param initial  `size` C objects to copy in, or NULL for zeros.
 * @return as mp_array_new().
 * @pyequiv `multiprocessing.RawArray(typecode, size_or_initializer)` and `Array(...,
 *          lock=False)`
 */
MP_EXTERN int mp_rawarray_new(mp_array_t **out, char typecode, size_t size, const void *initial);

/**
 * @brief Frees this process's handle (and the RLock it made); other processes keep theirs.
 * @param a the array, or NULL (nothing happens).
 * @pyequiv dropping the last reference to the Array in this process.
 */
MP_EXTERN void mp_array_free(mp_array_t *a);

/**
 * @brief The array's lock.
 * @param a        the array.
 * @param[out] out its Lock or RLock.
 * @return 0; #MP_EINVAL for a raw array (CPython's AttributeError) or NULL arguments.
 * @pyequiv `Array.get_lock()`
 */
MP_EXTERN int mp_array_get_lock(const mp_array_t *a, mp_lock_t **out);

/**
 * @brief The C array itself, in shared memory.
 * @param a the array.
 * @return the address of its first element; NULL for a NULL array.
 * @pyequiv `Array.get_obj()`
 */
MP_EXTERN void *mp_array_get_obj(const mp_array_t *a);

/**
 * @brief The array's typecode.
 * @param a the array.
 * @return the code; 0 for NULL.
 * @pyequiv `Array._type_` (CPython keeps the ctypes type).
 */
MP_EXTERN char mp_array_typecode(const mp_array_t *a);

/**
 * @brief The array's length.
 * @param a the array.
 * @return the number of elements; 0 for NULL.
 * @pyequiv `len(arr)`
 */
MP_EXTERN size_t mp_array_len(const mp_array_t *a);

/**
 * @brief Reads an element of an integer-typed array (also ``'c'`` and ``'u'``).
 * @param a        the array.
 * @param index    Python's index (negative from the end).
 * @param[out] out the number.
 * @return 0; #MP_EINDEX out of range; #MP_EINVAL for ``'f'``/``'d'`` or NULL; the lock's errors.
 * @pyequiv `arr[index]`
 */
MP_EXTERN int mp_array_get_i64(const mp_array_t *a, long index, int64_t *out);

/**
 * @brief Writes an element, wrapped to the type's width (a float code converts).
 * @param a     the array.
 * @param index Python's index.
 * @param x     the number.
 * @return 0; #MP_EINDEX out of range; #MP_EINVAL for NULL and for a character out of range
 *         (as mp_value_set_i64()); the lock's errors.
 * @pyequiv `arr[index] = x`
 */
MP_EXTERN int mp_array_set_i64(mp_array_t *a, long index, int64_t x);

/**
 * @brief Reads any element as a double.
 * @param a        the array.
 * @param index    Python's index.
 * @param[out] out the number.
 * @return 0; #MP_EINDEX out of range; #MP_EINVAL for NULL; the lock's errors.
 * @pyequiv `float(arr[index])`
 */
MP_EXTERN int mp_array_get_f64(const mp_array_t *a, long index, double *out);

/**
 * @brief Writes an element of a float-typed array.
 * @param a     the array.
 * @param index Python's index.
 * @param x     the number.
 * @return 0; #MP_EINDEX out of range; #MP_EINVAL for an integer code or NULL; the lock's errors.
 * @pyequiv `arr[index] = x`
 */
MP_EXTERN int mp_array_set_f64(mp_array_t *a, long index, double x);

/**
 * @brief Copies a slice out, under the lock.
 * @param a        the array.
 * @param start    Python's start (negative from the end, clamped).
 * @param stop     Python's stop (likewise); a stop before start is an empty slice.
 * @param[out] out room for the slice: at most mp_array_len() elements of the array's type.
 * @param[out] n   how many elements were copied.
 * @return 0; #MP_EINVAL for NULL arguments; the lock's errors.
 * @pyequiv `arr[start:stop]`
 */
MP_EXTERN int mp_array_get_slice(const mp_array_t *a, long start, long stop, void *out, size_t *n);

/**
 * @brief Copies a slice in, under the lock.
 * @param a     the array.
 * @param start Python's start.
 * @param stop  Python's stop.
 * @param in    `n` elements of the array's type.
 * @param n     their number, which must be the slice's length.
 * @return 0; #MP_EINVAL when `n` is not the slice's length (CPython's ValueError "Can only
 *         assign sequence of same size"), for NULL arguments or a ``'u'`` that is no code point;
 *         the lock's errors.
 * @pyequiv `arr[start:stop] = seq`
 */
MP_EXTERN int mp_array_set_slice(mp_array_t *a, long start, long stop, const void *in, size_t n);

/**
 * @brief Copies an extended slice out, under the lock.
 * @param a        the array.
 * @param start    Python's start (negative from the end, clamped).
 * @param stop     Python's stop (likewise).
 * @param step     Python's step, not 0 (negative: backwards from `start`).
 * @param[out] out room for the slice: at most mp_array_len() elements of the array's type.
 * @param[out] n   how many elements were copied.
 * @return 0; #MP_EINVAL for a step of 0 (CPython's ValueError "slice step cannot be zero") or
 *         NULL arguments; the lock's errors.
 * @pyequiv `arr[start:stop:step]`
 */
MP_EXTERN int mp_array_get_slice_step(const mp_array_t *a, long start, long stop, long step,
                                      void *out, size_t *n);

/**
 * @brief Copies an extended slice in, under the lock.
 * @param a     the array.
 * @param start Python's start.
 * @param stop  Python's stop.
 * @param step  Python's step, not 0.
 * @param in    `n` elements of the array's type, in the slice's order.
 * @param n     their number, which must be the slice's length.
 * @return 0; #MP_EINVAL for a step of 0, when `n` is not the slice's length (CPython's
 *         ValueError "Can only assign sequence of same size"), for NULL arguments or a ``'u'``
 *         that is no code point; the lock's errors.
 * @pyequiv `arr[start:stop:step] = seq`
 */
MP_EXTERN int mp_array_set_slice_step(mp_array_t *a, long start, long stop, long step,
                                      const void *in, size_t n);

/**
 * @brief Wraps a Value in a value, to pass to a child in its arguments (any start method).
 * @param v the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `v` is NULL or memory is short.
 * @pyequiv passing a `multiprocessing.Value` in `Process(args=...)`.
 */
MP_EXTERN mp_obj_t *mp_value_obj(mp_value_t *v);

/**
 * @brief Wraps an Array in a value; as mp_value_obj().
 * @param a the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `a` is NULL or memory is short.
 * @pyequiv passing a `multiprocessing.Array` in `Process(args=...)`.
 */
MP_EXTERN mp_obj_t *mp_array_obj(mp_array_t *a);

/**
 * @brief The Value a handle value wraps.
 * @param o        the value (a child's argument).
 * @param[out] out the Value; owned by `o`.
 * @return 0; #MP_EINVAL when `o` is not a Value.
 * @pyequiv receiving a Value in a child's arguments.
 */
MP_EXTERN int mp_obj_as_value(const mp_obj_t *o, mp_value_t **out);

/**
 * @brief The Array a handle value wraps.
 * @param o        the value (a child's argument).
 * @param[out] out the Array; owned by `o`.
 * @return 0; #MP_EINVAL when `o` is not an Array.
 * @pyequiv receiving an Array in a child's arguments.
 */
MP_EXTERN int mp_obj_as_array(const mp_obj_t *o, mp_array_t **out);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* MP_SHAREDCTYPES_H */
