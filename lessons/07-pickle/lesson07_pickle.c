/* Lesson 07: arguments and results must pickle.
 *
 * Python original:  pickle.dumps(value) / pickle.loads(data); conn.send(result)
 * Shown in: docs, "Lesson 7"          Run: make lesson-07 [ARGS="--count 3"]
 *
 * What crosses between processes is a pickle. This program shows which values pickle, what
 * their bytes look like (the same bytes as CPython's), what cannot be a value at all, and a
 * child that gets its arguments and sends its result back through a pipe. --count is how many
 * squares the child computes; --interval is accepted and unused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mp.h>

#include "../lesson.h"

/* What CPython 3.8 to 3.14 write for [1, 'two', 3.0] at protocol 4 (the default up to 3.13). */
#define DEFAULT_BYTES "80049516000000000000005d94284b018c0374776f94474008000000000000652e"
/* What CPython writes for the function child of lesson07.py (protocol 2, memo dropped). */
#define FUNCTION_BYTES "8002635f5f6d61696e5f5f0a6368696c640a2e"

static void print_hex(const void *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", ((const unsigned char *)data)[i]);
}

static void *unhex(const char *hex, size_t *len)
{
    unsigned char *p = malloc(strlen(hex) / 2);
    for (*len = 0; hex[2 * *len]; (*len)++)
        sscanf(hex + 2 * *len, "%2hhx", &p[*len]);
    return p;
}

// [values]
/* Every value is one of the types of mp/object.h: those are exactly what pickles. */
static void what_pickles(void)
{
    printf("pickles: None, bool, int, float, str, bytes, bytearray, and tuple, list, dict, set, "
           "frozenset of them\n");
    mp_obj_t *one = lesson_ptr(mp_int(1)), *two = lesson_ptr(mp_int(2));
    mp_obj_t *set = lesson_ptr(mp_set_new(2, (mp_obj_t *[]){one, two}));
    mp_obj_t *values = lesson_ptr(mp_build("(zOiid s y# (ii) [isd] N N)", NULL, mp_bool(1), 42,
                                           -1, 3.0, "two", "\x00\xff", (size_t)2, 1, 2, 1, "two",
                                           3.0, set, mp_bytearray("z", 1)));
    mp_obj_decref(one);
    mp_obj_decref(two);
    for (size_t i = 0; i < mp_tuple_size(values); i++) {
        mp_obj_t *v = mp_tuple_get(values, i);
        void *data;
        size_t len;
        lesson_check(mp_pickle_dumps(v, 2, &data, &len)); /* pickle.dumps(v, protocol=2) */
        char *text = lesson_ptr(mp_repr(v));
        printf("%-16s -> ", text);
        print_hex(data, len);
        printf("\n");
        free(text);
        free(data);
    }
    mp_obj_decref(values);
}
// [values]

// [cpython]
/* CPython's own bytes, at its default protocol, read back. */
static void read_cpython(void)
{
    size_t len;
    void *data = unhex(DEFAULT_BYTES, &len);
    mp_obj_t *v;
    lesson_check(mp_pickle_loads(data, len, &v)); /* pickle.loads(data) */
    char *text = lesson_ptr(mp_repr(v));
    printf("protocol 4: %s -> %s\n", DEFAULT_BYTES, text);
    free(text);
    mp_obj_decref(v);
    free(data);
}
// [cpython]

// [cannot]
/* A C function or pointer cannot be put in an mp_obj_t at all: there is no such type, so the
 * question of pickling it never arises. CPython pickles a function as a name for the other
 * side to look up, which libmp refuses to do; a lambda has no name and a lock is a handle to
 * this process's memory, so CPython refuses those (the error names printed are CPython's). */
static void what_does_not(void)
{
    size_t len;
    void *data = unhex(FUNCTION_BYTES, &len);
    mp_obj_t *v = NULL;
    /* MP_EDECODE is the answer here: "refused: '__main__.child' is not ..." */
    if (lesson_check_or(mp_pickle_loads(data, len, &v), MP_EDECODE) != MP_EDECODE) {
        fprintf(stderr, "lesson07: a name was looked up\n");
        exit(1);
    }
    printf("a function pickles by name: %s (libmp refuses to load a name)\n", FUNCTION_BYTES);
    printf("does not pickle: a lambda (PicklingError)\n");
    printf("does not pickle: a lock (TypeError)\n");
    free(data);
}
// [cannot]

// [child]
/* Under fork the arguments are inherited, not pickled; the result goes back through the pipe,
 * and mp_conn_send() pickles it, as conn.send() does. */
static void child(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs;
    mp_conn_t *conn = ctx;
    int n;
    const char *text;
    lesson_check(mp_parse(args, "(is)", &n, &text));
    printf("child: got args (%d, '%s')\n", n, text);
    fflush(stdout);
    mp_obj_t **sq = malloc((size_t)n * sizeof *sq);
    for (int i = 0; i < n; i++)
        sq[i] = lesson_ptr(mp_int(i * i));
    mp_obj_t *squares = lesson_ptr(mp_list_new((size_t)n, sq)); /* [i * i for i in range(n)] */
    for (int i = 0; i < n; i++)
        mp_obj_decref(sq[i]);
    free(sq);
    mp_obj_t *result = lesson_ptr(mp_build("{s:i,s:N}", "n", n, "squares", squares));
    lesson_check(mp_conn_send(conn, result)); /* pickled here */
    mp_obj_decref(result);
    lesson_check(mp_conn_close(conn));
}
// [child]

int main(int argc, char **argv)
{
    struct lesson_opts o = {0.0, 5};
    lesson_parse(argc, argv, &o);
    what_pickles();
    read_cpython();
    what_does_not();
    fflush(stdout);
    // [main]
    mp_conn_t *mine, *theirs;
    mp_process_t *p;
    mp_process_opts_t opts = MP_PROCESS_OPTS_INIT;
    lesson_check(mp_pipe(&mine, &theirs, 1));
    opts.ctx = theirs; /* inherited by the forked child */
    mp_obj_t *args = lesson_ptr(mp_build("(is)", o.count, "abc"));
    lesson_check(mp_process_new(&p, child, args, &opts));
    lesson_check(mp_process_start(p));
    lesson_check(mp_conn_close(theirs));
    mp_obj_t *result;
    lesson_check(mp_conn_recv(mine, &result)); /* pickle.loads of the child's bytes */
    char *text = lesson_ptr(mp_repr(result));
    printf("parent: the result came back: %s\n", text);
    fflush(stdout);
    lesson_check(mp_process_join(p, MP_FOREVER));
    // [main]
    free(text);
    mp_obj_decref(result);
    mp_obj_decref(args);
    lesson_check(mp_process_free(p));
    mp_conn_free(mine);
    mp_conn_free(theirs);
    return 0;
}
