/* The encoder's assertions, shared by the Pickle suite's files (pickle_check.h). */
#include "pickle_check.h"

#include "helpers.h"
#include "pickle_canon.h"

void check_dumps(const mp_obj_t *o, int protocol, const char *want, size_t n)
{
    void *out = NULL;
    size_t len = 0;
    ck_assert_mp(mp_pickle_dumps(o, protocol, &out, &len), 0);
    char *got = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(got + 2 * i, "%02x", ((unsigned char *)out)[i]);
    got[2 * len] = '\0';
    ck_assert_msg(len == n && !memcmp(out, want, n), "protocol %d gave %s", protocol, got);
    free(got);
    free(out);
}

void check_round_trips(const mp_obj_t *o)
{
    char *want = pickle_canon(o);
    for (int protocol = -1; protocol <= MP_PICKLE_HIGHEST_PROTOCOL; protocol++) {
        void *out = NULL;
        size_t len;
        mp_obj_t *back = NULL;
        ck_assert_mp(mp_pickle_dumps(o, protocol, &out, &len), 0);
        ck_assert_mp(mp_pickle_loads(out, len, &back), 0);
        char *got = pickle_canon(back);
        ck_assert_msg(!strcmp(got, want), "protocol %d: %.200s\nbecame %.200s", protocol, want,
                      got);
        ck_assert_msg(mp_obj_equal(o, back), "protocol %d: not ==", protocol);
        free(got);
        mp_obj_decref(back);
        free(out);
    }
    free(want);
}
