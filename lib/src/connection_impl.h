/* The private layout of a Connection, shared by lib/src/connection*.c. */
#ifndef MP_CONNECTION_IMPL_H
#define MP_CONNECTION_IMPL_H

#include <sys/types.h>

#include "mp_internal.h"

struct mp_conn_s {
    int fd;
    int readable, writable;
    int is_socket;
    int out_of_step; /* a bad header was read: the stream can no longer be trusted */
    /* Read-ahead (opt-in, mp_conn_set_readahead()): bytes read from fd but not yet delivered,
     * rbuf[rpos..rlen), owned by the process `rowner`. */
    int readahead;
    unsigned char *rbuf;
    size_t rpos, rlen;
    pid_t rowner;
};

/* Reads exactly n bytes of the stream (through the read-ahead buffer when it is on). Returns 0,
 * MP_EOF (short: *got says how many arrived), MP_ESTATE (another process's buffer), or -errno. */
int mp__conn_read(mp_conn_t *c, void *buf, size_t n, size_t *got);

/* Bytes buffered by read-ahead and not yet delivered. */
size_t mp__conn_buffered(const mp_conn_t *c);

#endif /* MP_CONNECTION_IMPL_H */
