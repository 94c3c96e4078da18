/*
 * W2 floor: a one-way stream of framed messages (4-byte big-endian length, then the payload, as
 * multiprocessing.connection frames them) from a child to its parent.
 *   W2a: 64-byte messages; the reader reads the header then the body (two reads a message) or
 *        parses frames out of a 64 KiB buffer (one read for many messages).
 *   W2b: 64 KiB messages over a default pipe, a pipe grown to 1 MiB, or a socketpair.
 * The writer hands each frame to the kernel in one call: a small one copied behind its header
 * and written (a writev costs more than the copy), a large one with writev.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum transport { PIPE, PIPE_1M, SOCKETPAIR };

typedef struct variant {
    const char *mode;
    enum transport transport;
    size_t size;  /* payload bytes per message */
    int buffered; /* reader parses frames out of a buffer */
} variant_t;

static const variant_t variants[] = {
    {"a-pipe-hdr", PIPE, 64, 0},
    {"a-pipe-buf", PIPE, 64, 1},
    {"a-socketpair-buf", SOCKETPAIR, 64, 1},
    {"b-pipe", PIPE, 65536, 0},
    {"b-pipe-1m", PIPE_1M, 65536, 0},
    {"b-socketpair", SOCKETPAIR, 65536, 0},
};
static const char *const modes[] = {"a-pipe-hdr", "a-pipe-buf", "a-socketpair-buf", "b-pipe",
                                    "b-pipe-1m", "b-socketpair", NULL};

typedef struct stream {
    const variant_t *v;
    int rd, wr;
    long count;
} stream_t;

static void open_stream(stream_t *s) {
    int fds[2];
    if (s->v->transport == SOCKETPAIR) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
            bench_die("socketpair");
    } else if (pipe(fds) != 0) {
        bench_die("pipe");
    }
    /* A 64 KiB payload plus its header does not fit a default 64 KiB pipe, so the writer stalls
     * on every message; the 1 MiB variant shows what growing the pipe buys. */
    if (s->v->transport == PIPE_1M && fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) < 0)
        bench_die("F_SETPIPE_SZ");
    s->rd = fds[0];
    s->wr = fds[1];
}

enum { SMALL = 4096 };

static void write_frame(int fd, char *frame, const char *payload, size_t size) {
    uint32_t header = htonl((uint32_t)size);
    if (size <= SMALL) {
        memcpy(frame, &header, sizeof header);
        memcpy(frame + sizeof header, payload, size);
        bench_write_full(fd, frame, sizeof header + size);
    } else {
        struct iovec iov[2] = {{&header, sizeof header}, {(char *)payload, size}};
        bench_writev_full(fd, iov, 2);
    }
}

static void writer(void *arg) {
    stream_t *s = arg;
    char *payload = calloc(1, s->v->size);
    char frame[4 + SMALL];
    if (!payload)
        bench_die("calloc");
    close(s->rd);
    for (long i = 0; i < s->count; i++)
        write_frame(s->wr, frame, payload, s->v->size);
    free(payload);
}

static size_t check_length(uint32_t be, size_t expected) {
    if (ntohl(be) != expected)
        bench_fail("w2: wrong frame length");
    return expected;
}

static void read_unbuffered(const stream_t *s, char *body) {
    for (long i = 0; i < s->count; i++) {
        uint32_t header;
        bench_read_full(s->rd, &header, sizeof header);
        bench_read_full(s->rd, body, check_length(header, s->v->size));
    }
}

/* Reads as much as the stream has, up to the buffer's end, keeping unparsed bytes in front. */
static size_t refill(int fd, char *buf, size_t cap, size_t start, size_t end) {
    memmove(buf, buf + start, end - start);
    end -= start;
    return end + bench_read_some(fd, buf + end, cap - end);
}

static void read_buffered(const stream_t *s, char *buf, size_t cap) {
    size_t start = 0, end = 0, frame = 4 + s->v->size;
    for (long i = 0; i < s->count; i++) {
        while (end - start < frame) {
            end = refill(s->rd, buf, cap, start, end);
            start = 0;
        }
        uint32_t header;
        memcpy(&header, buf + start, sizeof header);
        start += 4 + check_length(header, s->v->size);
    }
}

static const variant_t *find_variant(const char *mode) {
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (strcmp(variants[i].mode, mode) == 0)
            return &variants[i];
    bench_fail("w2: unknown mode");
}

static void reader(void *arg) {
    const stream_t *s = arg;
    /* The buffered reader takes up to 64 KiB in one read: many small frames. */
    size_t cap = s->v->buffered && s->v->size < 65536 ? 65536 : 4 + s->v->size;
    char *buf = malloc(cap);
    if (!buf)
        bench_die("malloc");
    if (s->v->buffered)
        read_buffered(s, buf, cap);
    else
        read_unbuffered(s, buf);
    free(buf);
}

int main(int argc, char **argv) {
    bench_args_t a;
    stream_t s;

    bench_parse(argc, argv, modes, &a);
    s.v = find_variant(a.mode);
    s.count = a.count;
    open_stream(&s);
    bench_report(a.count, bench_with_child(writer, &s, reader, &s));
    return 0;
}
