/* SharedMemory: a POSIX shared memory object in /dev/shm, named and sized as CPython's
 * multiprocessing.shared_memory does, so that either side may attach to the other's block. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared_memory_impl.h"

struct mp_shared_memory_s {
    void *buf;
    size_t size;
    int fd;
    char *name; /* as given, or made: what Python's .name says */
    char *path; /* what shm_open(3) is given: "/" + name, as CPython's _name */
};

/* CPython's _make_filename(): "/psm_" and token_hex((14 - 5) // 2), 14 bytes at most, the
 * length that every platform CPython supports accepts. */
static int random_path(char path[16])
{
    unsigned char r[4];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno != EINTR)
            return mp__errno();
        got += n > 0 ? (size_t)n : 0;
    }
    snprintf(path, 16, "/psm_%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    return 0;
}

static int open_new(mp_shared_memory_t *m, const char *name)
{
    char made[16];
    const int flags = O_CREAT | O_EXCL | O_RDWR;
    if (name) {
        if (asprintf(&m->path, "/%s", name) < 0)
            return MP_ENOMEM;
        m->fd = shm_open(m->path, flags, 0600);
        return m->fd < 0 ? mp__errno() : 0;
    }
    /* A name taken by chance is drawn again, as CPython does. The path is copied before the
     * block exists: a copy that failed after it would leave the block, made and unnamed to the
     * caller, in /dev/shm. */
    for (;;) {
        int rc = random_path(made);
        if (rc < 0)
            return rc;
        m->path = strdup(made);
        if (!m->path)
            return MP_ENOMEM;
        m->fd = shm_open(m->path, flags, 0600);
        if (m->fd >= 0 || errno != EEXIST)
            break;
        free(m->path);
        m->path = NULL;
    }
    return m->fd < 0 ? mp__errno() : 0;
}

static int open_existing(mp_shared_memory_t *m, const char *name)
{
    if (asprintf(&m->path, "/%s", name) < 0)
        return MP_ENOMEM;
    m->fd = shm_open(m->path, O_RDWR, 0600);
    return m->fd < 0 ? mp__errno() : 0;
}

/* Sets *described when it leaves a message of its own (the empty file). */
static int size_and_map(mp_shared_memory_t *m, int create, size_t size, int *described)
{
    struct stat st;
    if (create && ftruncate(m->fd, (off_t)size) < 0)
        return mp__errno();
    if (fstat(m->fd, &st) < 0)
        return mp__errno();
    if (st.st_size == 0) {
        *described = 1;
        return mp__fail(MP_EINVAL, "SharedMemory: cannot mmap an empty file");
    }
    m->size = (size_t)st.st_size;
    m->buf = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->buf == MAP_FAILED) {
        m->buf = NULL;
        return mp__errno();
    }
    return 0;
}

static const char *why(int rc)
{
    return rc == MP_EEXIST   ? "File exists"
           : rc == MP_ENOENT ? "No such file or directory"
                             : mp_strerror(rc);
}

int mp_shared_memory_new(mp_shared_memory_t **out, const char *name, int create, size_t size)
{
    MP__NEED(out);
    *out = NULL;
    if (create && size == 0)
        return mp__fail(MP_EINVAL, "'size' must be a positive number different from zero");
    if (!create && !name)
        return mp__fail(MP_EINVAL, "'name' can only be None if create=True");
    if (size > (size_t)INT64_MAX)
        return mp__fail(MP_EINVAL, "'size' must be a positive integer");
    mp_shared_memory_t *m = calloc(1, sizeof *m);
    if (!m)
        return MP_ENOMEM;
    m->fd = -1;
    int described = 0;
    int rc = create ? open_new(m, name) : open_existing(m, name);
    if (rc == 0 && m->path) {
        m->name = strdup(name ? name : m->path + 1);
        rc = m->name ? size_and_map(m, create, size, &described) : MP_ENOMEM;
        if (rc == 0 && create)
            rc = mp__shm_track(m->path);
        /* A block this call made and could not finish is unlinked, as CPython's constructor
         * does; a name that was taken (EEXIST) is someone else's and is left alone. */
        if (rc < 0 && create)
            shm_unlink(m->path);
    }
    if (rc < 0) {
        if (!described)
            mp__set_errmsg("SharedMemory: [Errno %d] %s: '%s'", -rc, why(rc),
                           m->path ? m->path : "");
        mp_shared_memory_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void *mp_shared_memory_buf(const mp_shared_memory_t *shm)
{
    MP__NEED_OR(shm, NULL);
    return shm->buf;
}

size_t mp_shared_memory_size(const mp_shared_memory_t *shm)
{
    MP__NEED_OR(shm, 0);
    return shm->size;
}

const char *mp_shared_memory_name(const mp_shared_memory_t *shm)
{
    MP__NEED_OR(shm, NULL);
    return shm->name;
}

int mp_shared_memory_close(mp_shared_memory_t *shm)
{
    MP__NEED(shm);
    if (shm->buf)
        munmap(shm->buf, shm->size);
    if (shm->fd >= 0)
        close(shm->fd);
    shm->buf = NULL;
    shm->fd = -1;
    return 0;
}

int mp_shared_memory_unlink(mp_shared_memory_t *shm)
{
    MP__NEED(shm);
    if (shm_unlink(shm->path) < 0) {
        int rc = mp__errno();
        return mp__fail(rc, "SharedMemory: [Errno %d] %s: '%s'", -rc, why(rc), shm->path);
    }
    mp__shm_untrack(shm->path);
    return 0;
}

void mp_shared_memory_free(mp_shared_memory_t *shm)
{
    if (!shm)
        return;
    mp_shared_memory_close(shm);
    free(shm->name);
    free(shm->path);
    free(shm);
}
