/**
 * @file shared_memory.h
 * @brief Named shared memory blocks: `multiprocessing.shared_memory.SharedMemory`, by the same
 *        names in `/dev/shm`, so that a C process and a Python process share one block.
 *
 * A block is a POSIX shared memory object (shm_open(3)) mapped read-write. It is made with
 * `create` (O_CREAT | O_EXCL, mode 0600, then sized with ftruncate) or attached by name; a
 * NULL name with `create` makes a fresh one as CPython does: `psm_` and 8 random hex digits
 * (14 bytes with the leading slash, CPython's safe length on every platform). Names are given
 * and returned without the leading slash, as CPython's `SharedMemory.name`; the object in
 * `/dev/shm` has the same name, so ``SharedMemory(name="psm_1a2b3c4d")`` in Python attaches to a
 * block that C made, and mp_shared_memory_new() with create 0 to one that Python made.
 *
 * **The size** is the object's size as fstat(2) reports it after creation, which on Linux is
 * the size asked for; attaching ignores the size given and takes the block's.
 *
 * **Clean-up.** mp_shared_memory_close() ends this process's use; mp_shared_memory_unlink()
 * removes the name, once, by any process. A block whose creator ends (or crashes) without
 * unlinking is unlinked by a tracker process, libmp's counterpart of CPython's resource
 * tracker: see the page @ref shared_memory for the design, its limits and how CPython's own
 * tracker treats a block it attaches to.
 *
 * @defgroup mp_shared_memory SharedMemory
 * @{
 */
#ifndef MP_SHARED_MEMORY_H
#define MP_SHARED_MEMORY_H

#include <stddef.h>

#include "mp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A shared memory block: `multiprocessing.shared_memory.SharedMemory`. */
typedef struct mp_shared_memory_s mp_shared_memory_t;

/**
 * @brief Makes a new block, or attaches to an existing one by name.
 * @param[out] out  the block, mapped.
 * @param name      its name (without or with a leading slash); NULL with create for a new
 *                  `psm_` name, as CPython.
 * @param create    1 to make a block that must not exist yet, 0 to attach to one that does.
 * @param size      the size in bytes to make; ignored when attaching.
 * @return 0; #MP_EINVAL for size 0 with create (CPython's ValueError "'size' must be a
 *         positive number different from zero"), a NULL name without create (ValueError
 *         "'name' can only be None if create=True"), an empty name, one with a slash past
 *         its first byte or one longer than NAME_MAX (CPython's OSError EINVAL), or a block of size 0 to attach to (ValueError "cannot mmap an empty
 *         file"); #MP_EEXIST (FileExistsError) when create finds the name taken; #MP_ENOENT
 *         (FileNotFoundError) when an attach finds none; #MP_EACCES (PermissionError); another
 *         negative errno from the system (`-ENOSPC`, `-EFBIG` for a size it refuses; then the
 *         half-made block is unlinked, as CPython does).
 * @pyequiv `multiprocessing.shared_memory.SharedMemory(name, create, size)`.
 */
MP_EXTERN int mp_shared_memory_new(mp_shared_memory_t **out, const char *name, int create,
                                   size_t size);

/**
 * @brief The block's memory.
 * @param shm  the block.
 * @return its first byte; NULL after mp_shared_memory_close() or for a NULL block.
 * @pyequiv `SharedMemory.buf`.
 */
MP_EXTERN void *mp_shared_memory_buf(const mp_shared_memory_t *shm);

/**
 * @brief The block's size in bytes.
 * @param shm  the block.
 * @return the size (still known after close); 0 for a NULL block.
 * @pyequiv `SharedMemory.size`.
 */
MP_EXTERN size_t mp_shared_memory_size(const mp_shared_memory_t *shm);

/**
 * @brief The block's name, without the leading slash.
 * @param shm  the block.
 * @return the name, owned by the block; NULL for a NULL block.
 * @pyequiv `SharedMemory.name`.
 */
MP_EXTERN const char *mp_shared_memory_name(const mp_shared_memory_t *shm);

/**
 * @brief Ends this process's use of the block: unmaps it and closes its descriptor. The block
 *        and its name stay for the other processes. Idempotent.
 * @param shm  the block.
 * @return 0; #MP_EINVAL for a NULL block.
 * @pyequiv `SharedMemory.close()`.
 */
MP_EXTERN int mp_shared_memory_close(mp_shared_memory_t *shm);

/**
 * @brief Removes the block's name, so that no one attaches any more; the memory goes when the
 *        last process closes it. Call it once, from any one process. The tracker of this
 *        process forgets the name.
 * @param shm  the block (open or closed).
 * @return 0; #MP_ENOENT (FileNotFoundError) if the name is gone already; #MP_EINVAL for a NULL
 *         block.
 * @pyequiv `SharedMemory.unlink()`.
 */
MP_EXTERN int mp_shared_memory_unlink(mp_shared_memory_t *shm);

/**
 * @brief Closes the block if it is open and frees the handle. NULL is a no-op. It does not
 *        unlink.
 * @param shm  the block, or NULL.
 * @pyequiv the object's `__del__`, which closes.
 */
MP_EXTERN void mp_shared_memory_free(mp_shared_memory_t *shm);

#ifdef __cplusplus
}
#endif

/** @} */

#endif /* MP_SHARED_MEMORY_H */
