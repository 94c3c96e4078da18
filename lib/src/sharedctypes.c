/* Value, Array, RawValue and RawArray (sharedctypes.h): a header and the elements in shared
 * memory from shm.c, and a handle per process. Element access is sharedctypes_access.c. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sharedctypes_impl.h"
#include "shm_impl.h"
#include "synchronize_impl.h"

/* Data starts a whole header after the region's start, so every element type is aligned (the
 * region is 16-byte aligned). */
_Static_assert(sizeof(mp__sct_shared_t) == 16, "the header keeps the data 16-byte aligned");

size_t mp__sct_itemsize(char typecode)
{
    switch (typecode) {
    case 'b':
    case 'B':
    case 'c':
        return 1;
    case 'h':
    case 'H':
        return sizeof(short);
    case 'i':
    case 'I':
        return sizeof(int);
    case 'l':
    case 'L':
        return sizeof(long);
    case 'q':
    case 'Q':
        return sizeof(long long);
    case 'f':
        return sizeof(float);
    case 'd':
        return sizeof(double);
    case 'u':
        return sizeof(wchar_t);
    default:
        return 0;
    }
}

static int bad_typecode(char typecode)
{
    if (typecode >= 0x20 && typecode < 0x7f)
        return mp__fail(
            MP_EINVAL, "typecode '%c' is not one of bBhHiIlLqQfdcu (CPython: TypeError)", typecode);
    return mp__fail(MP_EINVAL, "typecode %#x is not one of bBhHiIlLqQfdcu (CPython: TypeError)",
                    (unsigned)(unsigned char)typecode);
}

int mp__sct_check_chars(const char *fn, char typecode, const void *p, size_t n)
{
    for (size_t i = 0; typecode == 'u' && i < n; i++) {
        wchar_t w;
        memcpy(&w, (const unsigned char *)p + i * sizeof w, sizeof w);
        if (w < 0 || w > 0x10ffff)
            return mp__fail(MP_EINVAL,
                            "%s: character U+%llx is not in range [U+0000; U+10ffff] (CPython: "
                            "ValueError)",
                            fn, (unsigned long long)(uint32_t)w);
    }
    return 0;
}

static void fill(struct mp_array_s *a, mp__sct_shared_t *sh)
{
    a->sh = sh;
    a->data = (unsigned char *)(sh + 1);
    a->len = (size_t)sh->len;
    a->typecode = sh->typecode;
    a->itemsize = mp__sct_itemsize(sh->typecode);
}

/* A lock of NULL with `locked` makes the RLock CPython's lock=True makes. */
static int make(struct mp_array_s **out, char typecode, size_t n, const void *init, int locked,
                mp_lock_t *lock)
{
    MP__NEED(out);
    *out = NULL;
    size_t item = mp__sct_itemsize(typecode);
    if (!item)
        return bad_typecode(typecode);
    if (init && mp__sct_check_chars("the initial value", typecode, init, n) < 0)
        return MP_EINVAL;
    if (n > (SIZE_MAX / 2 - sizeof(mp__sct_shared_t)) / item)
        return mp__fail(MP_EINVAL, "%zu elements of '%c' do not fit in memory", n, typecode);
    struct mp_array_s *a = calloc(1, sizeof *a);
    if (!a)
        return mp__fail(MP_ENOMEM, "out of memory");
    void *mem = NULL;
    int rc = mp__shm_alloc(sizeof(mp__sct_shared_t) + n * item, &mem);
    if (rc == 0 && locked && !lock) {
        rc = mp_rlock_new(&a->lock);
        a->own_lock = rc == 0;
    } else {
        a->lock = lock;
    }
    if (rc < 0) {
        mp__shm_free(mem);
        free(a);
        return rc;
    }
    mp__sct_shared_t *sh = mem;
    sh->len = n;
    sh->typecode = typecode;
    fill(a, sh);
    if (init && n)
        memcpy(a->data, init, n * item);
    *out = a;
    return 0;
}

int mp__sct_import(int fd, size_t offset, mp_lock_t *lock, struct mp_array_s **out)
{
    void *mem = NULL;
    mp__sct_shared_t hdr;
    int rc = mp__shm_adopt(fd, offset, sizeof hdr, &mem);
    if (rc < 0)
        return rc;
    memcpy(&hdr, mem, sizeof hdr);
    mp__shm_free(mem);
    size_t item = mp__sct_itemsize(hdr.typecode);
    if (!item || hdr.len > (SIZE_MAX / 2) / item)
        return mp__fail(MP_EDECODE, "a Value or Array of typecode %#x and length %llu",
                        (unsigned)(unsigned char)hdr.typecode, (unsigned long long)hdr.len);
    /* The mapping is asked for as long as the header says, and only then used. */
    rc = mp__shm_adopt(fd, offset, sizeof hdr + (size_t)hdr.len * item, &mem);
    if (rc < 0)
        return rc;
    struct mp_array_s *a = calloc(1, sizeof *a);
    if (!a) {
        mp__shm_free(mem);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    fill(a, mem);
    a->len = (size_t)hdr.len;
    a->typecode = hdr.typecode;
    a->itemsize = item;
    a->lock = lock;
    a->own_lock = lock != NULL;
    *out = a;
    return 0;
}

static void drop(struct mp_array_s *a)
{
    if (!a)
        return;
    if (a->own_lock)
        mp_lock_free(a->lock);
    mp__shm_free(a->sh);
    free(a);
}

int mp_value_new(mp_value_t **out, char typecode, const void *initial, mp_lock_t *lock)
{
    return make((struct mp_array_s **)out, typecode, 1, initial, 1, lock);
}

int mp_rawvalue_new(mp_value_t **out, char typecode, const void *initial)
{
    return make((struct mp_array_s **)out, typecode, 1, initial, 0, NULL);
}

void mp_value_free(mp_value_t *v)
{
    drop(v ? &v->a : NULL);
}

int mp_array_new(mp_array_t **out, char typecode, size_t size, const void *initial, mp_lock_t *lock)
{
    return make(out, typecode, size, initial, 1, lock);
}

int mp_rawarray_new(mp_array_t **out, char typecode, size_t size, const void *initial)
{
    return make(out, typecode, size, initial, 0, NULL);
}

void mp_array_free(mp_array_t *a)
{
    drop(a);
}

static int get_lock(const char *fn, const struct mp_array_s *a, mp_lock_t **out)
{
    if (!a || !out)
        return mp__fail(MP_EINVAL, "%s: %s is NULL", fn, a ? "out" : "the object");
    *out = a->lock;
    if (!a->lock)
        return mp__fail(MP_EINVAL, "%s: a raw object has no lock (CPython: AttributeError)", fn);
    return 0;
}

int mp_value_get_lock(const mp_value_t *v, mp_lock_t **out)
{
    return get_lock(__func__, v ? &v->a : NULL, out);
}

int mp_array_get_lock(const mp_array_t *a, mp_lock_t **out)
{
    return get_lock(__func__, a, out);
}

void *mp_value_get_obj(const mp_value_t *v)
{
    return v ? v->a.data : NULL;
}

void *mp_array_get_obj(const mp_array_t *a)
{
    return a ? a->data : NULL;
}

char mp_value_typecode(const mp_value_t *v)
{
    return v ? v->a.typecode : 0;
}

char mp_array_typecode(const mp_array_t *a)
{
    return a ? a->typecode : 0;
}

size_t mp_array_len(const mp_array_t *a)
{
    return a ? a->len : 0;
}
