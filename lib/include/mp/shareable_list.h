/**
 * @file shareable_list.h
 * @brief `multiprocessing.shared_memory.ShareableList`: a fixed-length list of None, bool,
 *        int, float, str and bytes in one SharedMemory block, laid out byte for byte as
 *        CPython lays it out, so that a C process and a Python process share one list by name.
 *
 * The block holds, in this order (all integers native, little-endian on x86-64):
 * - the item count N, an 8-byte signed integer;
 * - CPython 3.9 and later: N + 1 8-byte offsets of the items from the start of the data area
 *   (the first is 0, the last is the data area's size); CPython 3.8: N 8-byte item sizes;
 * - the data area, each item in a slot of a multiple of 8 bytes;
 * - N formats of 8 bytes, each a `struct` format padded with NULs: `q` (int), `d` (float),
 *   `xxxxxxx?` (bool), `xxxxxx?x` (None), `<n>s` (str as UTF-8, or bytes, in n bytes);
 * - N one-byte back-transform codes: 0 for int, float and bool, 1 str, 2 bytes, 3 None.
 *
 * Lists are made in the 3.9 layout (what CPython 3.9 to 3.13 read) unless
 * #MP_SHAREABLE_LIST_PY38 is asked for; an attach recognises both. See @ref shared_memory for
 * what is matched and where libmp differs.
 *
 * @defgroup mp_shareable_list ShareableList
 * @{
 */
#ifndef MP_SHAREABLE_LIST_H
#define MP_SHAREABLE_LIST_H

#include <stddef.h>

#include "mp/common.h"
#include "mp/object.h"
#include "mp/shared_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A list in a shared memory block: `multiprocessing.shared_memory.ShareableList`. */
typedef struct mp_shareable_list_s mp_shareable_list_t;

/** The layout of a list's header: which CPython versions read it. */
typedef enum {
    MP_SHAREABLE_LIST_PY39 = 0, /**< N + 1 offsets: CPython 3.9 to 3.13 (the default). */
    MP_SHAREABLE_LIST_PY38 = 1  /**< N sizes: CPython 3.8. */
} mp_shareable_list_layout_t;

/**
 * @brief Makes a list in a new block, in the 3.9 layout.
 *
 * An int, float, bool or None takes 8 bytes; a str or bytes of n bytes takes the next multiple
 * of 8 above n (CPython counts a str's code points, not its UTF-8 bytes, and so truncates a
 * non-ASCII str; libmp gives it room for its bytes).
 * @param[out] out     the list.
 * @param sequence     a list or tuple of None, bool, int (within int64), float, str and bytes;
 *                     NULL for an empty list.
 * @param name         the block's name; NULL for a new `psm_` name.
 * @return 0; #MP_EINVAL for an item of another type, an int outside int64 (CPython's
 *         struct.error), a str with a lone surrogate (UnicodeEncodeError), a sequence that is
 *         neither list nor tuple; the errors of mp_shared_memory_new().
 * @pyequiv `ShareableList(sequence, name=name)`.
 */
MP_EXTERN int mp_shareable_list_new(mp_shareable_list_t **out, const mp_obj_t *sequence,
                                    const char *name);

/**
 * @brief Makes a list in a new block, in the layout given.
 * @param[out] out  the list.
 * @param sequence  as for mp_shareable_list_new().
 * @param name      as for mp_shareable_list_new().
 * @param layout    #MP_SHAREABLE_LIST_PY39 or #MP_SHAREABLE_LIST_PY38.
 * @return as mp_shareable_list_new(); #MP_EINVAL for an unknown layout.
 * @pyequiv `ShareableList(sequence, name=name)` of CPython 3.8 or of 3.9 and later.
 */
MP_EXTERN int mp_shareable_list_new_layout(mp_shareable_list_t **out, const mp_obj_t *sequence,
                                           const char *name, mp_shareable_list_layout_t layout);

/**
 * @brief Attaches to a list by its block's name, whichever layout it has.
 * @param[out] out  the list.
 * @param name      the block's name.
 * @return 0; #MP_EDECODE for a block that is not a well-formed list (a count or an offset
 *         out of the block, a slot that is not a positive multiple of 8 bytes); the errors of
 *         mp_shared_memory_new().
 * @pyequiv `ShareableList(name=name)`.
 */
MP_EXTERN int mp_shareable_list_attach(mp_shareable_list_t **out, const char *name);

/**
 * @brief The number of items, as read when the list was made or attached.
 * @param sl  the list.
 * @return the count; 0 for NULL.
 * @pyequiv `len(sl)`.
 */
MP_EXTERN size_t mp_shareable_list_len(const mp_shareable_list_t *sl);

/**
 * @brief The layout of the list's header.
 * @param sl  the list.
 * @return the layout; #MP_SHAREABLE_LIST_PY39 for NULL or an empty list made in the 3.9
 *         layout.
 * @pyequiv none (CPython knows one layout per version).
 */
MP_EXTERN mp_shareable_list_layout_t mp_shareable_list_layout(const mp_shareable_list_t *sl);

/**
 * @brief Reads an item. A str or bytes loses its trailing NUL bytes, as in CPython.
 * @param sl         the list.
 * @param index      the position; negative counts from the end.
 * @param[out] out   a new reference to the value.
 * @return 0; #MP_EINDEX out of range ("index out of range"); #MP_EDECODE for a format or a
 *         back-transform code CPython would not write, a slot too small for its format, or a
 *         str that is not UTF-8; #MP_ECLOSED after close.
 * @pyequiv `sl[index]`.
 */
MP_EXTERN int mp_shareable_list_get(const mp_shareable_list_t *sl, long index, mp_obj_t **out);

/**
 * @brief Writes an item, in place: its type may change (a str or bytes keeps its slot's size,
 *        an int, float, bool or None takes the slot's first 8 bytes).
 * @param sl     the list.
 * @param index  the position; negative counts from the end.
 * @param value  None, bool, int (within int64), float, str or bytes.
 * @return 0; #MP_EINDEX out of range ("assignment index out of range"); #MP_EINVAL for a str or
 *         bytes longer than its slot ("bytes/str item exceeds available storage", CPython's
 *         ValueError) or a value that cannot be stored; #MP_EDECODE for a slot whose format
 *         is corrupt; #MP_ECLOSED after close.
 * @pyequiv `sl[index] = value`.
 */
MP_EXTERN int mp_shareable_list_set(mp_shareable_list_t *sl, long index, const mp_obj_t *value);

/**
 * @brief Counts the items equal to a value (by Python's `==`: `1 == 1.0 == True`).
 * @param sl         the list.
 * @param value      the value.
 * @param[out] out   the count.
 * @return 0; the errors of mp_shareable_list_get().
 * @pyequiv `sl.count(value)`.
 */
MP_EXTERN int mp_shareable_list_count(const mp_shareable_list_t *sl, const mp_obj_t *value,
                                      size_t *out);

/**
 * @brief The position of the first item equal to a value.
 * @param sl         the list.
 * @param value      the value.
 * @param[out] out   the position.
 * @return 0; #MP_EINVAL when no item is equal (ValueError "... not in this container"); the
 *         errors of mp_shareable_list_get().
 * @pyequiv `sl.index(value)`.
 */
MP_EXTERN int mp_shareable_list_index(const mp_shareable_list_t *sl, const mp_obj_t *value,
                                      size_t *out);

/**
 * @brief The `struct` format of all the items, one after the other (``"q8sxxxxxxx?d"``).
 * @param sl         the list.
 * @param[out] out   the format, malloc'd (free it with free()).
 * @return 0; #MP_EDECODE for a corrupt format; #MP_ECLOSED after close; #MP_ENOMEM.
 * @pyequiv `sl.format`.
 */
MP_EXTERN int mp_shareable_list_format(const mp_shareable_list_t *sl, char **out);

/**
 * @brief The block that holds the list.
 * @param sl  the list.
 * @return the block, owned by the list; NULL for NULL.
 * @pyequiv `sl.shm`.
 */
MP_EXTERN mp_shared_memory_t *mp_shareable_list_shm(const mp_shareable_list_t *sl);

/**
 * @brief The block's name, without the leading slash.
 * @param sl  the list.
 * @return the name, owned by the list; NULL for NULL.
 * @pyequiv `sl.shm.name`.
 */
MP_EXTERN const char *mp_shareable_list_name(const mp_shareable_list_t *sl);

/**
 * @brief Ends this process's use of the block (mp_shared_memory_close()).
 * @param sl  the list.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `sl.shm.close()`.
 */
MP_EXTERN int mp_shareable_list_close(mp_shareable_list_t *sl);

/**
 * @brief Removes the block's name (mp_shared_memory_unlink()).
 * @param sl  the list.
 * @return 0; #MP_ENOENT if it is gone already; #MP_EINVAL for NULL.
 * @pyequiv `sl.shm.unlink()`.
 */
MP_EXTERN int mp_shareable_list_unlink(mp_shareable_list_t *sl);

/**
 * @brief Closes the block if it is open and frees the list. NULL is a no-op. It does not
 *        unlink.
 * @param sl  the list, or NULL.
 * @pyequiv the object's `__del__`.
 */
MP_EXTERN void mp_shareable_list_free(mp_shareable_list_t *sl);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* MP_SHAREABLE_LIST_H */
