/* Deadlines on CLOCK_MONOTONIC, so a wall-clock jump never stretches or cuts a timeout (CPython's
 * semaphore.c uses gettimeofday; docs/pages/deviations.md says why libmp does not). */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "mp_internal.h"

double mp__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mp__deadline(double timeout, double *deadline)
{
    if (isnan(timeout))
        return mp__fail(MP_EINVAL, "timeout must be a number, not NaN");
    if (timeout < 0)
        timeout = 0;
    *deadline = isinf(timeout) ? INFINITY : mp__now() + timeout;
    return 0;
}

int mp__poll_many(struct pollfd *pfd, size_t n, double deadline)
{
    for (;;) {
        struct timespec ts, *tsp = NULL;
        if (!isinf(deadline)) {
            double left = deadline - mp__now();
            if (left < 0)
                left = 0;
            ts.tv_sec = (time_t)left;
            ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            tsp = &ts;
        }
        int ready = ppoll(pfd, n, tsp, NULL);
        if (ready >= 0)
            return ready;
        if (errno != EINTR)
            return -errno;
        /* A signal with a handler interrupted us: wait again for the time left (PEP 475). */
    }
}

int mp__poll_until(int fd, short events, double deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int rc = mp__poll_many(&pfd, 1, deadline);
    return rc > 0 ? 1 : rc;
}
