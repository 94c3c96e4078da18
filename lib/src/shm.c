/* Shared memory for the synchronisation primitives and the queue rings.
 *
 * Every region is MAP_SHARED over a memfd, so it is shared with each process forked after it is
 * made. The memfds are close-on-exec, as every descriptor libmp makes (connection.h); a start
 * method that execs would have to hand them down and map them again, and libmp has only fork.
 *
 * Small objects (a lock is 32 bytes) are carved from 64 KiB arena chunks, so that a program with
 * thousands of locks does not hold thousands of descriptors; larger regions get a memfd each,
 * sized lazily by the kernel (an unused part of a ring costs nothing).
 *
 * Freeing is the subtle part. A forked child keeps using an object its parent frees, so a slot
 * that may be mapped in another process must never be handed out again: this process knows it
 * is safe only when no fork happened between the slot's allocation and its free (the fork
 * generation below). Other freed slots are quarantined, and a chunk whose slots are all free or
 * quarantined is unmapped from this process (the kernel keeps the pages for the processes that
 * still map them). Only the process that made a chunk allocates from it; a child making objects
 * gets chunks of its own, so two processes never hand out the same bytes.
 *
 * A process started by exec (spawn, forkserver) gets the memfds as descriptors and adopts them:
 * each memfd is mapped whole, once, however many handles live in it, and is unmapped when the
 * last of them is freed. An adopted region is never allocated from (its maker does that). A
 * region sent to such a process is marked shared as a fork would mark it, since the other
 * process may use it after this one frees it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm_impl.h"

#define CHUNK_SIZE (64u * 1024u)
#define SLOT_ALIGN 64u  /* slots start on a cache line: no false sharing between objects */
#define HDR_SIZE 16u    /* before each arena object: its slot size and fork generation */
#define SMALL_MAX 4096u /* larger requests get a memfd of their own */
#define SLOT_MAGIC 0x6d707368u

struct slot_hdr {
    uint32_t magic;
    uint32_t size; /* the whole slot, header included */
    uint64_t gen;  /* fork generation of the allocating process when it was allocated */
};

struct free_slot {
    struct free_slot *next; /* stored in the freed slot itself: only its owner touches it */
    uint32_t size;
};

struct region {
    struct region *next;
    char *base;
    size_t size;
    int fd;
    int big;                /* a single object, no header */
    pid_t owner;            /* the process that made it; only it allocates from it */
    size_t bump;            /* arena: first never-used byte */
    size_t live;            /* arena: objects allocated and not freed */
    int quarantined;        /* arena: some freed slot can never be reused */
    struct free_slot *free; /* arena: reusable slots */
    size_t adopted;         /* mapped from another process's memfd: handles using it, else 0 */
    dev_t dev;              /* adopted: which memfd, so that one is mapped once */
    ino_t ino;
};

static pthread_mutex_t shm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t shm_once = PTHREAD_ONCE_INIT;
static struct region *regions;
static uint64_t fork_gen;

/* The lock is held across fork so the child never inherits it mid-update; each fork bumps the
 * generation, which is what tells a private slot from one a child may also map. */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&shm_lock);
    fork_gen++;
}

static void atfork_release(void)
{
    pthread_mutex_unlock(&shm_lock);
}

static void shm_init(void)
{
    pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

static int map_new(size_t size, struct region **out)
{
    int fd = memfd_create("libmp", MFD_CLOEXEC);
    if (fd < 0)
        return mp__fail(mp__errno(), "memfd_create: %s", strerror(errno));
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = mp__errno();
        close(fd);
        return mp__fail(e, "ftruncate of shared memory: %s", strerror(-e));
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        int e = mp__errno();
        close(fd);
        return mp__fail(e, "mmap of shared memory: %s", strerror(-e));
    }
    struct region *r = calloc(1, sizeof *r);
    if (!r) {
        munmap(base, size);
        close(fd);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    r->base = base;
    r->size = size;
    r->fd = fd;
    r->owner = getpid();
    *out = r;
    return 0;
}

static void unmap(struct region *r)
{
    for (struct region **pp = &regions; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    munmap(r->base, r->size);
    close(r->fd);
    free(r);
}

/* A slot of exactly `size` bytes from one of this process's chunks, or NULL. */
static char *take_slot(size_t size, pid_t me)
{
    for (struct region *r = regions; r; r = r->next) {
        if (r->big || r->owner != me)
            continue;
        for (struct free_slot **pp = &r->free; *pp; pp = &(*pp)->next) {
            if ((*pp)->size == size) {
                struct free_slot *s = *pp;
                *pp = s->next;
                memset(s, 0, size);
                r->live++;
                return (char *)s;
            }
        }
        if (r->bump + size <= r->size) {
            char *p = r->base + r->bump;
            r->bump += size;
            r->live++;
            return p;
        }
    }
    return NULL;
}

static int alloc_small(size_t want, void **out)
{
    size_t size = (want + HDR_SIZE + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
    pid_t me = getpid();
    char *slot = take_slot(size, me);
    if (!slot) {
        struct region *r = NULL;
        int rc = map_new(CHUNK_SIZE, &r);
        if (rc < 0 || !r)
            return rc < 0 ? rc : MP_ENOMEM;
        r->next = regions;
        regions = r;
        slot = take_slot(size, me);
    }
    struct slot_hdr *h = (struct slot_hdr *)slot;
    h->magic = SLOT_MAGIC;
    h->size = (uint32_t)size;
    h->gen = fork_gen;
    *out = slot + HDR_SIZE;
    return 0;
}

int mp__shm_alloc(size_t size, void **out)
{
    pthread_once(&shm_once, shm_init);
    if (size == 0 || size > ((size_t)1 << 46))
        return mp__fail(MP_EINVAL, "shared memory size %zu out of range", size);
    pthread_mutex_lock(&shm_lock);
    int rc;
    if (size <= SMALL_MAX) {
        rc = alloc_small(size, out);
    } else {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        struct region *r = NULL;
        rc = map_new((size + page - 1) / page * page, &r);
        if (rc == 0 && r) {
            r->big = 1;
            r->next = regions;
            regions = r;
            *out = r->base;
        }
    }
    pthread_mutex_unlock(&shm_lock);
    return rc;
}

static struct region *find(const void *p)
{
    const char *c = p;
    for (struct region *r = regions; r; r = r->next)
        if (c >= r->base && c < r->base + r->size)
            return r;
    return NULL;
}

static void free_small(struct region *r, char *obj)
{
    struct slot_hdr *h = (struct slot_hdr *)(obj - HDR_SIZE);
    if (h->magic != SLOT_MAGIC)
        return; /* not an object start: refuse quietly rather than corrupt the arena */
    uint32_t size = h->size;
    int shared = h->gen != fork_gen;
    h->magic = 0;
    r->live--;
    if (shared) {
        r->quarantined = 1;
    } else {
        struct free_slot *s = (struct free_slot *)(void *)h;
        s->size = size;
        s->next = r->free;
        r->free = s;
    }
    if (r->live == 0 && r->quarantined)
        unmap(r);
}

void mp__shm_free(void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&shm_lock);
    struct region *r = find(p);
    if (r && r->adopted) {
        if (--r->adopted == 0)
            unmap(r);
        pthread_mutex_unlock(&shm_lock);
        return;
    }
    /* Another process's chunk: its maker decides when the bytes are reused; we only stop using
     * them. A region of its own is unmapped here whoever made it (a per-process mapping). */
    if (r && r->big)
        unmap(r);
    else if (r && r->owner == getpid())
        free_small(r, p);
    pthread_mutex_unlock(&shm_lock);
}

int mp__shm_locate(const void *p, int *fd, size_t *offset, size_t *size)
{
    pthread_mutex_lock(&shm_lock);
    struct region *r = find(p);
    if (r) {
        *fd = r->fd;
        *offset = (size_t)((const char *)p - r->base);
        *size = r->size;
    }
    pthread_mutex_unlock(&shm_lock);
    return r ? 0 : mp__fail(MP_EINVAL, "not libmp shared memory");
}

int mp__shm_export(const void *p, int *fd, size_t *offset, size_t *size)
{
    pthread_mutex_lock(&shm_lock);
    struct region *r = find(p);
    if (r) {
        *fd = r->fd;
        *offset = (size_t)((const char *)p - r->base);
        *size = r->size;
        struct slot_hdr *h = (struct slot_hdr *)(void *)((char *)r->base + *offset - HDR_SIZE);
        if (!r->big && !r->adopted && *offset >= HDR_SIZE && h->magic == SLOT_MAGIC)
            h->gen = UINT64_MAX; /* never fork_gen: freeing it here quarantines it */
    }
    pthread_mutex_unlock(&shm_lock);
    return r ? 0 : mp__fail(MP_EINVAL, "not libmp shared memory");
}

static struct region *find_adopted(dev_t dev, ino_t ino)
{
    for (struct region *r = regions; r; r = r->next)
        if (r->adopted && r->dev == dev && r->ino == ino)
            return r;
    return NULL;
}

/* Maps the whole memfd behind `fd` (a descriptor of its own, so the caller's may close). */
static int adopt_new(int fd, const struct stat *st, struct region **out)
{
    size_t size = (size_t)st->st_size;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return mp__fail(mp__errno(), "shared memory: dup: %s", strerror(errno));
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
    struct region *r = base != MAP_FAILED ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        int e = base == MAP_FAILED ? mp__errno() : MP_ENOMEM;
        if (base != MAP_FAILED)
            munmap(base, size);
        close(own);
        return mp__fail(e, "mmap of inherited shared memory: %s", strerror(-e));
    }
    r->base = base;
    r->size = size;
    r->fd = own;
    r->dev = st->st_dev;
    r->ino = st->st_ino;
    r->next = regions;
    regions = r;
    *out = r;
    return 0;
}

int mp__shm_adopt(int fd, size_t offset, size_t need, void **out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return mp__fail(MP_EDECODE, "shared memory descriptor: %s", strerror(errno));
    size_t size = (size_t)st.st_size;
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || offset > size || need > size - offset ||
        offset % 16)
        return mp__fail(MP_EDECODE,
                        "shared memory: %zu bytes at offset %zu do not fit in the %zu mapped", need,
                        offset, size);
    pthread_once(&shm_once, shm_init);
    pthread_mutex_lock(&shm_lock);
    struct region *r = find_adopted(st.st_dev, st.st_ino);
    int rc = 0;
    if (r && r->size != size)
        rc = mp__fail(MP_EDECODE, "shared memory changed size since it was mapped");
    else if (!r)
        rc = adopt_new(fd, &st, &r);
    if (rc == 0 && r) {
        r->adopted++;
        *out = r->base + offset;
    }
    pthread_mutex_unlock(&shm_lock);
    return rc;
}
