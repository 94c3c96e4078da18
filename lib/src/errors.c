/* Error names, messages and the thread-local detail message.  The table in errors.h is the
 * single source: each lookup below is one switch expanded from it, so two codes with the same
 * value would not compile. */
#include <stdio.h>
#include <string.h>

#include "mp_internal.h"

static _Thread_local char errmsg[512];

const char *mp_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define MP__XX(name, value, msg, py)                                                               \
    case MP_##name:                                                                                \
        return msg;
        MP_ERRNO_MAP(MP__XX)
#undef MP__XX
    default:
        return "unknown error";
    }
}

const char *mp_err_name(int err)
{
    switch (err) {
    case 0:
        return "MP_OK";
#define MP__XX(name, value, msg, py)                                                               \
    case MP_##name:                                                                                \
        return "MP_" #name;
        MP_ERRNO_MAP(MP__XX)
#undef MP__XX
    default:
        return "MP_UNKNOWN";
    }
}

const char *mp_exception_name(int err)
{
    switch (err) {
#define MP__XX(name, value, msg, py)                                                               \
    case MP_##name:                                                                                \
        return py;
        MP_ERRNO_MAP(MP__XX)
#undef MP__XX
    default:
        return "";
    }
}

const char *mp_errmsg(void)
{
    return errmsg;
}

void mp__set_errmsg(const char *fmt, ...)
{
    /* Formatted apart first: a new message often quotes the last one (mp_errmsg() as an
     * argument), and vsnprintf into its own argument is undefined. */
    char text[sizeof errmsg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(errmsg, text, sizeof text);
}
