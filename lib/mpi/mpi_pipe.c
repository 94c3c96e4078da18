/* The byte moving both ends of an MPI bridge share. Every send is an MPI_Isend: two bridges that
 * both sent a large message with a blocking send would each wait for the other to receive. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpi_impl.h"

MPI_Comm mp__mpi_comm = MPI_COMM_NULL;

/* Large enough that a map's chunk is one message or a few; small enough to stay off the heap's
 * slow paths. */
#define CHUNK (256 * 1024)

/* The analyser's MPI checker wants a wait in the function that posts a request; here every
 * request is kept on the list and completed by mp__mpi_reap_sends()'s MPI_Test. */
// NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker)
int mp__mpi_post(mp__mpi_send_t **sends, int peer, int tag, const void *buf, size_t len)
{
    mp__mpi_send_t *s = calloc(1, sizeof *s);
    if (!s || (len && !(s->buf = malloc(len)))) {
        free(s);
        return 1;
    }
    if (len)
        memcpy(s->buf, buf, len);
    if (MPI_Isend(s->buf, (int)len, MPI_BYTE, peer, tag, mp__mpi_comm, &s->req) != MPI_SUCCESS) {
        free(s->buf);
        free(s);
        return 1;
    }
    s->next = *sends;
    *sends = s;
    return 0;
}

int mp__mpi_reap_sends(mp__mpi_send_t **sends)
{
    int failed = 0;
    for (mp__mpi_send_t **at = sends; *at;) {
        mp__mpi_send_t *s = *at;
        int done = 0;
        if (MPI_Test(&s->req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            failed = done = 1;
        if (!done) {
            at = &s->next;
            continue;
        }
        *at = s->next;
        free(s->buf);
        free(s);
    }
    return failed;
}

int mp__mpi_pump(mp__mpi_pipe_t *p, mp__mpi_send_t **sends, int peer, int *mpi_failed)
{
    static __thread unsigned char buf[CHUNK];
    int moved = 0;
    while (p->fd >= 0 && !p->eof) {
        ssize_t k = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0 || (k < 0 && errno != EAGAIN))
            p->eof = 1;
        if (k <= 0)
            break;
        if (mp__mpi_post(sends, peer, MP__MPI_DATA, buf, (size_t)k) != 0)
            *mpi_failed = 1;
        moved = 1;
    }
    return moved;
}
// NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)

int mp__mpi_flush(mp__mpi_pipe_t *p)
{
    size_t at = 0;
    while (at < p->outlen && !p->wclosed) {
        ssize_t k = send(p->fd, p->out + at, p->outlen - at, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EAGAIN)
            break;
        if (k < 0)
            p->wclosed = 1; /* the local party is gone: its sentinel or EOF tells the rest */
        else
            at += (size_t)k;
    }
    if (p->wclosed)
        at = p->outlen;
    if (at == 0)
        return 0;
    memmove(p->out, p->out + at, p->outlen - at);
    p->outlen -= at;
    return 1;
}

int mp__mpi_deliver(mp__mpi_pipe_t *p, const void *buf, size_t len)
{
    if (p->fd < 0 || p->wclosed)
        return 0;
    if (p->outcap - p->outlen < len) {
        size_t cap = p->outcap ? p->outcap : CHUNK;
        while (cap - p->outlen < len)
            cap *= 2;
        unsigned char *nb = realloc(p->out, cap);
        if (!nb) { /* the stream would be out of step: better ended */
            p->wclosed = 1;
            return 0;
        }
        p->out = nb;
        p->outcap = cap;
    }
    memcpy(p->out + p->outlen, buf, len);
    p->outlen += len;
    mp__mpi_flush(p);
    return 1;
}

void mp__mpi_pipe_reset(mp__mpi_pipe_t *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p->out);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}

int mp__mpi_take(int source, int *tag, int *from, void **buf, int *len)
{
    int flag = 0, count = 0;
    MPI_Message m;
    MPI_Status st;
    if (MPI_Improbe(source, MPI_ANY_TAG, mp__mpi_comm, &flag, &m, &st) != MPI_SUCCESS)
        return -1;
    if (!flag)
        return 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    *buf = malloc(count ? (size_t)count : 1);
    if (!*buf)
        return -1;
    if (MPI_Mrecv(*buf, count, MPI_BYTE, &m, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(*buf);
        return -1;
    }
    *tag = st.MPI_TAG;
    *from = st.MPI_SOURCE;
    *len = count;
    return 1;
}

/* MPI has no descriptor to poll: a bridge polls its sockets with a timeout and probes MPI in
 * between. A busy bridge yields only (a reply is due soon); an idle one sleeps up to `cap_us`,
 * so idle ranks leave the cores to the ranks that work. */
void mp__mpi_idle(unsigned *idle, const int *fds, int n, unsigned cap_us)
{
    struct pollfd pfd[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (fds[i] >= 0)
            pfd[k++] = (struct pollfd){fds[i], POLLIN, 0};
    unsigned us = *idle < 16 ? 0 : (*idle - 15) * 20;
    if (us > cap_us)
        us = cap_us;
    (*idle)++;
    struct timespec ts = {0, (long)us * 1000};
    if (us == 0)
        ts.tv_nsec = 0;
    if (ppoll(pfd, (nfds_t)k, &ts, NULL) > 0)
        *idle = 0;
}
