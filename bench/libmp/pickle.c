/*
 * P1-P3 libmp: mp_pickle_dumps and mp_pickle_loads of the pickle workloads' values, COUNT times:
 * a list of the ints 0..99999, a dict of 10,000 str keys ("key00000"...) to ints, and one
 * 64 MiB bytes. The loads modes decode the very bytes CPython's pickle.dumps writes for the
 * list and the dict (asked of $PYTHON before the clock starts; CPython's default protocol, with
 * its FRAME and MEMOIZE opcodes); for the bytes, what libmp writes (the same opcode, BINBYTES,
 * with CPython's one MEMOIZE less).
 */
#include "common.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mp.h>

static const char *const modes[] = {"dumps-list", "loads-list", "dumps-dict", "loads-dict",
                                    "dumps-bytes", "loads-bytes", NULL};

static mp_obj_t *make_value(const char *kind)
{
    if (!strcmp(kind, "list")) {
        mp_obj_t **items = malloc(100000 * sizeof *items);
        for (int i = 0; i < 100000; i++)
            items[i] = mp_int(i);
        mp_obj_t *l = mp_list_new(100000, items);
        for (int i = 0; i < 100000; i++)
            mp_obj_decref(items[i]);
        free(items);
        return l;
    }
    if (!strcmp(kind, "dict")) {
        mp_obj_t **keys = malloc(10000 * sizeof *keys), **vals = malloc(10000 * sizeof *vals);
        char key[16];
        for (int i = 0; i < 10000; i++) {
            snprintf(key, sizeof key, "key%05d", i);
            keys[i] = mp_str(key);
            vals[i] = mp_int(i);
        }
        mp_obj_t *d = mp_dict_new(10000, keys, vals);
        for (int i = 0; i < 10000; i++)
            mp_obj_decref(keys[i]), mp_obj_decref(vals[i]);
        free(keys);
        free(vals);
        return d;
    }
    size_t n = (size_t)64 << 20;
    unsigned char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)i;
    mp_obj_t *o = mp_bytes(b, n);
    free(b);
    return o;
}

/* CPython's pickle of the list (line 1) or the dict (line 2), from `pickle_w.py values`. */
static void *cpython_bytes(const char *kind, size_t *len)
{
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    char cmd[2 * PATH_MAX], script[PATH_MAX] = "bench/cpython/pickle_w.py";
    ssize_t n = readlink("/proc/self/exe", cmd, sizeof cmd - 1); /* build/bench/bin/... */
    if (access(script, R_OK) != 0 && n > 0) {
        cmd[n] = '\0';
        for (int up = 0; up < 4; up++)
            *(strrchr(cmd, '/') ? strrchr(cmd, '/') : cmd) = '\0';
        snprintf(script, sizeof script, "%.*s/bench/cpython/pickle_w.py", PATH_MAX - 64, cmd);
    }
    snprintf(cmd, sizeof cmd, "%s %s values", python, script);
    FILE *f = popen(cmd, "r");
    char *lines[2] = {NULL, NULL};
    size_t cap[2] = {0, 0};
    for (int i = 0; f && i < 2; i++)
        if (getline(&lines[i], &cap[i], f) < 0)
            bench_fail("pickle: no bytes from CPython (run from the top of the tree)");
    if (!f || pclose(f) != 0)
        bench_fail("pickle: CPython did not write the values");
    char *line = lines[strcmp(kind, "list") ? 1 : 0];
    free(lines[strcmp(kind, "list") ? 0 : 1]);
    size_t bytes = strcspn(line, "\n") / 2;
    unsigned char *p = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        sscanf(line + 2 * i, "%2hhx", &p[i]);
    free(line);
    *len = bytes;
    return p;
}

int main(int argc, char **argv)
{
    bench_args_t a;
    bench_parse(argc, argv, modes, &a);
    const char *kind = strchr(a.mode, '-') + 1;
    mp_obj_t *v = make_value(kind);
    void *data = NULL;
    size_t len;
    if (!strncmp(a.mode, "loads", 5) && strcmp(kind, "bytes"))
        data = cpython_bytes(kind, &len);
    else if (mp_pickle_dumps(v, -1, &data, &len) != 0)
        bench_fail("pickle: mp_pickle_dumps failed");
    double t0 = bench_now();
    for (long i = 0; i < a.count; i++) {
        if (a.mode[0] == 'd') {
            void *out;
            size_t n;
            if (mp_pickle_dumps(v, -1, &out, &n) != 0)
                bench_fail("pickle: mp_pickle_dumps failed");
            free(out);
        } else {
            mp_obj_t *back;
            if (mp_pickle_loads(data, len, &back) != 0)
                bench_fail("pickle: mp_pickle_loads failed");
            mp_obj_decref(back);
        }
    }
    double t1 = bench_now();
    bench_report(a.count, t1 - t0);
    free(data);
    mp_obj_decref(v);
    return 0;
}
