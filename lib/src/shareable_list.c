/* ShareableList: the block's header, made and read in CPython's two layouts (3.8's item sizes,
 * 3.9's offsets), and the handle's life. The items themselves are shareable_list_item.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shareable_list_impl.h"

static int64_t get64(const unsigned char *p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void put64(unsigned char *p, int64_t v)
{
    memcpy(p, &v, sizeof v);
}

static size_t header_size(size_t n, mp_shareable_list_layout_t layout)
{
    return 8 * (n + (layout == MP_SHAREABLE_LIST_PY39 ? 2 : 1));
}

static int items_of(const mp_obj_t *seq, mp_obj_t *const **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    if (!seq)
        return 0;
    if (mp_obj_type(seq) == MP_TYPE_LIST) {
        *items = mp_list_items(seq);
        *n = mp_list_size(seq);
    } else if (mp_obj_type(seq) == MP_TYPE_TUPLE) {
        *items = mp_tuple_items(seq);
        *n = mp_tuple_size(seq);
    } else {
        return mp__fail(MP_EINVAL,
                        "ShareableList: the sequence must be a list or a tuple, not '%s'",
                        mp_type_name(mp_obj_type(seq)));
    }
    return 0;
}

/* Encodes every item and lays the slots out; a blob's format names its whole slot, as
 * CPython's "%ds" does. */
static int plan(mp_shareable_list_t *sl, mp_obj_t *const *items, mp__shl_item_t *it)
{
    sl->offsets[0] = 0;
    for (size_t i = 0; i < sl->len; i++) {
        int rc = mp__shl_encode(items[i], &it[i]);
        if (rc < 0)
            return rc;
        size_t slot = mp__shl_slot(&it[i]);
        if (slot > MP__SHL_SLOT_MAX)
            return mp__fail(MP_EINVAL,
                            "ShareableList: item %zu needs %zu bytes; its format allows %u at most",
                            i, slot, MP__SHL_SLOT_MAX);
        if (it[i].blob)
            snprintf(it[i].fmt, sizeof it[i].fmt, "%zus", slot);
        sl->offsets[i + 1] = sl->offsets[i] + slot;
    }
    return 0;
}

static void write_all(mp_shareable_list_t *sl, const mp__shl_item_t *it)
{
    unsigned char *b = mp_shared_memory_buf(sl->shm);
    size_t n = sl->len, formats = sl->data + sl->offsets[n];
    put64(b, (int64_t)n);
    for (size_t i = 0; i <= n; i++) {
        if (sl->layout == MP_SHAREABLE_LIST_PY39)
            put64(b + 8 * (i + 1), (int64_t)sl->offsets[i]);
        else if (i < n)
            put64(b + 8 * (i + 1), (int64_t)(sl->offsets[i + 1] - sl->offsets[i]));
    }
    for (size_t i = 0; i < n; i++) {
        mp__shl_pack(b + sl->data + sl->offsets[i], it[i].fmt, &it[i]);
        mp__shl_put_format(b + formats + 8 * i, it[i].fmt);
        b[formats + 8 * n + i] = (unsigned char)it[i].code;
    }
}

static int make(mp_shareable_list_t *sl, mp_obj_t *const *items, const char *name)
{
    mp__shl_item_t *it = calloc(sl->len ? sl->len : 1, sizeof *it);
    if (!it)
        return MP_ENOMEM;
    int rc = plan(sl, items, it);
    if (rc == 0) {
        size_t size = sl->data + sl->offsets[sl->len] + 9 * sl->len;
        rc = mp_shared_memory_new(&sl->shm, name, 1, size);
    }
    if (rc == 0)
        write_all(sl, it);
    free(it);
    return rc;
}

static mp_shareable_list_t *handle(size_t n)
{
    mp_shareable_list_t *sl = calloc(1, sizeof *sl);
    if (sl && !(sl->offsets = calloc(n + 1, sizeof *sl->offsets))) {
        free(sl);
        sl = NULL;
    }
    if (sl)
        sl->len = n;
    return sl;
}

int mp_shareable_list_new_layout(mp_shareable_list_t **out, const mp_obj_t *sequence,
                                 const char *name, mp_shareable_list_layout_t layout)
{
    MP__NEED(out);
    *out = NULL;
    if (layout != MP_SHAREABLE_LIST_PY39 && layout != MP_SHAREABLE_LIST_PY38)
        return mp__fail(MP_EINVAL, "ShareableList: unknown layout %d", (int)layout);
    mp_obj_t *const *items;
    size_t n;
    int rc = items_of(sequence, &items, &n);
    if (rc < 0)
        return rc;
    mp_shareable_list_t *sl = handle(n);
    if (!sl)
        return MP_ENOMEM;
    sl->layout = layout;
    sl->data = header_size(n, layout);
    rc = make(sl, items, name);
    if (rc < 0) {
        mp_shareable_list_free(sl);
        return rc;
    }
    *out = sl;
    return 0;
}

int mp_shareable_list_new(mp_shareable_list_t **out, const mp_obj_t *sequence, const char *name)
{
    return mp_shareable_list_new_layout(out, sequence, name, MP_SHAREABLE_LIST_PY39);
}

/* Every number of the header is checked against the block's size before it is used, so a
 * corrupt or hostile header is refused here and no later read leaves the block. */
static int read_slots(mp_shareable_list_t *sl, const unsigned char *b, size_t size)
{
    const int py39 = sl->layout == MP_SHAREABLE_LIST_PY39;
    if (py39 && sl->len > 0 && get64(b + 8) != 0)
        return mp__fail(MP_EDECODE, "ShareableList: the first offset is not 0");
    for (size_t i = 0; i < sl->len; i++) {
        int64_t v = get64(b + 8 * (i + (py39 ? 2 : 1)));
        int64_t prev = (int64_t)sl->offsets[i];
        if (v < 0 || (uint64_t)v > size || (py39 && v < prev))
            return mp__fail(MP_EDECODE, "ShareableList: item %zu's %s %lld is out of the block", i,
                            py39 ? "end offset" : "size", (long long)v);
        int64_t slot = py39 ? v - prev : v;
        if (slot < 8 || slot % 8 != 0 || (uint64_t)(prev + slot) > size)
            return mp__fail(MP_EDECODE,
                            "ShareableList: item %zu's slot of %lld bytes is not a multiple of "
                            "8 within the block",
                            i, (long long)slot);
        sl->offsets[i + 1] = (size_t)(prev + slot);
    }
    if (sl->data + sl->offsets[sl->len] + 9 * sl->len > size)
        return mp__fail(MP_EDECODE, "ShareableList: %zu items need more than the block's %zu bytes",
                        sl->len, size);
    return 0;
}

static int read_header(mp_shareable_list_t **out, const mp_shared_memory_t *shm)
{
    const unsigned char *b = mp_shared_memory_buf(shm);
    size_t size = mp_shared_memory_size(shm);
    int64_t n = size >= 8 ? get64(b) : -1;
    /* an item takes 25 bytes at least: an offset, a slot, a format and a code */
    if (n < 0 || (uint64_t)n > size / 25)
        return mp__fail(MP_EDECODE, "ShareableList: a count of %lld items in a block of %zu bytes",
                        (long long)n, size);
    mp_shareable_list_t *sl = handle((size_t)n);
    if (!sl)
        return MP_ENOMEM;
    /* 3.8's first word after the count is an item's size (8 or more), 3.9's an offset (0) */
    int py38 = n > 0 ? get64(b + 8) != 0 : size < 16;
    sl->layout = py38 ? MP_SHAREABLE_LIST_PY38 : MP_SHAREABLE_LIST_PY39;
    sl->data = header_size(sl->len, sl->layout);
    int rc = sl->data <= size ? read_slots(sl, b, size)
                              : mp__fail(MP_EDECODE, "ShareableList: the header is cut short");
    if (rc < 0) {
        mp_shareable_list_free(sl);
        return rc;
    }
    *out = sl;
    return 0;
}

int mp_shareable_list_attach(mp_shareable_list_t **out, const char *name)
{
    MP__NEED(out);
    *out = NULL;
    MP__NEED(name);
    mp_shared_memory_t *shm;
    int rc = mp_shared_memory_new(&shm, name, 0, 0);
    if (rc < 0)
        return rc;
    rc = read_header(out, shm);
    if (rc < 0) {
        mp_shared_memory_free(shm);
        return rc;
    }
    (*out)->shm = shm;
    return 0;
}

size_t mp_shareable_list_len(const mp_shareable_list_t *sl)
{
    MP__NEED_OR(sl, 0);
    return sl->len;
}

mp_shareable_list_layout_t mp_shareable_list_layout(const mp_shareable_list_t *sl)
{
    MP__NEED_OR(sl, MP_SHAREABLE_LIST_PY39);
    return sl->layout;
}

mp_shared_memory_t *mp_shareable_list_shm(const mp_shareable_list_t *sl)
{
    MP__NEED_OR(sl, NULL);
    return sl->shm;
}

const char *mp_shareable_list_name(const mp_shareable_list_t *sl)
{
    MP__NEED_OR(sl, NULL);
    return mp_shared_memory_name(sl->shm);
}

int mp_shareable_list_close(mp_shareable_list_t *sl)
{
    MP__NEED(sl);
    return mp_shared_memory_close(sl->shm);
}

int mp_shareable_list_unlink(mp_shareable_list_t *sl)
{
    MP__NEED(sl);
    return mp_shared_memory_unlink(sl->shm);
}

void mp_shareable_list_free(mp_shareable_list_t *sl)
{
    if (!sl)
        return;
    mp_shared_memory_free(sl->shm);
    free(sl->offsets);
    free(sl);
}
