/**
 * @file object.h
 * @brief Values: the Python objects that travel between processes (None, bool, int, float,
 *        str, bytes, bytearray, tuple, list, dict, set, frozenset).
 *
 * An #mp_obj_t is a reference-counted, **immutable** value. Every function that returns an
 * `mp_obj_t *` documented as a *new reference* gives the caller one reference, which the caller
 * releases with mp_obj_decref(); accessors such as mp_tuple_get() return *borrowed* references,
 * valid as long as the container they came from is alive (take your own with mp_obj_incref()).
 * Constructors that take objects (mp_tuple_new(), mp_dict_new(), mp_build()'s `O`...) take their
 * own references and leave the caller's alone, except mp_build()'s `N`, which steals one.
 *
 * Values are immutable, so the constructors cannot make a value that contains itself. The
 * pickle decoder can: Python's `l = []; l.append(l)` pickles, and mp_pickle_loads() gives it
 * back recursive. The members of such a value are reference-counted as one unit (a reference
 * to any of them keeps all of them), so it is freed like any other; mp_obj_equal() and
 * mp_repr() handle it. The same object may appear any number of times in any number of
 * containers (shared references are kept as the same pointer, which is what pickle's memo
 * needs). Because nothing changes after construction, a value may be read by any number of
 * threads at once; reference counts are atomic.
 *
 * What the types carry, beyond the obvious:
 * - **int** is exact at any size: an int64 fast path, and a magnitude array beyond it, with
 *   conversions to and from decimal text (mp_int_from_str(), mp_int_to_str()) and little-endian
 *   two's complement (mp_int_from_bytes(), mp_int_to_bytes(), which pickle's LONG1/LONG4 use).
 * - **float** keeps the double's bits, so `-0.0` and every NaN payload survive.
 * - **str** is UTF-8, validated. mp_str() and mp_str_n() refuse lone surrogates, as
 *   ``bytes.decode('utf-8')`` does; mp_str_decode() with #MP_UTF8_SURROGATEPASS accepts them as
 *   the 3-byte sequences `ED A0 80`..`ED BF BF`, because CPython's pickle writes them that way
 *   and a Python str may hold them. Such a str keeps those bytes in mp_str_data().
 * - **bool** is an int, as in Python: `True == 1 == 1.0`, and dict keys follow suit.
 * - **dict** keeps insertion order; **set** and **frozenset** keep insertion order too (see
 *   mp_repr() for what that means when printing).
 *
 * Failures: functions that return a pointer return NULL and set mp_errmsg(); functions that
 * return `int` return 0 or a negative code from errors.h.
 *
 * NULL follows errors.h's one policy: mp_obj_decref() and mp_obj_incref() take a NULL value as
 * a no-op; every other function refuses a NULL value, NULL text or NULL out-pointer (where one
 * is not documented as optional) before touching anything, with mp_errmsg() set to
 * "<function>: <argument> is NULL" and #MP_EINVAL, or, for a function that returns no code,
 * the value its comment gives for NULL (NULL, 0, NaN).
 *
 * @defgroup mp_object Values
 * @{
 */
#ifndef MP_OBJECT_H
#define MP_OBJECT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mp/common.h"
#include "mp/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A value: opaque, reference-counted, immutable. */
typedef struct mp_obj_s mp_obj_t;

/** @brief The type of a value; the names are those of Python's built-in types. */
typedef enum {
    MP_TYPE_NONE,      /**< `None` (`NoneType`). */
    MP_TYPE_BOOL,      /**< `True` / `False`. */
    MP_TYPE_INT,       /**< `int`, any size. */
    MP_TYPE_FLOAT,     /**< `float` (an IEEE-754 double). */
    MP_TYPE_STR,       /**< `str`. */
    MP_TYPE_BYTES,     /**< `bytes`. */
    MP_TYPE_BYTEARRAY, /**< `bytearray` (immutable here, like every value). */
    MP_TYPE_TUPLE,     /**< `tuple`. */
    MP_TYPE_LIST,      /**< `list`. */
    MP_TYPE_DICT,      /**< `dict`, insertion-ordered. */
    MP_TYPE_SET,       /**< `set`. */
    MP_TYPE_FROZENSET, /**< `frozenset`. */
    MP_TYPE_HANDLE     /**< a Lock, Queue, Connection... wrapped as a value (reduction.h). */
} mp_type_t;

/** @brief How mp_str_decode() treats lone surrogates. */
typedef enum {
    MP_UTF8_STRICT = 0,       /**< refuse them, as ``bytes.decode('utf-8')``. */
    MP_UTF8_SURROGATEPASS = 1 /**< accept `ED A0 80`..`ED BF BF`, as ``'surrogatepass'``. */
} mp_utf8_errors_t;

/* ---- lifetime and type --------------------------------------------------------------------- */

/**
 * @brief The type of a value.
 * @param o the value.
 * @return its type; `(mp_type_t)-1` for a NULL `o` (mp_type_name() calls it "?").
 * @pyequiv `type(o)`.
 */
MP_EXTERN mp_type_t mp_obj_type(const mp_obj_t *o);

/**
 * @brief The Python name of a type: "NoneType", "bool", "int", "float", "str", "bytes",
 *        "bytearray", "tuple", "list", "dict", "set", "frozenset", and "handle" for
 *        #MP_TYPE_HANDLE (which stands for several Python classes: messages about a particular
 *        handle value name its class, "Lock", "Queue"..., as mp_handle_kind() tells it).
 * @param t the type.
 * @return a static string; "?" for a value outside the enum.
 * @pyequiv `type(o).__name__`.
 */
MP_EXTERN const char *mp_type_name(mp_type_t t);

/**
 * @brief Takes a new reference.
 * @param o the value, or NULL (nothing is done).
 * @return `o`.
 * @pyequiv `Py_INCREF` (binding one more name to the object).
 */
MP_EXTERN mp_obj_t *mp_obj_incref(mp_obj_t *o);

/**
 * @brief Releases a reference; the last one frees the value and releases what it contains.
 *
 * Freeing does not recurse: a container nested a million levels deep is freed in constant
 * stack space.
 * @param o the value, or NULL (nothing is done).
 * @pyequiv `Py_DECREF` (`del name`).
 */
MP_EXTERN void mp_obj_decref(mp_obj_t *o);

/**
 * @brief The number of references to a value (for tests and debugging).
 * @param o the value.
 * @return the count; `SIZE_MAX` for None, True and False, which are never freed; for a member
 *         of a recursive value, the references from outside to the whole value; 0 for NULL.
 * @pyequiv `sys.getrefcount(o) - 1`.
 */
MP_EXTERN size_t mp_obj_refcount(const mp_obj_t *o);

/* ---- operations on any value --------------------------------------------------------------- */

/**
 * @brief Python's `==`.
 *
 * Numbers compare by value across bool, int and float (`True == 1 == 1.0`, `2**53 + 1 !=
 * 2.0**53`), NaN equals nothing, not even itself; bytes equals bytearray with the same content;
 * set equals frozenset with the same elements; dicts and sets compare without regard to order;
 * tuple never equals list. Inside containers an item is first compared by identity, as CPython
 * does, so a tuple holding a NaN equals itself. Deeply nested values are compared without deep
 * recursion. Two recursive values are equal when they unfold alike (CPython raises
 * RecursionError comparing two distinct ones).
 * @param a a value, or NULL.
 * @param b a value, or NULL.
 * @return 1 if equal, 0 if not (two NULLs are equal, NULL and a value are not).
 * @pyequiv `a == b`.
 */
MP_EXTERN int mp_obj_equal(const mp_obj_t *a, const mp_obj_t *b);

/**
 * @brief The hash of a hashable value, consistent with mp_obj_equal(): equal values have equal
 *        hashes.
 *
 * For int, bool and finite float the value is CPython's own (`hash(2**100)`, `hash(1.5)`).
 * str and bytes hashes are keyed with a per-process random key, like CPython's; tuple and
 * frozenset hashes are libmp's own, mixed from their items' keyed hashes, so they too differ
 * between processes. Dicts and sets do not place numbers by this hash, which anyone can make
 * collide (`k * (2**61 - 1)` for every k), but by a keyed hash of the number's value, so that
 * building them stays linear on any keys (docs/pages/deviations.md).
 * @param o   the value.
 * @param out where to store the hash; may be NULL to only ask whether `o` is hashable.
 * @return 0; #MP_EINVAL if `o` is a list, dict, set or bytearray, or a tuple containing one
 *         (mp_errmsg() says "unhashable type: 'list'").
 * @pyequiv `hash(o)`.
 */
MP_EXTERN int mp_obj_hash(const mp_obj_t *o, int64_t *out);

/**
 * @brief Python's truth value.
 * @param o the value.
 * @return 0 for None, False, zero, empty str/bytes/bytearray and empty containers; 1 otherwise;
 *         #MP_EINVAL for NULL.
 * @pyequiv `bool(o)`.
 */
MP_EXTERN int mp_obj_truth(const mp_obj_t *o);

/**
 * @brief The length of a str (in code points), bytes, bytearray or container.
 * @param o   the value.
 * @param[out] out its length.
 * @return 0; #MP_EINVAL for None, bool, int, float and handles ("object of type 'int' has no
 *         len()", "object of type 'Lock' has no len()").
 * @pyequiv `len(o)`.
 */
MP_EXTERN int mp_obj_len(const mp_obj_t *o, size_t *out);

/**
 * @brief The text Python 3.11's `repr()` gives for the same value.
 *
 * Floats print the shortest text that reads back to the same double (`0.1`, `1e+16`, `1e-05`,
 * `-0.0`, `nan`); str uses Python's choice of quotes and escapes, with Python's rules (Unicode
 * 14) for which characters are printable; ints of any size print in decimal (CPython 3.11
 * refuses more than 4300 digits by default; libmp prints them all). Sets and frozensets print
 * their elements in insertion order: CPython prints its hash-table order, which for str
 * depends on the process's hash key, so no program can reproduce it in general; a set decoded
 * from a CPython pickle was inserted in the order the sender iterated it. A recursive value
 * prints as in Python: `l = [l]` is `[[...]]`. A handle value prints as CPython's default
 * repr of its class, with the handle's address: `<multiprocessing.synchronize.Lock object at
 * 0x55d0c8a4b2a0>` (CPython's Lock shows its owner instead, which would need a look at shared
 * state that may be held).
 * @param o the value.
 * @return a malloc'd NUL-terminated string the caller frees; NULL with #MP_ENOMEM's message
 *         when memory runs out, or for a NULL `o`.
 * @pyequiv `repr(o)`.
 */
MP_EXTERN char *mp_repr(const mp_obj_t *o);

/* ---- None, bool, int, float ---------------------------------------------------------------- */

/**
 * @brief None.
 * @return a new reference to the one None object; never NULL.
 * @pyequiv `None`.
 */
MP_EXTERN mp_obj_t *mp_none(void);

/**
 * @brief True or False.
 * @param v zero for False, anything else for True.
 * @return a new reference to the one True or False object; never NULL.
 * @pyequiv `bool(v)`.
 */
MP_EXTERN mp_obj_t *mp_bool(int v);

/**
 * @brief An int.
 * @param v the value.
 * @return a new reference; NULL when out of memory.
 * @pyequiv `int(v)`.
 */
MP_EXTERN mp_obj_t *mp_int(int64_t v);

/**
 * @brief An int from an unsigned 64-bit value (which may exceed INT64_MAX).
 * @param v the value.
 * @return a new reference; NULL when out of memory.
 * @pyequiv `int(v)`.
 */
MP_EXTERN mp_obj_t *mp_int_from_u64(uint64_t v);

/**
 * @brief An int of any size from decimal text.
 *
 * Accepts what Python's `int(text)` accepts in base 10, for ASCII text: surrounding
 * whitespace, an optional sign, digits (leading zeros allowed) with single underscores between
 * them. Conversion takes time quadratic in the number of digits.
 * @param decimal the text, NUL-terminated.
 * @return a new reference; NULL with #MP_EINVAL's message ("invalid literal for int() with base
 *         10: 'x'"), for a NULL `decimal`, or when out of memory.
 * @pyequiv `int(decimal)`.
 */
MP_EXTERN mp_obj_t *mp_int_from_str(const char *decimal);

/**
 * @brief An int from little-endian bytes, as pickle's LONG1 and LONG4 carry it.
 * @param p         the bytes (may be NULL when `n` is 0).
 * @param n         how many; 0 gives 0.
 * @param is_signed non-zero to read two's complement (pickle's case), zero for unsigned.
 * @return a new reference; NULL for a NULL `p` with `n` above 0, or when out of memory.
 * @pyequiv ``int.from_bytes(p, 'little', signed=is_signed)``.
 */
MP_EXTERN mp_obj_t *mp_int_from_bytes(const void *p, size_t n, int is_signed);

/**
 * @brief The value of an int (or bool) as an int64_t.
 * @param o        the value.
 * @param[out] out the value; untouched on failure.
 * @return 0; #MP_EOVERFLOW if it does not fit; #MP_EINVAL if `o` is not an int or bool.
 * @pyequiv `operator.index(o)`, checked against the C type's range.
 */
MP_EXTERN int mp_int_as_int64(const mp_obj_t *o, int64_t *out);

/**
 * @brief The value of an int (or bool) as a uint64_t.
 * @param o        the value.
 * @param[out] out the value; untouched on failure.
 * @return 0; #MP_EOVERFLOW if it is negative or too big; #MP_EINVAL if `o` is not an int or
 *         bool.
 * @pyequiv `operator.index(o)`, checked against the C type's range.
 */
MP_EXTERN int mp_int_as_u64(const mp_obj_t *o, uint64_t *out);

/**
 * @brief The number of bytes pickle's LONG1/LONG4 use for an int: the shortest two's
 *        complement, and 0 for zero.
 * @param o the int (or bool); any other value, and NULL, gives 0.
 * @return the byte count (`255` needs 2, `-128` needs 1, `2**63` needs 9).
 * @pyequiv the length of `pickle.encode_long(o)`.
 */
MP_EXTERN size_t mp_int_nbytes(const mp_obj_t *o);

/**
 * @brief Writes an int as exactly `n` little-endian bytes.
 * @param o         the int (or bool).
 * @param buf       where to write `n` bytes.
 * @param n         how many bytes; mp_int_nbytes() gives the shortest signed length.
 * @param is_signed non-zero for two's complement, zero for unsigned.
 * @return 0; #MP_EOVERFLOW if the value does not fit (or is negative and `is_signed` is 0);
 *         #MP_EINVAL if `o` is not an int or bool.
 * @pyequiv ``o.to_bytes(n, 'little', signed=is_signed)``.
 */
MP_EXTERN int mp_int_to_bytes(const mp_obj_t *o, void *buf, size_t n, int is_signed);

/**
 * @brief The decimal text of an int (or bool: "1" / "0").
 * @param o the int.
 * @return a malloc'd string the caller frees; NULL if `o` is not an int or bool (or NULL), or
 *         when out of memory.
 * @pyequiv `str(int(o))`.
 */
MP_EXTERN char *mp_int_to_str(const mp_obj_t *o);

/**
 * @brief A float. The double's bits are kept exactly (`-0.0`, NaN payloads).
 * @param v the value.
 * @return a new reference; NULL when out of memory.
 * @pyequiv `float(v)`.
 */
MP_EXTERN mp_obj_t *mp_float(double v);

/**
 * @brief The value of a float, bits unchanged.
 * @param o the float.
 * @return its value; NaN if `o` is not a float (use mp_number_as_double() to convert ints), or
 *         is NULL.
 * @pyequiv `o` (a float).
 */
MP_EXTERN double mp_float_value(const mp_obj_t *o);

/**
 * @brief A number as a double: a float as it is, an int or bool rounded to nearest.
 * @param o        the value.
 * @param[out] out the value; untouched on failure.
 * @return 0; #MP_EOVERFLOW for an int too large for a double; #MP_EINVAL for other types.
 * @pyequiv `float(o)`.
 */
MP_EXTERN int mp_number_as_double(const mp_obj_t *o, double *out);

/* ---- str, bytes, bytearray ----------------------------------------------------------------- */

/**
 * @brief A str from NUL-terminated UTF-8.
 * @param utf8 the text; invalid UTF-8 (overlong forms, code points above U+10FFFF, truncated
 *             sequences) and encoded surrogates are refused.
 * @return a new reference; NULL with #MP_EINVAL's message ("invalid UTF-8 at byte 3"), for a
 *         NULL `utf8`, or when out of memory.
 * @pyequiv ``utf8.decode('utf-8')``.
 */
MP_EXTERN mp_obj_t *mp_str(const char *utf8);

/**
 * @brief A str from `n` bytes of UTF-8, which may include NUL characters.
 * @param utf8 the text (may be NULL when `n` is 0); validated as by mp_str().
 * @param n    its length in bytes.
 * @return a new reference; NULL with #MP_EINVAL's message (invalid UTF-8, or a NULL `utf8`
 *         with `n` above 0) or when out of memory.
 * @pyequiv ``utf8[:n].decode('utf-8')``.
 */
MP_EXTERN mp_obj_t *mp_str_n(const char *utf8, size_t n);

/**
 * @brief A str from `n` bytes of UTF-8, choosing what happens to lone surrogates.
 * @param utf8   the text (may be NULL when `n` is 0).
 * @param n      its length in bytes.
 * @param errors #MP_UTF8_STRICT (as mp_str_n()) or #MP_UTF8_SURROGATEPASS.
 * @return a new reference; NULL with #MP_EINVAL's message (invalid UTF-8, or a NULL `utf8`
 *         with `n` above 0) or when out of memory.
 * @pyequiv ``utf8.decode('utf-8', errors)``.
 */
MP_EXTERN mp_obj_t *mp_str_decode(const char *utf8, size_t n, mp_utf8_errors_t errors);

/**
 * @brief The UTF-8 bytes of a str ('surrogatepass' bytes for lone surrogates).
 * @param o          the str.
 * @param[out] nbytes its length in bytes (NULL if not wanted).
 * @return the bytes, NUL-terminated (a str may also contain NUL characters), valid while `o`
 *         lives; NULL if `o` is not a str, or is NULL.
 * @pyequiv ``o.encode('utf-8', 'surrogatepass')``.
 */
MP_EXTERN const char *mp_str_data(const mp_obj_t *o, size_t *nbytes);

/**
 * @brief A bytes value.
 * @param p the content (may be NULL when `n` is 0); copied.
 * @param n its length.
 * @return a new reference; NULL for a NULL `p` with `n` above 0, or when out of memory.
 * @pyequiv `bytes(p[:n])`.
 */
MP_EXTERN mp_obj_t *mp_bytes(const void *p, size_t n);

/**
 * @brief A bytearray value (immutable, as every value here; it differs from bytes in type,
 *        repr and hashability, and it pickles as a bytearray).
 * @param p the content (may be NULL when `n` is 0); copied.
 * @param n its length.
 * @return a new reference; NULL for a NULL `p` with `n` above 0, or when out of memory.
 * @pyequiv `bytearray(p[:n])`.
 */
MP_EXTERN mp_obj_t *mp_bytearray(const void *p, size_t n);

/**
 * @brief The content of a bytes or bytearray.
 * @param o     the value.
 * @param[out] n its length (NULL if not wanted).
 * @return the bytes, followed by a NUL that is not part of them, valid while `o` lives; NULL
 *         if `o` is neither bytes nor bytearray, or is NULL.
 * @pyequiv `memoryview(o)`.
 */
MP_EXTERN const unsigned char *mp_bytes_data(const mp_obj_t *o, size_t *n);

/* ---- tuple, list --------------------------------------------------------------------------- */

/**
 * @brief A tuple of `n` items.
 * @param n     the number of items.
 * @param items the items (may be NULL when `n` is 0); the tuple takes its own references.
 * @return a new reference; NULL with #MP_EINVAL's message if an item is NULL, or when out of
 *         memory.
 * @pyequiv `tuple(items)`.
 */
MP_EXTERN mp_obj_t *mp_tuple_new(size_t n, mp_obj_t *const *items);

/**
 * @brief A tuple with the items of a tuple or list.
 * @param seq a tuple (returned with a new reference) or a list (copied into a tuple).
 * @return a new reference; NULL with #MP_EINVAL's message for other types and NULL, or when
 *         out of memory.
 * @pyequiv `tuple(seq)`.
 */
MP_EXTERN mp_obj_t *mp_tuple_from_seq(const mp_obj_t *seq);

/**
 * @brief The number of items of a tuple.
 * @param t the tuple.
 * @return the count; 0 if `t` is not a tuple, or is NULL.
 * @pyequiv `len(t)`.
 */
MP_EXTERN size_t mp_tuple_size(const mp_obj_t *t);

/**
 * @brief An item of a tuple.
 * @param t the tuple.
 * @param i the index, from 0.
 * @return a borrowed reference; NULL if `t` is not a tuple (or NULL) or `i` is out of range.
 * @pyequiv `t[i]`.
 */
MP_EXTERN mp_obj_t *mp_tuple_get(const mp_obj_t *t, size_t i);

/**
 * @brief The items of a tuple, as an array.
 * @param t the tuple.
 * @return mp_tuple_size() borrowed references; NULL if `t` is not a tuple, is empty, or is
 *         NULL.
 * @pyequiv `t[:]`.
 */
MP_EXTERN mp_obj_t *const *mp_tuple_items(const mp_obj_t *t);

/**
 * @brief A list of `n` items.
 * @param n     the number of items.
 * @param items the items (may be NULL when `n` is 0); the list takes its own references.
 * @return a new reference; NULL with #MP_EINVAL's message if an item is NULL, or when out of
 *         memory.
 * @pyequiv `list(items)`.
 */
MP_EXTERN mp_obj_t *mp_list_new(size_t n, mp_obj_t *const *items);

/**
 * @brief The number of items of a list.
 * @param l the list.
 * @return the count; 0 if `l` is not a list, or is NULL.
 * @pyequiv `len(l)`.
 */
MP_EXTERN size_t mp_list_size(const mp_obj_t *l);

/**
 * @brief An item of a list.
 * @param l the list.
 * @param i the index, from 0.
 * @return a borrowed reference; NULL if `l` is not a list (or NULL) or `i` is out of range.
 * @pyequiv `l[i]`.
 */
MP_EXTERN mp_obj_t *mp_list_get(const mp_obj_t *l, size_t i);

/**
 * @brief The items of a list, as an array.
 * @param l the list.
 * @return mp_list_size() borrowed references; NULL if `l` is not a list, is empty, or is
 *         NULL.
 * @pyequiv `l[:]`.
 */
MP_EXTERN mp_obj_t *const *mp_list_items(const mp_obj_t *l);

/* ---- dict ---------------------------------------------------------------------------------- */

/**
 * @brief A dict from `n` key/value pairs, inserted in order.
 *
 * As in Python, a key equal to an earlier one (`1`, `True` and `1.0` are equal) keeps the
 * earlier key and its position and replaces its value: ``{1: 'a', True: 'b'}`` is ``{1: 'b'}``.
 * @param n      the number of pairs.
 * @param keys   the keys (may be NULL when `n` is 0); they must be hashable.
 * @param values the values; the dict takes its own references to keys and values.
 * @return a new reference; NULL with #MP_EINVAL's message for an unhashable key ("unhashable
 *         type: 'list'"), a NULL item or NULL arrays with `n` above 0, or when out of memory.
 * @pyequiv `dict(zip(keys, values))`.
 */
MP_EXTERN mp_obj_t *mp_dict_new(size_t n, mp_obj_t *const *keys, mp_obj_t *const *values);

/**
 * @brief The number of items of a dict.
 * @param d the dict.
 * @return the count; 0 if `d` is not a dict, or is NULL.
 * @pyequiv `len(d)`.
 */
MP_EXTERN size_t mp_dict_size(const mp_obj_t *d);

/**
 * @brief The `i`-th item of a dict, in insertion order.
 * @param d          the dict.
 * @param i          the position, from 0.
 * @param[out] key   its key, borrowed (NULL if not wanted).
 * @param[out] value its value, borrowed (NULL if not wanted).
 * @return 0; #MP_EINVAL if `d` is not a dict or `i` is out of range.
 * @pyequiv `list(d.items())[i]`.
 */
MP_EXTERN int mp_dict_item(const mp_obj_t *d, size_t i, mp_obj_t **key, mp_obj_t **value);

/**
 * @brief Looks a key up.
 * @param d   the dict.
 * @param key the key.
 * @return the value, borrowed; NULL if absent, if `key` is unhashable or if `d` is not a dict;
 *         NULL with the NULL message if either is NULL.
 * @pyequiv `d.get(key)`.
 */
MP_EXTERN mp_obj_t *mp_dict_get(const mp_obj_t *d, const mp_obj_t *key);

/**
 * @brief Looks a str key up.
 * @param d   the dict.
 * @param key the key, as NUL-terminated UTF-8.
 * @return the value, borrowed; NULL if absent or if `d` is not a dict; NULL with the NULL
 *         message if either is NULL.
 * @pyequiv `d.get(key)`.
 */
MP_EXTERN mp_obj_t *mp_dict_get_str(const mp_obj_t *d, const char *key);

/* ---- set, frozenset ------------------------------------------------------------------------ */

/**
 * @brief A set of the given items; duplicates keep the first one.
 * @param n     the number of items.
 * @param items the items (may be NULL when `n` is 0); they must be hashable; the set takes its
 *              own references.
 * @return a new reference; NULL with #MP_EINVAL's message for an unhashable item, a NULL item
 *         or NULL `items` with `n` above 0, or when out of memory.
 * @pyequiv `set(items)`.
 */
MP_EXTERN mp_obj_t *mp_set_new(size_t n, mp_obj_t *const *items);

/**
 * @brief A frozenset of the given items; as mp_set_new().
 * @param n     the number of items.
 * @param items the items (may be NULL when `n` is 0).
 * @return a new reference; NULL with #MP_EINVAL's message or when out of memory.
 * @pyequiv `frozenset(items)`.
 */
MP_EXTERN mp_obj_t *mp_frozenset_new(size_t n, mp_obj_t *const *items);

/**
 * @brief The number of elements of a set or frozenset.
 * @param s the set.
 * @return the count; 0 if `s` is neither a set nor a frozenset, or is NULL.
 * @pyequiv `len(s)`.
 */
MP_EXTERN size_t mp_set_size(const mp_obj_t *s);

/**
 * @brief The `i`-th element of a set or frozenset, in insertion order.
 * @param s the set.
 * @param i the position, from 0.
 * @return a borrowed reference; NULL if out of range or `s` is not a set or frozenset (or is
 *         NULL).
 * @pyequiv `list(s)[i]` (in libmp's order).
 */
MP_EXTERN mp_obj_t *mp_set_item(const mp_obj_t *s, size_t i);

/**
 * @brief Membership.
 * @param s the set or frozenset.
 * @param x the value looked for.
 * @return 1 present, 0 absent; #MP_EINVAL if `x` is unhashable or `s` is not a set.
 * @pyequiv `x in s`.
 */
MP_EXTERN int mp_set_contains(const mp_obj_t *s, const mp_obj_t *x);

/* ---- format strings ------------------------------------------------------------------------ */

/**
 * @brief Builds a value from a format string, as CPython's `Py_BuildValue`.
 *
 * | code    | C argument(s)                   | value                                   |
 * |---------|---------------------------------|-----------------------------------------|
 * | `b`     | `int` (a char)                  | int                                     |
 * | `h` `i` | `int` (short is promoted)       | int                                     |
 * | `l`     | `long`                          | int                                     |
 * | `L`     | `long long`                     | int                                     |
 * | `n`     | `ssize_t`                       | int                                     |
 * | `B` `H` | `int` (unsigned char/short)     | int                                     |
 * | `I`     | `unsigned int`                  | int                                     |
 * | `k`     | `unsigned long`                 | int                                     |
 * | `K`     | `unsigned long long`            | int                                     |
 * | `p`     | `int`                           | bool (`True` if non-zero)               |
 * | `d` `f` | `double` (float is promoted)    | float                                   |
 * | `s` `z` | `const char *` UTF-8            | str; NULL gives None                    |
 * | `s#` `z#` | `const char *`, `size_t`      | str of that many bytes; NULL gives None |
 * | `y`     | `const char *`                  | bytes up to the NUL                     |
 * | `y#`    | `const void *`, `size_t`        | bytes                                   |
 * | `Y#`    | `const void *`, `size_t`        | bytearray (libmp's own code)            |
 * | `O` `S` | `mp_obj_t *`                    | that object, with a new reference       |
 * | `N`     | `mp_obj_t *`                    | that object, stealing the reference     |
 * | `(...)` |                                 | tuple of the items inside               |
 * | `[...]` |                                 | list of the items inside                |
 * | `{...}` |                                 | dict: key, value, key, value...         |
 *
 * Spaces, tabs, commas and colons are ignored, so `"{s:i, s:i}"` reads well. An empty format
 * gives None; one code gives that value; several codes at the top level give a tuple of them,
 * as in CPython. `N` always consumes its reference, even when building fails. An `O` or `N`
 * argument that is NULL makes the whole call return NULL without changing mp_errmsg(), so a
 * failed constructor can be passed straight in: `mp_build("(iN)", 1, mp_str(text))`.
 * @param fmt the format, then its arguments.
 * @return a new reference; NULL with #MP_EINVAL's message for a bad format (a NULL one
 *         included), invalid UTF-8, an unhashable key, or when out of memory.
 * @pyequiv `Py_BuildValue(fmt, ...)`; in Python, a tuple/list/dict display such as `(3, "x")`.
 */
MP_EXTERN mp_obj_t *mp_build(const char *fmt, ...);

/**
 * @brief mp_build() with a `va_list`.
 * @param fmt the format.
 * @param ap  its arguments.
 * @return as mp_build().
 * @pyequiv `Py_VaBuildValue(fmt, ap)`.
 */
MP_EXTERN mp_obj_t *mp_vbuild(const char *fmt, va_list ap);

/**
 * @brief Reads a value into C variables, as CPython's `PyArg_Parse`.
 *
 * | code    | C argument(s)                | accepts                                      |
 * |---------|------------------------------|----------------------------------------------|
 * | `b`     | `unsigned char *`            | int/bool in 0..255                           |
 * | `h`     | `short *`                    | int/bool in the type's range                 |
 * | `i`     | `int *`                      | int/bool in the type's range                 |
 * | `l`     | `long *`                     | int/bool in the type's range                 |
 * | `L`     | `long long *`                | int/bool in the type's range                 |
 * | `n`     | `ssize_t *`                  | int/bool in the type's range                 |
 * | `B` `H` `I` `k` `K` | `unsigned char *`, `unsigned short *`, `unsigned int *`, `unsigned long *`, `unsigned long long *` | int/bool in the type's range (CPython masks; libmp refuses) |
 * | `p`     | `int *`                      | any value: its truth (mp_obj_truth())        |
 * | `d`     | `double *`                   | float, int, bool                             |
 * | `f`     | `float *`                    | float, int, bool                             |
 * | `s`     | `const char **`              | str without NUL characters or surrogates     |
 * | `s#`    | `const char **`, `size_t *`  | str or bytes                                 |
 * | `z` `z#`| as `s` `s#`                  | the same, or None (gives NULL)               |
 * | `y`     | `const char **`              | bytes without NUL bytes                      |
 * | `y#`    | `const char **`, `size_t *`  | bytes                                        |
 * | `Y#`    | `const char **`, `size_t *`  | bytearray (libmp's own code)                 |
 * | `O`     | `mp_obj_t **`                | anything (borrowed reference)                |
 * | `(...)` |                              | a tuple or list of exactly that many items   |
 * | `[...]` |                              | a list of exactly that many items            |
 * | `|`     |                              | in a `(...)` or `[...]`: the rest may be missing (their variables are left alone) |
 *
 * Several codes at the top level read a tuple, as `PyArg_ParseTuple`: `"is"` is `"(is)"`.
 * Pointers handed out (`s`, `y#`, `O`...) borrow from `o` and are valid while it lives. Dicts
 * and sets have no code: read them with `O` and the dict and set accessors. On failure some
 * variables may already have been written.
 * @param o   the value.
 * @param fmt the format, then pointers to the variables.
 * @return 0; #MP_EINVAL when the value does not match ("mp_parse: item 1: expected int, got
 *         str"; nested items are numbered `2.1`), #MP_EOVERFLOW when an int does not fit its
 *         C type (or, for `d` and `f`, a double).
 * @pyequiv `PyArg_Parse(o, fmt, ...)`; in Python, unpacking: `n, s = o`.
 */
MP_EXTERN int mp_parse(const mp_obj_t *o, const char *fmt, ...);

/**
 * @brief mp_parse() with a `va_list`.
 * @param o   the value.
 * @param fmt the format.
 * @param ap  the pointers.
 * @return as mp_parse().
 * @pyequiv `PyArg_VaParse(o, fmt, ap)`.
 */
MP_EXTERN int mp_vparse(const mp_obj_t *o, const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_OBJECT_H */
