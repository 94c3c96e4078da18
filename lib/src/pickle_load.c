/* Placeholder until the decoder lands (issue 4): callers can already build and link. */
#include "mp_internal.h"

int mp_pickle_loads_ex(const void *data, size_t len, const mp_pickle_limits_t *limits,
                       mp_obj_t **out)
{
    (void)data, (void)len, (void)limits;
    if (out)
        *out = NULL;
    return mp__fail(MP_EDECODE, "mp_pickle_loads: not implemented yet");
}

int mp_pickle_loads(const void *data, size_t len, mp_obj_t **out)
{
    return mp_pickle_loads_ex(data, len, NULL, out);
}
