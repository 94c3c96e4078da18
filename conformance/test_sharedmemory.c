/* Suite "SharedMemory": named blocks in /dev/shm (shared_memory.h), their errors, the tracker
 * that unlinks a dead creator's blocks, and blocks shared with every CPython that
 * conformance/python/find-pythons finds (the Python end is conformance/python/shm_peer.py). */
#include <dirent.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "shm_helpers.h"

/* Waits until the tracker has unlinked `name` (it notices its creator's end at once; the
 * margin is for a loaded machine). */
static int gone_within(const char *name, double seconds)
{
    double deadline = now_s() + seconds;
    while (in_dev_shm(name)) {
        if (now_s() > deadline)
            return 0;
        sleep_s(0.005);
    }
    return 1;
}

static unsigned char pattern(size_t i, int salt)
{
    return (unsigned char)((i * 7 + (size_t)salt) % 251);
}

static void fill(mp_shared_memory_t *m, size_t n, int salt)
{
    unsigned char *b = mp_shared_memory_buf(m);
    for (size_t i = 0; i < n; i++)
        b[i] = pattern(i, salt);
}

static int holds(const mp_shared_memory_t *m, size_t n, int salt)
{
    const unsigned char *b = mp_shared_memory_buf(m);
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern(i, salt))
            return 0;
    return 1;
}

/* ---- children, under every start method ------------------------------------------------------ */

static const char *arg_str(mp_obj_t *a, size_t i)
{
    const char *s = NULL;
    mp_obj_t *o = arg_at(a, i);
    return o && mp_parse(o, "s", &s) == 0 ? s : "";
}

/* Attaches to (name, size), checks salt 0, writes salt 1. */
static int attach_and_write(mp_obj_t *a)
{
    mp_shared_memory_t *m;
    size_t n = (size_t)arg_long(a, 1);
    if (mp_shared_memory_new(&m, arg_str(a, 0), 0, 0) != 0)
        return 1;
    int rc = mp_shared_memory_size(m) != n ? 2 : !holds(m, n, 0) ? 3 : 0;
    if (rc == 0)
        fill(m, n, 1);
    mp_shared_memory_free(m);
    return rc;
}
JOB(attach_and_write);

/* Creates (name, 4096), raises the flag, then dies as arg 2 says: 0 exits without unlinking,
 * 1 is killed by SIGKILL. */
static int create_then_die(mp_obj_t *a)
{
    mp_shared_memory_t *m;
    if (mp_shared_memory_new(&m, arg_str(a, 0), 1, 4096) != 0)
        return 1;
    fill(m, 4096, 0);
    flag_raise(arg_sem(a, 1));
    if (arg_long(a, 2) == 1)
        raise(SIGKILL);
    return 0;
}
JOB(create_then_die);

/* ---- the tests -------------------------------------------------------------------------------- */

START_TEST(LIBMP_SHM_01_create_attach_close_unlink)
{
    const char *name = test_name("a");
    mp_shared_memory_t *m, *v;
    ck_assert_mp(mp_shared_memory_new(&m, name, 1, 10000), 0);
    ck_assert_str_eq(mp_shared_memory_name(m), name);
    ck_assert_uint_eq(mp_shared_memory_size(m), 10000);
    ck_assert(in_dev_shm(name));
    fill(m, 10000, 0);
    ck_assert_mp(mp_shared_memory_new(&v, name, 0, 5), 0); /* the size is the block's */
    ck_assert_uint_eq(mp_shared_memory_size(v), 10000);
    ck_assert(holds(v, 10000, 0));
    fill(v, 10000, 1);
    ck_assert(holds(m, 10000, 1));
    ck_assert_mp(mp_shared_memory_close(v), 0);
    ck_assert_mp(mp_shared_memory_close(v), 0);
    ck_assert_ptr_null(mp_shared_memory_buf(v));
    ck_assert_uint_eq(mp_shared_memory_size(v), 10000);
    ck_assert(holds(m, 10000, 1)); /* a close is this handle's alone */
    ck_assert_mp(mp_shared_memory_unlink(v), 0);
    ck_assert(!in_dev_shm(name));
    ck_assert(holds(m, 10000, 1)); /* mapped memory outlives its name */
    mp_shared_memory_t *w;
    ck_assert_mp(mp_shared_memory_new(&w, name, 0, 0), MP_ENOENT);
    ck_assert_ptr_null(w);
    ck_assert_mp(mp_shared_memory_unlink(m), MP_ENOENT);
    ck_assert_str_eq(mp_exception_name(MP_ENOENT), "FileNotFoundError");
    mp_shared_memory_free(v);
    mp_shared_memory_free(m);
    mp_shared_memory_free(NULL);
}
END_TEST

START_TEST(LIBMP_SHM_02_names_made_as_cpython)
{
    mp_shared_memory_t *m[2];
    for (int k = 0; k < 2; k++) {
        ck_assert_mp(mp_shared_memory_new(&m[k], NULL, 1, 1), 0);
        const char *name = mp_shared_memory_name(m[k]);
        ck_assert_uint_eq(strlen(name), 12); /* "/psm_" + 8 hex digits = 14 - 1 */
        ck_assert_int_eq(strncmp(name, "psm_", 4), 0);
        ck_assert_uint_eq(strspn(name + 4, "0123456789abcdef"), 8);
        ck_assert(in_dev_shm(name));
    }
    ck_assert_str_ne(mp_shared_memory_name(m[0]), mp_shared_memory_name(m[1]));
    for (int k = 0; k < 2; k++) {
        ck_assert_mp(mp_shared_memory_unlink(m[k]), 0);
        mp_shared_memory_free(m[k]);
    }
    /* A leading slash names the same object, and .name keeps it as given (CPython prepends a
     * slash, and shm_open strips the leading ones). */
    char slashed[128];
    snprintf(slashed, sizeof slashed, "/%.60s", test_name("s"));
    ck_assert_mp(mp_shared_memory_new(&m[0], slashed, 1, 3), 0);
    ck_assert_str_eq(mp_shared_memory_name(m[0]), slashed);
    ck_assert(in_dev_shm(slashed + 1));
    ck_assert_mp(mp_shared_memory_new(&m[1], slashed + 1, 0, 0), 0);
    ck_assert_mp(mp_shared_memory_unlink(m[1]), 0);
    mp_shared_memory_free(m[1]);
    mp_shared_memory_free(m[0]);
}
END_TEST

START_TEST(LIBMP_SHM_03_bad_names_and_sizes)
{
    const char *name = test_name("e");
    mp_shared_memory_t *m, *x = NULL;
    ck_assert_mp(mp_shared_memory_new(&x, name, 1, 0), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "'size' must be a positive number different from zero");
    ck_assert_mp(mp_shared_memory_new(&x, NULL, 0, 10), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "'name' can only be None if create=True");
    ck_assert_mp(mp_shared_memory_new(&x, name, 1, (size_t)-1), MP_EINVAL);
    ck_assert_mp(mp_shared_memory_new(NULL, name, 1, 10), MP_EINVAL);
    ck_assert_mp(mp_shared_memory_new(&m, name, 1, 10), 0);
    ck_assert_mp(mp_shared_memory_new(&x, name, 1, 10), MP_EEXIST);
    ck_assert_str_eq(mp_exception_name(MP_EEXIST), "FileExistsError");
    ck_assert_mp(mp_shared_memory_new(&x, "", 1, 10), MP_EINVAL);
    ck_assert_mp(mp_shared_memory_new(&x, "a/b", 1, 10), MP_EINVAL);
    ck_assert_mp(mp_shared_memory_new(&x, "a/b", 0, 0), MP_EINVAL);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_mp(mp_shared_memory_new(&x, longname, 1, 10), MP_EINVAL); /* CPython: EINVAL too */
    ck_assert_ptr_null(x);
    /* An object of size 0, as another program may leave one: CPython's mmap refuses it. */
    char empty[128];
    snprintf(empty, sizeof empty, "/%.60s", test_name("z"));
    int fd = shm_open(empty, O_CREAT | O_EXCL | O_RDWR, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_mp(mp_shared_memory_new(&x, empty + 1, 0, 0), MP_EINVAL);
    ck_assert_str_eq(mp_errmsg(), "SharedMemory: cannot mmap an empty file");
    shm_unlink(empty);
    /* The next failure has its own message, not the empty file's left over. */
    ck_assert_mp(mp_shared_memory_new(&x, empty + 1, 0, 0), MP_ENOENT);
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "No such file or directory"));
    ck_assert_mp(mp_shared_memory_close(NULL), MP_EINVAL);
    ck_assert_mp(mp_shared_memory_unlink(NULL), MP_EINVAL);
    ck_assert_uint_eq(mp_shared_memory_size(NULL), 0);
    ck_assert_mp(mp_shared_memory_unlink(m), 0);
    mp_shared_memory_free(m);
}
END_TEST

START_TEST(LIBMP_SHM_04_child_attaches_by_name)
{
    const char *name = test_name("c");
    mp_shared_memory_t *m;
    ck_assert_mp(mp_shared_memory_new(&m, name, 1, 70000), 0);
    fill(m, 70000, 0);
    ck_assert_int_eq(finish(GO(attach_and_write, mp_build("(si)", name, 70000)), 10), 0);
    ck_assert(holds(m, 70000, 1));
    ck_assert_mp(mp_shared_memory_unlink(m), 0);
    mp_shared_memory_free(m);
}
END_TEST

/* The creator dies without unlinking (killed, or an ordinary exit): its tracker unlinks. */
static void creator_dies(int killed)
{
    const char *name = test_name(killed ? "k" : "x");
    mp_sem_t *flag = flag_new();
    mp_process_t *p = GO(create_then_die, mp_build("(sNi)", name, mp_sem_obj(flag), killed));
    ck_assert(flag_wait(flag, 1, 10));
    ck_assert_mp(mp_process_join(p, 10), 0);
    int code = 0;
    ck_assert_mp(mp_process_exitcode(p, &code), 0);
    ck_assert_int_eq(code, killed ? -SIGKILL : 0);
    ck_assert_msg(gone_within(name, 5), "/dev/shm/%s is still there 5 s after its creator died",
                  name);
    mp_process_free(p);
    mp_sem_free(flag);
}

START_TEST(LIBMP_SHM_05_creator_killed_tracker_unlinks)
{
    creator_dies(1);
}
END_TEST

START_TEST(LIBMP_SHM_06_creator_exits_without_unlink)
{
    creator_dies(0);
}
END_TEST

/* The tracker keeps none of its creator's descriptors: a pipe whose writer the creator closes
 * after starting the tracker still ends. */
START_TEST(LIBMP_SHM_07_tracker_holds_no_other_descriptor)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    mp_shared_memory_t *m;
    ck_assert_mp(mp_shared_memory_new(&m, test_name("t"), 1, 1), 0);
    close(fds[1]);
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 2000), 1);
    char c;
    ck_assert_int_eq(read(fds[0], &c, 1), 0);
    close(fds[0]);
    ck_assert_mp(mp_shared_memory_unlink(m), 0);
    mp_shared_memory_free(m);
}
END_TEST

/* How many processes map /dev/shm/`name` (those whose maps this user may read). */
static int mappers_of(const char *name)
{
    char path[PATH_MAX], want[128], line[1024];
    snprintf(want, sizeof want, "/dev/shm/%s", name);
    int count = 0;
    DIR *d = opendir("/proc");
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/maps", e->d_name);
        FILE *f = fopen(path, "r");
        int found = 0;
        while (f && !found && fgets(line, sizeof line, f))
            found = strstr(line, want) != NULL;
        count += found;
        if (f)
            fclose(f);
    }
    closedir(d);
    return count;
}

/* The tracker maps none of its creator's shared memory: the first block, mapped when the
 * tracker is forked, is freed when its creator closes it, not when the creator ends (CPython's
 * tracker is a process of its own, started by exec). */
START_TEST(LIBMP_SHM_20_tracker_maps_no_block)
{
    const char *name = test_name("m");
    mp_shared_memory_t *m;
    ck_assert_mp(mp_shared_memory_new(&m, name, 1, 1 << 20), 0);
    fill(m, 1 << 20, 0);
    ck_assert_int_eq(mappers_of(name), 1); /* this process */
    ck_assert_mp(mp_shared_memory_close(m), 0);
    ck_assert_int_eq(mappers_of(name), 0);
    ck_assert_mp(mp_shared_memory_unlink(m), 0);
    mp_shared_memory_free(m);
}
END_TEST

/* A fork in another thread while this one restarts the tracker: the fork's prepare handlers
 * take their locks in their own order (here a handler registered after the tracker's takes
 * `hold_mu` first and keeps it a while), so a tracker started under the tracker's lock would
 * wait for `hold_mu` while the forking thread waits for the tracker's lock: a deadlock. */
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int slow_prepare;
static void hold_prepare(void)
{
    pthread_mutex_lock(&hold_mu);
    if (slow_prepare)
        sleep_s(0.3);
}
static void hold_release(void)
{
    pthread_mutex_unlock(&hold_mu);
}
static void *fork_slowly(void *arg)
{
    (void)arg;
    slow_prepare = 1;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return NULL;
}

static int restart_beside_a_fork(const char *first, const char *second)
{
    mp_shared_memory_t *m, *n;
    if (mp_shared_memory_new(&m, first, 1, 10) < 0)
        return 1;
    pthread_atfork(hold_prepare, hold_release, hold_release);
    /* The tracker's end is this process's one SOCK_SEQPACKET socket: shut, the next create
     * finds the tracker gone (EPIPE) and starts another. */
    int shut = 0;
    for (int fd = 3; fd < 1024; fd++) {
        int type;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET)
            shut += shutdown(fd, SHUT_RDWR) == 0;
    }
    if (shut != 1)
        return 2;
    pthread_t t;
    if (pthread_create(&t, NULL, fork_slowly, NULL) != 0)
        return 3;
    sleep_s(0.1); /* the other thread is in its prepare handler, holding hold_mu */
    int rc = mp_shared_memory_new(&n, second, 1, 10);
    pthread_join(t, NULL);
    if (rc < 0)
        return 4;
    mp_shared_memory_unlink(n);
    mp_shared_memory_unlink(m);
    return 0;
}

START_TEST(LIBMP_SHM_21_tracker_restart_beside_a_fork)
{
    FORK_ONLY();
    const char *first = test_name("p"), *second = test_name("q");
    pid_t pid = fork_flushed();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(restart_beside_a_fork(first, second));
    double deadline = now_s() + 10;
    int st = 0;
    pid_t got;
    while ((got = waitpid(pid, &st, WNOHANG)) == 0 && now_s() < deadline)
        sleep_s(0.01);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        shm_unlink(first), shm_unlink(second);
    }
    ck_assert_msg(got == pid, "the tracker's restart and a fork deadlocked");
    ck_assert_int_eq(status_code(st), 0);
}
END_TEST

/* A kill of the creator's whole process group (a test runner's killpg, a shell killing a job)
 * does not take the tracker with it. */
START_TEST(LIBMP_SHM_10_creator_group_killed_tracker_unlinks)
{
    FORK_ONLY();
    const char *name = test_name("g");
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork_flushed();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        mp_shared_memory_t *m;
        setpgid(0, 0);
        close(ready[0]);
        if (mp_shared_memory_new(&m, name, 1, 100) != 0 || write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    close(ready[0]);
    ck_assert(in_dev_shm(name));
    ck_assert_int_eq(kill(-pid, SIGKILL), 0);
    ck_assert_int_eq(status_code(pid_wait(pid)), 128 + SIGKILL);
    ck_assert_msg(gone_within(name, 5), "/dev/shm/%s is still there 5 s after its group died",
                  name);
}
END_TEST

/* ---- CPython ---------------------------------------------------------------------------------- */

START_TEST(LIBMP_SHM_08_cpython_attaches_to_c_block)
{
    char py[12][PATH_MAX];
    int n = pythons_all_or_skip("LIBMP_SHM_08", py);
    for (int i = 0; i < n; i++) {
        mp_shared_memory_t *m;
        ck_assert_mp(mp_shared_memory_new(&m, NULL, 1, 5000), 0);
        fill(m, 5000, 0);
        const char *argv[] = {"attach", mp_shared_memory_name(m), "5000", NULL};
        ck_assert_msg(status_code(pid_wait(run_peer(py[i], argv, NULL))) == 0,
                      "%s did not find the C block's bytes", py[i]);
        ck_assert_msg(holds(m, 5000, 1), "%s: the Python writes are not in the C block", py[i]);
        ck_assert(in_dev_shm(mp_shared_memory_name(m)));
        ck_assert_mp(mp_shared_memory_unlink(m), 0);
        const char *gone[] = {"missing", mp_shared_memory_name(m), NULL};
        ck_assert_int_eq(status_code(pid_wait(run_peer(py[i], gone, NULL))), 0);
        mp_shared_memory_free(m);
    }
}
END_TEST

START_TEST(LIBMP_SHM_09_c_attaches_to_cpython_block)
{
    char py[12][PATH_MAX];
    int n = pythons_all_or_skip("LIBMP_SHM_09", py);
    for (int i = 0; i < n; i++) {
        int io[2];
        const char *argv[] = {"create", "3000", NULL};
        pid_t pid = run_peer(py[i], argv, io);
        char name[64] = "";
        FILE *f = fdopen(io[0], "r");
        ck_assert_msg(fgets(name, sizeof name, f) != NULL, "%s printed no name", py[i]);
        name[strcspn(name, "\n")] = '\0';
        ck_assert_int_eq(strncmp(name, "psm_", 4), 0);
        mp_shared_memory_t *m;
        ck_assert_mp(mp_shared_memory_new(&m, name, 0, 0), 0);
        ck_assert_uint_eq(mp_shared_memory_size(m), 3000);
        ck_assert_msg(holds(m, 3000, 0), "%s: the C side does not see the Python bytes", py[i]);
        fill(m, 3000, 1);
        ck_assert_int_eq(write(io[1], "\n", 1), 1);
        close(io[1]);
        ck_assert_msg(status_code(pid_wait(pid)) == 0, "%s did not find the C writes", py[i]);
        fclose(f);
        ck_assert(!in_dev_shm(name)); /* Python unlinked it */
        mp_shared_memory_free(m);
    }
}
END_TEST

Suite *mp_suite_sharedmemory(void)
{
    Suite *s = suite_create("SharedMemory");
    TCase *tc = mp_tcase("block", 30);
    tcase_add_test(tc, LIBMP_SHM_01_create_attach_close_unlink);
    tcase_add_test(tc, LIBMP_SHM_02_names_made_as_cpython);
    tcase_add_test(tc, LIBMP_SHM_03_bad_names_and_sizes);
    tcase_add_test(tc, LIBMP_SHM_04_child_attaches_by_name);
    tcase_add_test(tc, LIBMP_SHM_05_creator_killed_tracker_unlinks);
    tcase_add_test(tc, LIBMP_SHM_06_creator_exits_without_unlink);
    tcase_add_test(tc, LIBMP_SHM_07_tracker_holds_no_other_descriptor);
    tcase_add_test(tc, LIBMP_SHM_10_creator_group_killed_tracker_unlinks);
    tcase_add_test(tc, LIBMP_SHM_20_tracker_maps_no_block);
    tcase_add_test(tc, LIBMP_SHM_21_tracker_restart_beside_a_fork);
    suite_add_tcase(s, tc);
    TCase *py = mp_tcase("cpython", 120);
    tcase_add_test(py, LIBMP_SHM_08_cpython_attaches_to_c_block);
    tcase_add_test(py, LIBMP_SHM_09_c_attaches_to_cpython_block);
    suite_add_tcase(s, py);
    shareable_list_tcases(s);
    return s;
}
