/* Shared memory (shm.c), used by the synchronisation primitives and the queues. Nothing here is
 * part of the API. */
#ifndef MP_SHM_IMPL_H
#define MP_SHM_IMPL_H

#include <stddef.h>

#include "mp_internal.h"

/* Memory shared with every process forked after it is allocated: the state of Lock, Semaphore,
 * Condition, Event and Barrier, and of queues. Any size (a 32-byte lock or a ring of many
 * megabytes); zeroed; 16-byte aligned. Up to 4 KiB comes from 64 KiB arena chunks (64-byte
 * slots, one cache line at least, so objects never share a line); above that each region is a
 * memfd of its own whose pages the kernel allocates only when touched (a large sparse ring
 * costs what it holds). Every region is MAP_SHARED over a close-on-exec memfd.
 * Thread-safe and fork-safe. Returns 0, MP_EINVAL (size 0 or absurd), MP_ENOMEM or -errno. */
int mp__shm_alloc(size_t size, void **out);

/* Stops this process's use of a region. Bytes that a forked process may still map are never
 * handed out again by this process; a region of its own is unmapped here at once. NULL is a
 * no-op. */
void mp__shm_free(void *p);

/* Which memfd holds `p`, at which offset, and the size of the mapping it is in (a queue
 * measures the memory its ring really holds with it). */
int mp__shm_locate(const void *p, int *fd, size_t *offset, size_t *size);

/* mp__shm_locate() for a region another process is given (spawn, forkserver): the region is
 * marked as one this process must not hand out again when it frees it. */
int mp__shm_export(const void *p, int *fd, size_t *offset, size_t *size);

/* The other side: maps the memfd `fd` (once per memfd, whatever the descriptor's number; the
 * mapping has a descriptor of its own) and gives the address of `need` bytes at `offset`, after
 * checking that they lie in it. The region is this process's to use, never to allocate from;
 * mp__shm_free() of the address gives up this use, and the last use unmaps it. mp__shm_locate()
 * works on it (a child passes its handles on). Returns 0, MP_EDECODE (not a memfd, out of
 * bounds, misaligned) with a message, or -errno. */
int mp__shm_adopt(int fd, size_t offset, size_t need, void **out);

#endif /* MP_SHM_IMPL_H */
