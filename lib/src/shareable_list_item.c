/* ShareableList's items: each is packed as CPython's struct.pack_into() packs it, and read back
 * through its 8-byte format and its back-transform code. A format or a code is read from the
 * block on every access, since another process may change it; one that CPython never writes is
 * refused rather than guessed at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shareable_list_impl.h"

enum { CODE_PLAIN = 0, CODE_STR = 1, CODE_BYTES = 2, CODE_NONE = 3 };

typedef struct {
    char text[9];
    char kind; /* 'q', 'd', '?' (bool), 'N' (None) or 's' */
    size_t size;
} shl_format_t;

/* CPython's str.encode('utf-8') refuses lone surrogates, which mp_str_data() passes through
 * as ED A0..BF. */
static int has_surrogate(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == 0xED && p[i + 1] >= 0xA0)
            return 1;
    return 0;
}

static int encode_blob(const mp_obj_t *v, mp__shl_item_t *it)
{
    it->blob = 1;
    if (mp_obj_type(v) == MP_TYPE_BYTES) {
        it->code = CODE_BYTES;
        it->bytes = mp_bytes_data(v, &it->n);
        return 0;
    }
    it->code = CODE_STR;
    it->bytes = (const unsigned char *)mp_str_data(v, &it->n);
    if (has_surrogate(it->bytes, it->n))
        return mp__fail(MP_EINVAL, "ShareableList: 'utf-8' codec can't encode a lone surrogate: "
                                   "surrogates not allowed");
    return 0;
}

int mp__shl_encode(const mp_obj_t *v, mp__shl_item_t *it)
{
    memset(it, 0, sizeof *it);
    int64_t i64;
    double d;
    switch (mp_obj_type(v)) {
    case MP_TYPE_NONE:
        memcpy(it->fmt, "xxxxxx?x", sizeof "xxxxxx?x");
        it->code = CODE_NONE;
        return 0;
    case MP_TYPE_BOOL:
        memcpy(it->fmt, "xxxxxxx?", sizeof "xxxxxxx?");
        it->word[7] = mp_obj_truth(v) == 1;
        return 0;
    case MP_TYPE_INT:
        if (mp_int_as_int64(v, &i64) < 0)
            return mp__fail(MP_EINVAL, "ShareableList: argument out of range (an int is stored "
                                       "in 64 bits, struct format 'q')");
        memcpy(it->fmt, "q", sizeof "q");
        memcpy(it->word, &i64, 8);
        return 0;
    case MP_TYPE_FLOAT:
        d = mp_float_value(v);
        memcpy(it->fmt, "d", sizeof "d");
        memcpy(it->word, &d, 8);
        return 0;
    case MP_TYPE_STR:
    case MP_TYPE_BYTES:
        return encode_blob(v, it);
    default:
        return mp__fail(MP_EINVAL,
                        "ShareableList: an item of type '%s' cannot be stored (None, bool, int, "
                        "float, str and bytes can)",
                        mp_type_name(mp_obj_type(v)));
    }
}

size_t mp__shl_slot(const mp__shl_item_t *it)
{
    return it->blob ? 8 * (it->n / 8 + 1) : 8;
}

void mp__shl_pack(unsigned char *slot, const char *fmt, const mp__shl_item_t *it)
{
    if (!it->blob) {
        memcpy(slot, it->word, 8);
        return;
    }
    size_t size = strtoul(fmt, NULL, 10);
    size_t n = it->n < size ? it->n : size;
    memcpy(slot, it->bytes, n);
    memset(slot + n, 0, size - n);
}

void mp__shl_put_format(unsigned char *field, const char *fmt)
{
    size_t n = strnlen(fmt, 8);
    for (size_t i = 0; i < 8; i++)
        field[i] = i < n ? (unsigned char)fmt[i] : 0;
}

/* ---- reading ---------------------------------------------------------------------------------- */

static int open_buf(const mp_shareable_list_t *sl, unsigned char **b)
{
    MP__NEED(sl);
    *b = mp_shared_memory_buf(sl->shm);
    return *b ? 0 : mp__fail(MP_ECLOSED, "ShareableList: the block is closed");
}

static int position(const mp_shareable_list_t *sl, long index, size_t *pos, const char *why)
{
    long n = (long)sl->len;
    if (index < 0)
        index += n;
    if (index < 0 || index >= n)
        return mp__fail(MP_EINDEX, "%s", why);
    *pos = (size_t)index;
    return 0;
}

static size_t formats_at(const mp_shareable_list_t *sl)
{
    return sl->data + sl->offsets[sl->len];
}

static int blob_format(shl_format_t *f, size_t len, size_t slot)
{
    if (len < 2 || len > 8 || f->text[len - 1] != 's' || strspn(f->text, "0123456789") != len - 1)
        return -1;
    f->kind = 's';
    f->size = strtoul(f->text, NULL, 10);
    return f->size <= slot ? 0 : -1;
}

static int read_format(const mp_shareable_list_t *sl, const unsigned char *b, size_t pos,
                       shl_format_t *f)
{
    static const char *const words[] = {"q", "d", "xxxxxxx?", "xxxxxx?x"};
    static const char kinds[] = "qd?N";
    memcpy(f->text, b + formats_at(sl) + 8 * pos, 8);
    f->text[8] = '\0';
    size_t len = strlen(f->text), slot = sl->offsets[pos + 1] - sl->offsets[pos];
    for (size_t k = len; k < 8; k++)
        if (f->text[k] != '\0') /* a NUL inside the format, not only after it */
            len = 9;
    for (int k = 0; k < 4; k++)
        if (len <= 8 && strcmp(f->text, words[k]) == 0) {
            f->kind = kinds[k];
            f->size = 8;
            return 0;
        }
    if (blob_format(f, len, slot) == 0)
        return 0;
    return mp__fail(MP_EDECODE, "ShareableList: item %zu's format is not one CPython writes", pos);
}

static size_t stripped(const unsigned char *p, size_t n)
{
    while (n > 0 && p[n - 1] == '\0')
        n--;
    return n;
}

static mp_obj_t *plain(const shl_format_t *f, const unsigned char *p)
{
    int64_t i64;
    double d;
    switch (f->kind) {
    case 'q':
        memcpy(&i64, p, 8);
        return mp_int(i64);
    case 'd':
        memcpy(&d, p, 8);
        return mp_float(d);
    case '?':
        return mp_bool(p[7]);
    case 'N':
        return mp_bool(p[6]);
    default:
        return mp_bytes(p, f->size);
    }
}

static int decode(const shl_format_t *f, int code, const unsigned char *p, size_t pos,
                  mp_obj_t **out)
{
    if ((code == CODE_STR || code == CODE_BYTES) && f->kind != 's')
        return mp__fail(MP_EDECODE, "ShareableList: item %zu is a str or bytes with format '%s'",
                        pos, f->text);
    if (code == CODE_STR) {
        *out = mp_str_n((const char *)p, stripped(p, f->size));
        if (!*out)
            return mp__fail(MP_EDECODE, "ShareableList: item %zu: 'utf-8' codec can't decode it",
                            pos);
        return 0;
    }
    if (code == CODE_BYTES)
        *out = mp_bytes(p, stripped(p, f->size));
    else if (code == CODE_NONE)
        *out = mp_none();
    else if (code == CODE_PLAIN)
        *out = plain(f, p);
    else
        return mp__fail(MP_EDECODE, "ShareableList: item %zu has the back-transform code %d", pos,
                        code);
    return *out ? 0 : MP_ENOMEM;
}

int mp_shareable_list_get(const mp_shareable_list_t *sl, long index, mp_obj_t **out)
{
    MP__NEED(out);
    *out = NULL;
    unsigned char *b;
    size_t pos;
    shl_format_t f;
    int rc = open_buf(sl, &b);
    if (rc == 0)
        rc = position(sl, index, &pos, "index out of range");
    if (rc == 0)
        rc = read_format(sl, b, pos, &f);
    if (rc < 0)
        return rc;
    int code = b[formats_at(sl) + 8 * sl->len + pos];
    code = code > 127 ? code - 256 : code; /* struct's "b": signed */
    return decode(&f, code, b + sl->data + sl->offsets[pos], pos, out);
}

/* ---- writing ---------------------------------------------------------------------------------- */

/* The format a str or bytes is written with: the slot's own while it holds one, as CPython
 * keeps current_format, else one that names the whole slot. */
static int blob_target(const shl_format_t *cur, size_t slot, const mp__shl_item_t *it, char *fmt)
{
    if (it->n > slot)
        return mp__fail(MP_EINVAL, "bytes/str item exceeds available storage");
    if (cur->kind == 's')
        memcpy(fmt, cur->text, sizeof cur->text);
    else if (slot <= MP__SHL_SLOT_MAX)
        snprintf(fmt, 9, "%zus", slot);
    else
        return mp__fail(MP_EDECODE, "ShareableList: a slot of %zu bytes has no 8-byte format",
                        slot);
    return 0;
}

/* Everything is checked before the first byte is written, so a refused write changes nothing. */
static int prepare(const mp_shareable_list_t *sl, const unsigned char *b, size_t pos,
                   const mp_obj_t *value, mp__shl_item_t *it, char fmt[9])
{
    shl_format_t cur;
    int rc = read_format(sl, b, pos, &cur);
    if (rc == 0)
        rc = mp__shl_encode(value, it);
    if (rc != 0)
        return rc;
    if (it->blob)
        return blob_target(&cur, sl->offsets[pos + 1] - sl->offsets[pos], it, fmt);
    memcpy(fmt, it->fmt, sizeof it->fmt);
    return 0;
}

int mp_shareable_list_set(mp_shareable_list_t *sl, long index, const mp_obj_t *value)
{
    unsigned char *b;
    size_t pos;
    mp__shl_item_t it;
    char fmt[9];
    int rc = open_buf(sl, &b);
    if (rc == 0)
        rc = position(sl, index, &pos, "assignment index out of range");
    if (rc == 0)
        rc = prepare(sl, b, pos, value, &it, fmt);
    if (rc != 0)
        return rc;
    mp__shl_put_format(b + formats_at(sl) + 8 * pos, fmt);
    b[formats_at(sl) + 8 * sl->len + pos] = (unsigned char)it.code;
    mp__shl_pack(b + sl->data + sl->offsets[pos], fmt, &it);
    return 0;
}

/* ---- the whole list --------------------------------------------------------------------------- */

/* With `first`, stops at the first item equal to `value` and returns 1 with its position in
 * `*found`; else counts them in `*found`. */
static int scan(const mp_shareable_list_t *sl, const mp_obj_t *value, int first, size_t *found)
{
    *found = 0;
    for (size_t i = 0; i < sl->len; i++) {
        mp_obj_t *item;
        int rc = mp_shareable_list_get(sl, (long)i, &item);
        if (rc < 0)
            return rc;
        int eq = mp_obj_equal(value, item);
        mp_obj_decref(item);
        if (eq && first) {
            *found = i;
            return 1;
        }
        *found += (size_t)eq;
    }
    return 0;
}

int mp_shareable_list_count(const mp_shareable_list_t *sl, const mp_obj_t *value, size_t *out)
{
    MP__NEED(sl);
    MP__NEED(out);
    int rc = scan(sl, value, 0, out);
    return rc < 0 ? rc : 0;
}

int mp_shareable_list_index(const mp_shareable_list_t *sl, const mp_obj_t *value, size_t *out)
{
    MP__NEED(sl);
    MP__NEED(out);
    int rc = scan(sl, value, 1, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *r = mp_repr(value);
    rc = mp__fail(MP_EINVAL, "%s not in this container", r ? r : "value");
    free(r);
    return rc;
}

int mp_shareable_list_format(const mp_shareable_list_t *sl, char **out)
{
    MP__NEED(out);
    *out = NULL;
    unsigned char *b;
    int rc = open_buf(sl, &b);
    if (rc < 0)
        return rc;
    char *s = malloc(8 * sl->len + 1);
    if (!s)
        return MP_ENOMEM;
    s[0] = '\0';
    for (size_t i = 0, at = 0; i < sl->len; i++) {
        shl_format_t f;
        if ((rc = read_format(sl, b, i, &f)) < 0) {
            free(s);
            return rc;
        }
        size_t n = strlen(f.text);
        memcpy(s + at, f.text, n + 1);
        at += n;
    }
    *out = s;
    return 0;
}
