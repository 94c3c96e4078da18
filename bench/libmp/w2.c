/*
 * W2 libmp: a one-way stream of messages from a child to its parent through a libmp connection
 * (send_bytes / recv_bytes_into: CPython's framing, no pickling).
 *   W2a: 64-byte messages; W2b: 64 KiB messages. Over Pipe(duplex=False) or Pipe() (socketpair).
 *   "-readahead": the reading end has mp_conn_set_readahead() on.
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include <mp.h>

static const char *const modes[] = {"a-pipe",         "a-socketpair", "a-pipe-readahead",
                                    "a-socketpair-readahead", "b-pipe", "b-socketpair", NULL};

typedef struct stream {
    mp_conn_t *rd, *wr;
    long count;
    size_t size;
} stream_t;

static void writer(void *arg) {
    stream_t *s = arg;
    char *payload = calloc(1, s->size);
    if (!payload)
        bench_die("calloc");
    mp_conn_close(s->rd);
    for (long i = 0; i < s->count; i++)
        if (mp_conn_send_bytes(s->wr, payload, s->size) != 0)
            bench_fail("w2: send_bytes");
    free(payload);
}

static void reader(void *arg) {
    stream_t *s = arg;
    char *buf = malloc(s->size);
    if (!buf)
        bench_die("malloc");
    for (long i = 0; i < s->count; i++) {
        size_t n;
        if (mp_conn_recv_bytes_into(s->rd, buf, s->size, 0, &n, NULL) != 0 || n != s->size)
            bench_fail("w2: recv_bytes_into");
    }
    free(buf);
}

int main(int argc, char **argv) {
    bench_args_t a;
    stream_t s = {0};
    bench_parse(argc, argv, modes, &a);
    int duplex = strstr(a.mode, "socketpair") != NULL;
    if (mp_pipe(&s.rd, &s.wr, duplex))
        bench_die("mp_pipe");
    if (strstr(a.mode, "readahead") && mp_conn_set_readahead(s.rd, 1))
        bench_die("mp_conn_set_readahead");
    s.count = a.count;
    s.size = a.mode[0] == 'a' ? 64 : 65536;
    bench_report(a.count, bench_with_child(writer, &s, reader, &s));
    return 0;
}
