/* What the SharedMemory suite's files share (test_sharedmemory.c, test_shareable_list.c): names
 * of the run's own, and the CPython peer conformance/python/shm_peer.py. */
#ifndef MP_CONFORMANCE_SHM_HELPERS_H
#define MP_CONFORMANCE_SHM_HELPERS_H

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "interop_helpers.h"

#define PEER "conformance/python/shm_peer.py"

/* A name of this test run's own, so that parallel runs and leftovers never collide; one
 * buffer per tag letter, so that two names of one test do not share one. */
static inline const char *test_name(const char *tag)
{
    static char names[26][48];
    char *name = names[(tag[0] - 'a') % 26];
    snprintf(name, 48, "mpt_%d_%.8s", (int)getpid(), tag);
    return name;
}

static inline int in_dev_shm(const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    return access(path, F_OK) == 0;
}

/* Runs the peer with `argv` (after the interpreter and the script); with `io`, the peer's
 * stdin and stdout are pipes: io[0] reads its stdout, io[1] writes its stdin. */
static inline pid_t run_peer(const char *python, const char *const *argv, int io[2])
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (io)
        ck_assert(pipe(in) == 0 && pipe(out) == 0);
    pid_t pid = fork_flushed();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (io && (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0))
            _exit(126);
        const char *args[8] = {python, PEER};
        for (int i = 0; argv[i] && i < 5; i++)
            args[i + 2] = argv[i];
        execv(python, (char *const *)args);
        _exit(127);
    }
    if (io) {
        close(in[0]), close(out[1]);
        io[0] = out[0], io[1] = in[1];
    }
    return pid;
}

/* The minor version of a CPython 3 interpreter (8 for 3.8); -1 if it does not answer. */
static inline int py_minor(const char *python)
{
    char cmd[PATH_MAX + 64];
    int minor = -1;
    snprintf(cmd, sizeof cmd, "%.4000s -c 'import sys; print(sys.version_info[1])'", python);
    FILE *f = popen(cmd, "r");
    if (f && fscanf(f, "%d", &minor) != 1)
        minor = -1;
    if (f)
        pclose(f);
    return minor;
}

/* The CPython versions this suite is meant for; one not found makes the test a skip. */
static inline int pythons_all_or_skip(const char *test, char py[][PATH_MAX])
{
    int n = pythons_or_skip(test, PEER, py), minors[12];
    char missing[64] = "";
    for (int i = 0; i < n; i++)
        minors[i] = py_minor(py[i]);
    for (int v = 8; n > 0 && v <= 13; v++) {
        char want[16];
        snprintf(want, sizeof want, "3.%d", v);
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= minors[i] == v;
        if (!found)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %s", want);
    }
    if (missing[0]) {
        char why[128];
        snprintf(why, sizeof why, "CPython not found:%s (ran with the others)", missing);
        mp_skip(test, why);
    }
    return n;
}

/* Adds the ShareableList cases (test_shareable_list.c) to the SharedMemory suite. */
void shareable_list_tcases(Suite *s);

#endif /* MP_CONFORMANCE_SHM_HELPERS_H */
