/* Placeholder until the encoder lands (issue 4): callers can already build and link. */
#include "mp_internal.h"

int mp_pickle_dumps(const mp_obj_t *obj, int protocol, void **out, size_t *len)
{
    (void)obj, (void)protocol, (void)len;
    if (out)
        *out = NULL;
    return mp__fail(MP_EENCODE, "mp_pickle_dumps: not implemented yet");
}
