/* libFuzzer target for the pickle decoder (`make fuzz`, `make fuzz-smoke`).
 *
 * Any input must give a value or an error: never a crash, a leak, undefined behaviour or an
 * allocation past the limits (the sanitizers and libFuzzer's RSS limit watch those). A value
 * must then survive the encoder at every protocol: written, read back, and printed, it must
 * give the same canonical text, sharing and recursion included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mp.h>

#include "pickle_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const mp_obj_t *v, const char *canon, int protocol)
{
    void *out;
    size_t len;
    int rc = mp_pickle_dumps(v, protocol, &out, &len);
    if (rc == MP_EENCODE && protocol >= 0 && protocol < 2)
        return; /* an int too long for protocol 0/1 text: refused by design */
    if (rc != 0)
        abort();
    mp_obj_t *w = NULL;
    if (mp_pickle_loads(out, len, &w) != 0)
        abort();
    /* Protocol 0 writes a float as repr() text, where every NaN is "nan", as in CPython. */
    int nan = pickle_canon_has_nan(canon);
    char *again = pickle_canon(w);
    if (!again || (strcmp(canon, again) != 0 && !(nan && protocol == 0)))
        abort();
    /* Equal canonical texts mean equal values, unless a NaN is in them: this exercises ==
     * over shared and recursive values. */
    if (!nan && !mp_obj_equal(v, w))
        abort();
    free(again);
    mp_obj_decref(w);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mp_obj_t *v = NULL;
    if (mp_pickle_loads(data, size, &v) != 0)
        return 0;
    char *canon = pickle_canon(v);
    if (!canon)
        abort();
    for (int protocol = -1; protocol <= MP_PICKLE_HIGHEST_PROTOCOL; protocol++)
        round_trip(v, canon, protocol);
    /* repr() writes a shared list out once per reference, as Python's does: a value of many
     * shared lists has an exponentially long repr, so only values with little sharing get one. */
    size_t shared = 0;
    for (const char *at = strchr(canon, '@'); at; at = strchr(at + 1, '@'))
        shared++;
    if (shared <= 4)
        free(mp_repr(v));
    free(canon);
    mp_obj_decref(v);
    return 0;
}
