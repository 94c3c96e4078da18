/* Lesson 10: a C server with a Python client, then the reverse, proving that they share a key.
 *
 * Python original:  Listener(address, authkey=key), listener.accept(), Client(address, authkey=key)
 * Shown in: docs, "Lesson 10"          Run: make lesson-10 [ARGS="--interval 0.2 --count 3"]
 *
 * The Python end is lessons/10-listener/lesson10_peer.py, run with $PYTHON (python3 unless
 * set) from the top of the tree, as `make lesson-10` does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mp.h>

#include "../lesson.h"

#define PEER "lessons/10-listener/lesson10_peer.py"

static const char KEY[] = "lesson 10 key";
static const char WRONG_KEY[] = "not the key";

/* The numbers handed out, in turn (lesson10_peer.py's NUMBERS); the second is beyond int64. */
static const uint64_t NUMBERS[] = {360, 12345678901234567890u, 1001, 97, 123456789};
#define NNUMBERS (sizeof NUMBERS / sizeof *NUMBERS)

// [factors]
/* The work: n's prime factors, smallest first, as a list. */
static mp_obj_t *factors(uint64_t n)
{
    mp_obj_t *found[64]; /* a uint64 has at most 63 prime factors */
    size_t k = 0;
    for (uint64_t d = 2; d <= n / d; d++) { /* d * d could overflow */
        while (n % d == 0) {
            found[k++] = lesson_ptr(mp_int_from_u64(d));
            n /= d;
        }
    }
    if (n > 1)
        found[k++] = lesson_ptr(mp_int_from_u64(n));
    mp_obj_t *list = lesson_ptr(mp_list_new(k, found));
    for (size_t i = 0; i < k; i++)
        mp_obj_decref(found[i]);
    return list;
}
// [factors]

// [python]
/* The Python end, with the key in its environment; what it prints comes to us through a
 * pipe, so that its lines land among ours in one order. */
static FILE *start_python(const char *key, const char *args)
{
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    char command[512];
    snprintf(command, sizeof command, "%s %s %s", python, PEER, args);
    if (setenv("LESSON10_KEY", key, 1) != 0)
        lesson_fail(__FILE__, __LINE__, "setenv", "failed");
    fflush(stdout); /* popen forks: nothing of ours may wait in a buffer the child copies */
    return lesson_ptr(popen(command, "r"));
}

/* Prints what the Python end printed, each line marked as its; then waits for it. */
static void relay(FILE *py, const char *who)
{
    char line[512];
    while (fgets(line, sizeof line, py))
        printf("%s: %s", who, line);
    pclose(py);
}
// [python]

static void print_pair(const char *fmt, const mp_obj_t *a, const mp_obj_t *b)
{
    char *ra = lesson_ptr(mp_repr(a)), *rb = lesson_ptr(mp_repr(b));
    printf(fmt, ra, rb);
    free(ra);
    free(rb);
}

static void server(const struct lesson_opts *o)
{
    // [server]
    mp_listener_t *listener;
    lesson_check(mp_listener_new(&listener, "127.0.0.1:0", MP_AF_AUTO, 0, KEY, strlen(KEY)));
    printf("server: listening on 127.0.0.1, on a port the system chose\n");
    char args[128];
    snprintf(args, sizeof args, "client %s", mp_listener_address(listener));
    FILE *py = start_python(KEY, args);
    mp_conn_t *conn;
    /* and the handshake: both ends prove they hold KEY */
    lesson_check(mp_listener_accept(listener, MP_FOREVER, &conn));
    printf("server: the client proved that it holds the key, and so did we\n");
    for (int i = 0; i < o->count; i++) {
        mp_obj_t *n = lesson_ptr(mp_int_from_u64(NUMBERS[i % NNUMBERS])), *result;
        lesson_check(mp_conn_send(conn, n));
        lesson_check(mp_conn_recv(conn, &result));
        print_pair("server: sent %s, got %s\n", n, result);
        mp_obj_decref(n);
        mp_obj_decref(result);
        usleep((useconds_t)(o->interval * 1e6));
    }
    mp_obj_t *stop = mp_none(); /* the stop marker */
    lesson_check(mp_conn_send(conn, stop));
    mp_obj_decref(stop);
    mp_conn_free(conn);
    relay(py, "Python client");
    // [server]
    // [wrong]
    py = start_python(WRONG_KEY, args);
    int rc = lesson_check_or(mp_listener_accept(listener, MP_FOREVER, &conn), MP_EAUTH);
    if (rc == 0)
        lesson_fail(__FILE__, __LINE__, "mp_listener_accept", "accepted the wrong key");
    printf("server: a client with another key: %s\n", mp_exception_name(rc));
    relay(py, "Python client");
    mp_listener_free(listener);
    // [wrong]
}

/* The Python server's first line: the path of its Unix socket. */
static void read_address(FILE *py, char *address, size_t size)
{
    lesson_ptr(fgets(address, (int)size, py));
    address[strcspn(address, "\n")] = '\0';
}

static void client(const struct lesson_opts *o)
{
    // [client]
    char args[128], address[256];
    snprintf(args, sizeof args, "server %g %d", o->interval, o->count);
    FILE *py = start_python(KEY, args);
    read_address(py, address, sizeof address);
    printf("client: the Python server listens on a Unix socket\n");
    mp_conn_t *conn;
    lesson_check(mp_client(&conn, address, MP_AF_AUTO, KEY, strlen(KEY)));
    printf("client: the server proved that it holds the key, and so did we\n");
    for (;;) {
        mp_obj_t *n;
        uint64_t value;
        lesson_check(mp_conn_recv(conn, &n));
        if (mp_obj_type(n) == MP_TYPE_NONE) {
            mp_obj_decref(n);
            break;
        }
        lesson_check(mp_int_as_u64(n, &value));
        mp_obj_t *result = factors(value);
        lesson_check(mp_conn_send(conn, result));
        print_pair("client: got %s, sent %s\n", n, result);
        mp_obj_decref(n);
        mp_obj_decref(result);
    }
    mp_conn_free(conn);
    relay(py, "Python server");
    // [client]
    py = start_python(KEY, args);
    read_address(py, address, sizeof address);
    int rc = lesson_check_or(mp_client(&conn, address, MP_AF_AUTO, WRONG_KEY, strlen(WRONG_KEY)),
                             MP_EAUTH);
    if (rc == 0)
        lesson_fail(__FILE__, __LINE__, "mp_client", "connected with the wrong key");
    printf("client: with another key: %s\n", mp_exception_name(rc));
    relay(py, "Python server");
}

int main(int argc, char **argv)
{
    struct lesson_opts o = {1.0, 5};
    lesson_parse(argc, argv, &o);
    // [main]
    printf("part 1: this program serves, a Python client connects\n");
    server(&o);
    printf("part 2: a Python server, this program connects\n");
    client(&o);
    // [main]
    return 0;
}
