/* Starting and ending MPI for the MPI Pool: rank 0 gets the bridge thread and the "mpi"
 * context; every other rank serves pools from inside mp_mpi_init() and exits there. */
#include <stdio.h>
#include <stdlib.h>

#include "mpi_impl.h"

static int size = -1;
static int we_initialized, finalized;
static const mp_context_t *context;

/* Rank 0's bridge thread calls MPI while the main thread may too (finalize): SERIALIZED is the
 * least level that allows it, MULTIPLE is asked for and usually given. */
static int start_mpi(int *argc, char ***argv)
{
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (inited)
        MPI_Query_thread(&provided);
    else if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
        return mp__fail(MP_ERUNTIME, "MPI_Init_thread failed");
    we_initialized = !inited;
    if (provided < MPI_THREAD_SERIALIZED)
        return mp__fail(MP_ERUNTIME, "MPI gives thread level %d, the MPI Pool needs %d", provided,
                        MPI_THREAD_SERIALIZED);
    if (MPI_Comm_dup(MPI_COMM_WORLD, &mp__mpi_comm) != MPI_SUCCESS)
        return mp__fail(MP_ERUNTIME, "MPI_Comm_dup failed");
    /* An error comes back as a code, which the bridge turns into failed calls, rather than
     * aborting inside the library (Open MPI still aborts the job when a rank dies). */
    MPI_Comm_set_errhandler(mp__mpi_comm, MPI_ERRORS_RETURN);
    return 0;
}

static void at_exit(void)
{
    mp_mpi_finalize();
}

int mp_mpi_init(int *argc, char ***argv)
{
    if (size >= 0)
        return mp__fail(MP_ESTATE, "mp_mpi_init() was called already");
    int rank, rc = start_mpi(argc, argv);
    if (rc != 0)
        return rc;
    MPI_Comm_rank(mp__mpi_comm, &rank);
    MPI_Comm_size(mp__mpi_comm, &size);
    if (rank != 0) {
        int status = mp__mpi_rank_main();
        MPI_Comm_free(&mp__mpi_comm);
        if (we_initialized)
            MPI_Finalize();
        fflush(NULL);
        exit(status);
    }
    if ((rc = mp__mpi_bridge_start(size)) != 0 ||
        (rc = mp_context_from_transport(&mp__mpi_transport, &context)) != 0)
        return rc;
    atexit(at_exit);
    return 0;
}

int mp_mpi_context(const mp_context_t **out)
{
    MP__NEED(out);
    if (!context)
        return mp__fail(MP_ESTATE, "mp_mpi_init() was not called on this rank 0");
    *out = context;
    return 0;
}

int mp_mpi_size(void)
{
    return size >= 0 ? size : mp__fail(MP_ESTATE, "mp_mpi_init() was not called");
}

int mp_mpi_finalize(void)
{
    if (size < 0 || finalized)
        return 0;
    finalized = 1;
    int rc = mp__mpi_bridge_stop();
    MPI_Comm_free(&mp__mpi_comm);
    if (we_initialized)
        MPI_Finalize();
    return rc;
}
