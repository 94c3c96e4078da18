/* Reading the vector files: one row per line, TAB-separated fields, '#' comments. */
#include "pickle_vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether dir holds the vectors; if so it becomes pv_dir()'s answer. */
static int found(const char *dir, char *out, size_t size)
{
    char probe[2 * PATH_MAX];
    snprintf(probe, sizeof probe, "%s/vectors.tsv", dir);
    if (access(probe, R_OK) != 0)
        return 0;
    snprintf(out, size, "%s", dir);
    return 1;
}

const char *pv_dir(void)
{
    static char dir[PATH_MAX + 32];
    char exe[PATH_MAX], cand[PATH_MAX + 32];
    const char *env = getenv("MP_VECTORS");
    if (env)
        return found(env, dir, sizeof dir) ? dir : NULL;
    if (found("conformance/vectors", dir, sizeof dir))
        return dir;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (char *slash; (slash = strrchr(exe, '/')) != NULL;) { /* up from the binary's folder */
        *slash = '\0';
        snprintf(cand, sizeof cand, "%s/conformance/vectors", exe);
        if (found(cand, dir, sizeof dir))
            return dir;
    }
    return NULL;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap)
            text = realloc(text, cap *= 2);
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

void pv_load(pv_file_t *f, const char *name)
{
    const char *dir = pv_dir();
    char path[PATH_MAX + 64];
    memset(f, 0, sizeof *f);
    if (!dir) {
        snprintf(f->why, sizeof f->why,
                 "no vectors: conformance/vectors/%s is not in the tree above the binary or "
                 "the current directory, and MP_VECTORS does not name a folder holding it",
                 name);
        return;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f->text = slurp(path))) {
        snprintf(f->why, sizeof f->why, "cannot read %s", path);
        return;
    }
    size_t cap = 0;
    for (char *line = f->text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (f->n == cap)
            f->row = realloc(f->row, (cap = cap ? 2 * cap : 512) * sizeof *f->row);
        pv_row_t *r = &f->row[f->n++];
        static char empty[] = "";
        for (int i = 0; i < 8; i++) {
            char *tab = line ? strchr(line, '\t') : NULL;
            r->f[i] = line ? line : empty;
            if (tab)
                *tab++ = '\0';
            line = tab;
        }
    }
    if (!f->n)
        snprintf(f->why, sizeof f->why, "%s has no rows", path);
}
