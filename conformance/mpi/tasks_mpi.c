/* The tasks the MPI Pool cases send to the ranks; every rank registers them (MP_TASK) before
 * main, so a rank finds each by name as a spawned worker does. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mpi_helpers.h"

mp_obj_t *mpi_sqr(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "mpi_sqr() takes one int");
    return mp_int(x * x);
}
MP_TASK(mpi_sqr);

mp_obj_t *mpi_mul(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long a, b;
    if (mp_parse(args, "(LL)", &a, &b) != 0)
        return mp_task_raise("TypeError", "mpi_mul() takes two ints");
    return mp_int(a * b);
}
MP_TASK(mpi_mul);

/* sqr after a sleep of (x % 3) * 10 ms, so that results finish out of order. */
mp_obj_t *mpi_uneven(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x;
    if (mp_parse(args, "(L)", &x) != 0)
        return mp_task_raise("TypeError", "mpi_uneven() takes one int");
    struct timespec ts = {0, (long)(x % 3) * 10000000L};
    nanosleep(&ts, NULL);
    return mp_int(x * x);
}
MP_TASK(mpi_uneven);

/* a + b * kwargs["scale"] */
mp_obj_t *mpi_scaled(mp_obj_t *args, mp_obj_t *kwargs)
{
    long long a, b;
    int64_t scale = 1;
    if (mp_parse(args, "(LL)", &a, &b) != 0)
        return mp_task_raise("TypeError", "mpi_scaled() takes two ints");
    const mp_obj_t *s = kwargs ? mp_dict_get_str(kwargs, "scale") : NULL;
    if (s && mp_int_as_int64(s, &scale) != 0)
        return mp_task_raise("TypeError", "scale must be an int");
    return mp_int(a + b * (long long)scale);
}
MP_TASK(mpi_scaled);

mp_obj_t *mpi_raise_key(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    const char *key = "?";
    mp_parse(args, "(s)", &key);
    return mp_task_raise("KeyError", "%s", key);
}
MP_TASK(mpi_raise_key);

/* A Lock as a value: pickle refuses it (reduction.h), the process Pool's unpicklable result. */
mp_obj_t *mpi_unpicklable(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    static mp_lock_t *kept;
    if (!kept && mp_lock_new(&kept) != 0)
        return mp_task_raise("OSError", "mp_lock_new: %s", mp_errmsg());
    return mp_lock_obj(kept);
}
MP_TASK(mpi_unpicklable);

static long long init_value = -1;
static int calls;

mp_obj_t *mpi_init_value(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    calls = 0;
    if (mp_parse(args, "(L)", &init_value) != 0)
        return mp_task_raise("TypeError", "mpi_init_value() takes one int");
    return mp_none();
}
MP_TASK(mpi_init_value);

/* (the initializer's value, calls in this worker so far) */
mp_obj_t *mpi_read_init(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)args, (void)kwargs;
    return mp_build("(Li)", init_value, ++calls);
}
MP_TASK(mpi_read_init);

mp_obj_t *mpi_sleep(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    double s;
    if (mp_parse(args, "(d)", &s) != 0)
        return mp_task_raise("TypeError", "mpi_sleep() takes a float");
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
    return mp_none();
}
MP_TASK(mpi_sleep);

/* Writes the pid of the process it runs in to `path` (whole, by a rename), then sleeps
 * `seconds`: the test can tell whether that process still runs. */
mp_obj_t *mpi_pid_sleep(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    const char *path;
    double s;
    if (mp_parse(args, "(sd)", &path, &s) != 0)
        return mp_task_raise("TypeError", "mpi_pid_sleep() takes a path and a float");
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        return mp_task_raise("OSError", "cannot write %s", path);
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
    return mp_none();
}
MP_TASK(mpi_pid_sleep);

/* The task ends the process it runs in: SIGKILL (x == -1), as a crash ends it, or _exit(x);
 * with x == -2 it kills its rank (the server's parent) first, which Open MPI answers by aborting
 * the job. */
mp_obj_t *mpi_die(mp_obj_t *args, mp_obj_t *kwargs)
{
    (void)kwargs;
    long long x = 3;
    mp_parse(args, "(L)", &x);
    if (x == -2)
        kill(getppid(), SIGKILL);
    if (x < 0)
        raise(SIGKILL);
    _exit((int)x);
}
MP_TASK(mpi_die);
