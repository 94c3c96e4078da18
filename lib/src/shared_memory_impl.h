/* SharedMemory's internals (shared_memory.c) and its tracker (shared_memory_tracker.c). Nothing
 * here is part of the API. */
#ifndef MP_SHARED_MEMORY_IMPL_H
#define MP_SHARED_MEMORY_IMPL_H

#include "mp_internal.h"

/* The longest shm_open(3) path we pass: NAME_MAX after the one leading slash. */
#define MP__SHM_NAME_MAX 256

/* Registers a path ("/psm_...") with this process's tracker, starting the tracker if there is
 * none yet: at the end of this process and of the children it forks, the path is unlinked
 * unless mp__shm_untrack() came first. Returns 0 or -errno. */
int mp__shm_track(const char *path);

/* Forgets a path: it was unlinked. A no-op without a tracker. */
void mp__shm_untrack(const char *path);

#endif /* MP_SHARED_MEMORY_IMPL_H */
