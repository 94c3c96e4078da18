/* What the MPI Pool's cases share: the tasks (tasks_mpi.c) and a pool on every worker rank. */
#ifndef MP_CONF_MPI_HELPERS_H
#define MP_CONF_MPI_HELPERS_H

#include <check.h>
#include <stdlib.h>
#include <mp.h>
#include <mp/pool_mpi.h>

mp_obj_t *mpi_sqr(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_mul(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_uneven(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_scaled(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_raise_key(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_unpicklable(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_init_value(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_read_init(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_sleep(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_pid_sleep(mp_obj_t *args, mp_obj_t *kwargs);
mp_obj_t *mpi_die(mp_obj_t *args, mp_obj_t *kwargs);

/* A pool with the "mpi" context and `opts` (NULL: one worker per other rank). */
static inline mp_pool_t *mpi_pool(mp_pool_opts_t *opts)
{
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    if (opts)
        o = *opts;
    ck_assert_int_eq(mp_mpi_context(&o.context), 0);
    mp_pool_t *p = NULL;
    int rc = mp_pool_new(&p, &o);
    ck_assert_msg(rc == 0, "mp_pool_new: %s (%s)", mp_err_name(rc), mp_errmsg());
    return p;
}

/* close(), join() and free: the workers' sessions end, the ranks wait for the next pool. */
static inline void mpi_pool_end(mp_pool_t *p)
{
    ck_assert_int_eq(mp_pool_close(p), 0);
    ck_assert_int_eq(mp_pool_join(p), 0);
    mp_pool_free(p);
}

/* [0, n) as a list. */
static inline mp_obj_t *mpi_range(long long n)
{
    mp_obj_t **items = malloc(sizeof *items * (size_t)(n > 0 ? n : 1));
    for (long long i = 0; i < n; i++)
        items[i] = mp_int(i);
    mp_obj_t *l = mp_list_new((size_t)n, items);
    for (long long i = 0; i < n; i++)
        mp_obj_decref(items[i]);
    free(items);
    ck_assert_ptr_nonnull(l);
    return l;
}

static inline long long mpi_ll(const mp_obj_t *o)
{
    int64_t v = -1;
    ck_assert_int_eq(mp_int_as_int64(o, &v), 0);
    return (long long)v;
}

/* The pool still serves after a fault: a map of x*x over [0, n) gives n results, the last
 * (n - 1)^2 (chunksize 1 spreads the items over every worker). */
static inline void mpi_ck_serves(mp_pool_t *p, long long n, size_t chunksize)
{
    mp_obj_t *items = mpi_range(n), *v = NULL;
    int rc = mp_pool_map(p, mpi_sqr, items, chunksize, &v);
    ck_assert_msg(rc == 0, "map after the fault: %s (%s)", mp_err_name(rc), mp_errmsg());
    ck_assert_uint_eq(mp_list_size(v), (size_t)n);
    ck_assert_int_eq(mpi_ll(mp_list_get(v, (size_t)n - 1)), (n - 1) * (n - 1));
    mp_obj_decref(v);
    mp_obj_decref(items);
}

Suite *mp_suite_pool_mpi(void);

#endif
