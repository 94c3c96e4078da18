/* The canonical printer of the pickle vectors (conformance/vectors/README.md): pre-order,
 * depth first; lists, dicts, sets and bytearrays are remembered by identity with the path
 * where they were first printed, and printed again as `@path`. Recursion follows the value's
 * nesting, which the decoder bounds (max_depth). Test code: out of memory aborts. */
#include "pickle_canon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *need(void *p)
{
    if (!p)
        abort();
    return p;
}

/* Identity: object -> the path it was first printed at (open addressing, half full). */
typedef struct {
    const mp_obj_t **key;
    char **path;
    size_t n, cap;
} seen_t;

static size_t slot(const seen_t *s, const mp_obj_t *o)
{
    size_t i = ((uintptr_t)o >> 4) % s->cap;
    while (s->key[i] && s->key[i] != o)
        i = (i + 1) % s->cap;
    return i;
}

static const char *seen_get(const seen_t *s, const mp_obj_t *o)
{
    return s->cap && s->key[slot(s, o)] ? s->path[slot(s, o)] : NULL;
}

static void seen_add(seen_t *s, const mp_obj_t *o, char *path)
{
    if (2 * (s->n + 1) > s->cap) {
        seen_t g = {need(calloc(2 * s->cap + 64, sizeof *g.key)),
                    need(calloc(2 * s->cap + 64, sizeof *g.path)), 0, 2 * s->cap + 64};
        for (size_t i = 0; i < s->cap; i++)
            if (s->key[i])
                seen_add(&g, s->key[i], s->path[i]);
        free(s->key);
        free(s->path);
        *s = g;
    }
    size_t i = slot(s, o);
    s->key[i] = o;
    s->path[i] = path;
    s->n++;
}

static void print(FILE *b, seen_t *s, const mp_obj_t *o, const char *path);

static void child(FILE *b, seen_t *s, const mp_obj_t *o, const char *path, char kind, size_t i)
{
    size_t len = strlen(path) + 32;
    char *p = need(malloc(len));
    const char *up = strcmp(path, "/") ? path : "";
    if (kind)
        snprintf(p, len, "%s/%c%zu", up, kind, i);
    else
        snprintf(p, len, "%s/%zu", up, i);
    print(b, s, o, p);
    free(p);
}

static int by_text(const void *a, const void *c)
{
    return strcmp(*(char *const *)a, *(char *const *)c);
}

/* Set elements are hashable, so nothing in them is remembered by identity. */
static void print_set(FILE *b, seen_t *s, const mp_obj_t *o)
{
    size_t n = mp_set_size(o);
    char **text = need(calloc(n + 1, sizeof *text));
    for (size_t i = 0; i < n; i++) {
        size_t len;
        FILE *e = need(open_memstream(&text[i], &len));
        print(e, s, mp_set_item(o, i), "/");
        fclose(e);
    }
    qsort(text, n, sizeof *text, by_text);
    fputs(mp_obj_type(o) == MP_TYPE_SET ? "S<" : "Z<", b);
    for (size_t i = 0; i < n; i++) {
        fprintf(b, "%s%s", i ? "," : "", text[i]);
        free(text[i]);
    }
    free(text);
    fputs(">", b);
}

static void print_scalar(FILE *b, const mp_obj_t *o)
{
    size_t n;
    const unsigned char *d = NULL;
    switch (mp_obj_type(o)) {
    case MP_TYPE_NONE:
        fputs("N", b);
        return;
    case MP_TYPE_BOOL:
        fputs(mp_obj_truth(o) ? "T" : "F", b);
        return;
    case MP_TYPE_INT: {
        char *text = need(mp_int_to_str(o));
        fprintf(b, "i:%s", text);
        free(text);
        return;
    }
    case MP_TYPE_FLOAT: {
        double v = mp_float_value(o);
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        fprintf(b, "f:%016llx", (unsigned long long)bits);
        return;
    }
    case MP_TYPE_STR:
        d = (const unsigned char *)mp_str_data(o, &n);
        fputs("s:", b);
        break;
    default: /* bytes, bytearray */
        d = mp_bytes_data(o, &n);
        fputs(mp_obj_type(o) == MP_TYPE_BYTES ? "b:" : "y:", b);
    }
    for (size_t i = 0; i < n; i++)
        fprintf(b, "%02x", d[i]);
}

static void print(FILE *b, seen_t *s, const mp_obj_t *o, const char *path)
{
    mp_type_t t = mp_obj_type(o);
    if (t == MP_TYPE_LIST || t == MP_TYPE_DICT || t == MP_TYPE_SET || t == MP_TYPE_BYTEARRAY) {
        const char *at = seen_get(s, o);
        if (at) {
            fprintf(b, "@%s", at);
            return;
        }
        seen_add(s, o, need(strdup(path)));
    }
    if (t == MP_TYPE_TUPLE || t == MP_TYPE_LIST) {
        size_t n = t == MP_TYPE_TUPLE ? mp_tuple_size(o) : mp_list_size(o);
        fputs(t == MP_TYPE_TUPLE ? "(" : "[", b);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? "," : "", b);
            child(b, s, t == MP_TYPE_TUPLE ? mp_tuple_get(o, i) : mp_list_get(o, i), path, 0, i);
        }
        fputs(t == MP_TYPE_TUPLE ? ")" : "]", b);
    } else if (t == MP_TYPE_DICT) {
        fputs("{", b);
        for (size_t i = 0; i < mp_dict_size(o); i++) {
            mp_obj_t *k, *v;
            mp_dict_item(o, i, &k, &v);
            fputs(i ? "," : "", b);
            child(b, s, k, path, 'k', i);
            fputs("=", b);
            child(b, s, v, path, 'v', i);
        }
        fputs("}", b);
    } else if (t == MP_TYPE_SET || t == MP_TYPE_FROZENSET) {
        print_set(b, s, o);
    } else {
        print_scalar(b, o);
    }
}

char *pickle_canon(const mp_obj_t *o)
{
    char *text = NULL;
    size_t len;
    seen_t s = {NULL, NULL, 0, 0};
    FILE *b = open_memstream(&text, &len);
    if (!b)
        return NULL;
    print(b, &s, o, "/");
    fclose(b);
    for (size_t i = 0; i < s.cap; i++)
        free(s.path[i]);
    free(s.key);
    free(s.path);
    return text;
}

int pickle_canon_has_nan(const char *canon)
{
    for (const char *f = strstr(canon, "f:"); f; f = strstr(f + 2, "f:")) {
        unsigned long long bits = strtoull(f + 2, NULL, 16);
        if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits << 12))
            return 1;
    }
    return 0;
}

static int nibble(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

unsigned char *pickle_unhex(const char *hex_text, size_t *n)
{
    size_t len = strlen(hex_text);
    unsigned char *out = len % 2 ? NULL : malloc(len / 2 + 1);
    for (size_t i = 0; out && i < len / 2; i++) {
        int hi = nibble(hex_text[2 * i]), lo = nibble(hex_text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    if (out)
        *n = len / 2;
    return out;
}
