/* ShareableList's internals: the handle (shareable_list.c) and the items' encoding in CPython's
 * struct formats (shareable_list_item.c). Nothing here is part of the API. */
#ifndef MP_SHAREABLE_LIST_IMPL_H
#define MP_SHAREABLE_LIST_IMPL_H

#include <stdint.h>

#include "mp/shareable_list.h"
#include "mp_internal.h"

/* The largest slot whose "<n>s" still fits the 8-byte format field (CPython asserts it). */
#define MP__SHL_SLOT_MAX 9999999u

struct mp_shareable_list_s {
    mp_shared_memory_t *shm;
    size_t len;
    /* len + 1 offsets from the data area's start, read once at attach and checked against the
     * block's size: a peer that rewrites the header later cannot send a read out of the block. */
    size_t *offsets;
    size_t data; /* where the data area starts in the block */
    mp_shareable_list_layout_t layout;
};

/* An item as CPython packs it: a blob (str or bytes, code 1 or 2) or an 8-byte word with its
 * format. */
typedef struct {
    char fmt[9];
    signed char code;
    int blob;
    const unsigned char *bytes;
    size_t n;
    unsigned char word[8];
} mp__shl_item_t;

/* Encodes a value to store; MP_EINVAL with CPython's reason for one that cannot be. */
int mp__shl_encode(const mp_obj_t *v, mp__shl_item_t *it);

/* The size of a new slot for an item: 8, or the next multiple of 8 above a blob's length. */
size_t mp__shl_slot(const mp__shl_item_t *it);

/* Writes an item's bytes into a slot as struct.pack_into() of `fmt` would: a blob is cut or
 * padded with NULs to fmt's size, a word fills 8 bytes. */
void mp__shl_pack(unsigned char *slot, const char *fmt, const mp__shl_item_t *it);

/* Writes a format into its 8-byte field, NUL-padded as struct's "8s" pads it. */
void mp__shl_put_format(unsigned char *field, const char *fmt);

#endif /* MP_SHAREABLE_LIST_IMPL_H */
