/* The MPI Pool's runner, started by mpirun on every rank (scripts/conformance-mpi):
 *
 *   mpirun -np 4 build/conformance/mp-conformance-mpi            the PoolMPI suite
 *   mpirun -np 4 build/conformance/mp-conformance-mpi --die-rank  tasks kill their ranks
 *
 * Ranks other than 0 serve the pools inside mp_mpi_init() and never reach the suite. Rank 0
 * prints Check's results and the closing `N passed, N failed` line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_helpers.h"

/* LIBMP_MPI_11: a map whose tasks SIGKILL their ranks (not only the servers, LIBMP_MPI_13).
 * Open MPI then aborts the job; reaching the end of this function means the death went
 * unnoticed. */
static int die(void)
{
    const mp_context_t *ctx;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    mp_pool_t *p;
    mp_obj_t *items = mp_build("[iiii]", -2, -2, -2, -2), *out = NULL;
    if (mp_mpi_context(&ctx) != 0)
        return 2;
    o.context = ctx;
    if (mp_pool_new(&p, &o) != 0)
        return 2;
    /* The script looks for this line: an mpirun that fails before the map (a refused option, no
     * slots) is not a rank's death. */
    printf("rank death: map started\n");
    fflush(stdout);
    int rc = mp_pool_map(p, mpi_die, items, 1, &out);
    printf("rank death: map returned %s (%s)\n", mp_err_name(rc), rc ? mp_errmsg() : "");
    mp_obj_decref(out);
    mp_obj_decref(items);
    mp_pool_free(p);
    return rc == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
    int rc = mp_mpi_init(&argc, &argv);
    if (rc != 0) {
        printf("mp_mpi_init: %s (%s)\n0 passed, 1 failed\n", mp_err_name(rc), mp_errmsg());
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--die-rank") == 0)
        return die();
    SRunner *sr = srunner_create(mp_suite_pool_mpi());
    srunner_set_fork_status(sr, CK_NOFORK); /* a forked copy of an MPI process may not use MPI */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr), run = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%d passed, %d failed\n", run - failed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}
