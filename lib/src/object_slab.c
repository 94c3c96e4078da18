/* Slabs: bulk allocation of small values for the pickle decoder.
 *
 * Decoding a list of 100,000 ints makes 100,000 small objects, and dropping it frees them. With
 * one malloc each, that churn is most of the cost: glibc puts the freed chunks in fast bins,
 * the next large request coalesces them all into the top of the heap, the heap is trimmed, and
 * the next decode faults every page back in. So while a thread has an arena open (the decoder
 * opens one per call), objects of up to 256 bytes are carved from 16 KiB slabs instead.
 *
 * Each object keeps its slab's count (MP__F_SLAB; the slab is found by aligning the address
 * down), and freeing it, from any thread, decrements that count (once for a run of frees into
 * one slab, as freeing a container's items mostly is: mp__slab_batch_t); the slab is recycled
 * when its last object goes. A slab starts with a count large enough for every object it could hold, and
 * the arena gives back what it did not hand out when it moves on, so the count cannot reach
 * zero while the arena still carves from it, and carving needs no atomic operation. Recycled
 * slabs wait in a small pool (at most 8 MiB), so the next decode reuses warm memory.
 *
 * The price, as with CPython's own arenas: one live object keeps its 16 KiB slab.
 *
 * At the other end of the scale, mp__advise_fill() asks for huge pages for a buffer of many
 * megabytes about to be filled in one go (a 64 MiB bytes being copied): its page faults are
 * what costs most, and huge pages take 512 times fewer. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "object_impl.h"

#define SLAB_SIZE MP__SLAB_SIZE
#define SLAB_FULL ((size_t)SLAB_SIZE) /* more than the objects a slab can hold */
#define POOL_MAX 512

typedef struct slab {
    atomic_size_t live;
    struct slab *next; /* in the pool */
} slab_t;

#define SLAB_FIRST 64 /* the header, rounded up so that objects stay 16-byte aligned */

/* The calling thread's arena (object_impl.h carves from it inline). */
_Thread_local mp__arena_t mp__arena;
#define A mp__arena

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static slab_t *pool;
static size_t pool_n;

/* fork() in another thread while this one holds the pool lock must not leave the child a lock
 * that no one will release. */
static void pool_lock_all(void)
{
    pthread_mutex_lock(&pool_lock);
}

static void pool_unlock_all(void)
{
    pthread_mutex_unlock(&pool_lock);
}

static void pool_init(void)
{
    pthread_atfork(pool_lock_all, pool_unlock_all, pool_unlock_all);
}

static slab_t *slab_get(void)
{
    pthread_once(&pool_once, pool_init);
    pthread_mutex_lock(&pool_lock);
    slab_t *s = pool;
    if (s) {
        pool = s->next;
        pool_n--;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!s && !(s = aligned_alloc(SLAB_SIZE, SLAB_SIZE)))
        return NULL;
    atomic_init(&s->live, SLAB_FULL);
    return s;
}

static void slab_release(slab_t *s, size_t n)
{
    if (atomic_fetch_sub_explicit(&s->live, n, memory_order_release) != n)
        return;
    atomic_thread_fence(memory_order_acquire);
    pthread_mutex_lock(&pool_lock);
    if (pool_n < POOL_MAX) {
        s->next = pool;
        pool = s;
        pool_n++;
        s = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    free(s);
}

/* The arena stops carving from its slab: the count it was charged for objects never handed out
 * goes back. With no slab, the inline carving finds no room and comes to mp__slab_refill(). */
static void retire(void)
{
    if (A.cur)
        slab_release(A.cur, SLAB_FULL - A.handed);
    A.cur = NULL;
    A.next = A.end = NULL;
}

void mp__arena_open(void)
{
    A.depth++;
}

void mp__arena_close(void)
{
    if (A.depth && --A.depth == 0)
        retire();
}

void *mp__slab_refill(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!A.depth || size > MP__SLAB_OBJ_MAX)
        return NULL;
    retire();
    if (!(A.cur = slab_get()))
        return NULL;
    A.next = (char *)A.cur + SLAB_FIRST;
    A.end = (char *)A.cur + SLAB_SIZE;
    A.handed = 0;
    MP__SLAB_UNPOISON(A.next, (size_t)(A.end - A.next));
    return mp__slab_alloc(size);
}

void mp__advise_huge(void *p, size_t n)
{
    const uintptr_t huge = MP__ADVISE_MIN / 2;
    uintptr_t from = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t to = ((uintptr_t)p + n) & ~(huge - 1);
    if (to > from)
        /* A hint: failure changes nothing. */
        madvise((void *)from, to - from, MADV_HUGEPAGE); /* NOLINT(performance-no-int-to-ptr) */
}

void mp__slab_flush(mp__slab_batch_t *b)
{
    if (b->n)
        slab_release(b->slab, b->n);
    b->n = 0;
}

void mp__slab_switch(mp__slab_batch_t *b, void *slab)
{
    mp__slab_flush(b);
    b->slab = slab;
}
