/*
 * P3 floor: what pickling or unpickling one 64 MiB bytes value cannot avoid: a fresh 64 MiB
 * buffer and a copy into it (malloc + memcpy + free), COUNT times. The list and dict workloads
 * have no floor: no system call or library routine does that work for less.
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    bench_args_t a;
    bench_parse(argc, argv, NULL, &a);
    size_t n = (size_t)64 << 20;
    unsigned char *src = malloc(n);
    if (!src)
        bench_die("malloc");
    for (size_t i = 0; i < n; i++)
        src[i] = (unsigned char)i;
    double t0 = bench_now();
    for (long i = 0; i < a.count; i++) {
        unsigned char *dst = malloc(n);
        if (!dst)
            bench_die("malloc");
        memcpy(dst, src, n);
        __asm__ volatile("" : : "r"(dst) : "memory"); /* the copy is used */
        free(dst);
    }
    bench_report(a.count, bench_now() - t0);
    free(src);
    return 0;
}
