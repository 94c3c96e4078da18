/*
 * P3 floor: what pickling or unpickling one 64 MiB bytes value cannot avoid: a fresh 64 MiB
 * buffer and a copy into it (malloc + memcpy + free), COUNT times, with the hint libmp gives
 * for such a buffer (huge pages: most of the cost is page faults). The list and dict workloads
 * have no floor: no system call or library routine does that work for less.
 */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void advise_huge(void *p, size_t n)
{
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t from = ((uintptr_t)p + huge - 1) & ~(huge - 1), to = ((uintptr_t)p + n) & ~(huge - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_HUGEPAGE);
}

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
        advise_huge(dst, n);
        memcpy(dst, src, n);
        __asm__ volatile("" : : "r"(dst) : "memory"); /* the copy is used */
        free(dst);
    }
    bench_report(a.count, bench_now() - t0);
    free(src);
    return 0;
}
