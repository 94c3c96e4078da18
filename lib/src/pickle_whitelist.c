/* The constructors the decoder lets a pickle name: the whole of what GLOBAL, STACK_GLOBAL and
 * REDUCE may do.
 *
 * Old protocols need a few callables for types that had no opcode yet: bytes at protocols
 * 0-2 is `_codecs.encode(latin1_text, 'latin1')` (or `bytes()` when empty), bytearray below
 * protocol 5 and set/frozenset below 4 are their type applied to bytes or a list. Those names,
 * under `builtins` or Python 2's `__builtin__`, map to inert stand-ins, static objects of a
 * type no value has; applied to arguments of the types CPython pickles for them, a stand-in
 * builds the value here. Nothing is looked up and nothing is called. This file knows nothing of
 * the decoder's state: the opcodes that use it are in pickle_load_text.c. */
#include <stdlib.h>
#include <string.h>

#include "pickle_impl.h"

enum { TAG_BYTES, TAG_BYTEARRAY, TAG_SET, TAG_FROZENSET, TAG_ENCODE, NTAGS };
#define TAG(k)                                                                                     \
    {                                                                                              \
        {1, {0}, MP__TAG_TYPE, MP__F_IMMORTAL}, k                                                  \
    }

static mp__small_t tags[NTAGS] = {TAG(TAG_BYTES), TAG(TAG_BYTEARRAY), TAG(TAG_SET),
                                  TAG(TAG_FROZENSET), TAG(TAG_ENCODE)};
static const char *const tag_names[NTAGS] = {"bytes", "bytearray", "set", "frozenset",
                                             "_codecs.encode"};

static int eq(const unsigned char *p, size_t n, const char *s)
{
    return n == strlen(s) && !memcmp(p, s, n);
}

static int str_eq(const mp_obj_t *o, const char *s)
{
    return o->type == MP_TYPE_STR &&
           eq((const unsigned char *)MP__STR(o)->data, MP__STR(o)->len, s);
}

mp_obj_t *mp__whitelist_find(const unsigned char *mod, size_t nm, const unsigned char *name,
                             size_t nn)
{
    if (eq(mod, nm, "_codecs"))
        return eq(name, nn, "encode") ? &tags[TAG_ENCODE].ob : NULL;
    if (!eq(mod, nm, "builtins") && !eq(mod, nm, "__builtin__"))
        return NULL;
    for (int k = TAG_BYTES; k <= TAG_FROZENSET; k++)
        if (eq(name, nn, tag_names[k]))
            return &tags[k].ob;
    return NULL;
}

const char *mp__whitelist_name(const mp_obj_t *tag)
{
    return tag_names[MP__SMALL(tag)->v];
}

/* latin-1 text (every character below U+0100) as its bytes: _codecs.encode(text, 'latin1'). */
static int latin1(const mp_obj_t *s, mp_obj_t **out)
{
    const unsigned char *p = (const unsigned char *)MP__STR(s)->data;
    size_t n = MP__STR(s)->len, o = 0;
    unsigned char *buf = malloc(n + 1);
    if (!buf)
        return mp__fail(MP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            buf[o++] = p[i];
        } else if ((p[i] == 0xC2 || p[i] == 0xC3) && i + 1 < n) {
            buf[o++] = (unsigned char)((p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F));
            i++;
        } else {
            free(buf);
            return mp__fail(MP_EDECODE, "the text is not latin-1");
        }
    }
    *out = mp_bytes(buf, o);
    free(buf);
    return *out ? 0 : MP_ENOMEM;
}

/* set(list) and frozenset(list): the elements must be hashable, which is the one way besides
 * memory that making them can fail. */
static int of_list(int k, const mp_obj_t *list, mp_obj_t **out)
{
    const mp__list_t *l = MP__LIST(list);
    for (size_t i = 0; i < l->n; i++)
        if (!(l->item[i]->flags & MP__F_HASHABLE)) {
            mp__unhashable(l->item[i]);
            return MP_EDECODE;
        }
    *out = k == TAG_SET ? mp_set_new(l->n, l->item) : mp_frozenset_new(l->n, l->item);
    return *out ? 0 : MP_ENOMEM;
}

int mp__whitelist_call(const mp_obj_t *tag, const mp_obj_t *args, mp_obj_t **out)
{
    int k = (int)MP__SMALL(tag)->v;
    size_t n = MP__TUPLE(args)->n;
    mp_obj_t *const *a = MP__TUPLE(args)->item;
    *out = NULL;
    if (n == 0 && k != TAG_ENCODE)
        *out = k == TAG_BYTES       ? mp_bytes(NULL, 0)
               : k == TAG_BYTEARRAY ? mp_bytearray(NULL, 0)
               : k == TAG_SET       ? mp_set_new(0, NULL)
                                    : mp_frozenset_new(0, NULL);
    else if (k == TAG_ENCODE && n == 2 && a[0]->type == MP_TYPE_STR &&
             (str_eq(a[1], "latin1") || str_eq(a[1], "latin-1")))
        return latin1(a[0], out);
    else if (k == TAG_BYTEARRAY && n == 1 && a[0]->type == MP_TYPE_BYTES)
        *out = mp_bytearray(MP__STR(a[0])->data, MP__STR(a[0])->len);
    else if ((k == TAG_SET || k == TAG_FROZENSET) && n == 1 && a[0]->type == MP_TYPE_LIST)
        return of_list(k, a[0], out);
    else
        return mp__fail(MP_EDECODE,
                        "refused: %s called with arguments CPython never pickles for it",
                        tag_names[k]);
    return *out ? 0 : MP_ENOMEM;
}
