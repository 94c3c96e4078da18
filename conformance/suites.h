/* The conformance suites, in run order: one MP_SUITE(x) per conformance/test_x.c, whose
 * `Suite *mp_suite_x(void)` builds it. Suite names follow CPython's test classes. */
MP_SUITE(errors)
MP_SUITE(object)
MP_SUITE(process)
MP_SUITE(daemon)
MP_SUITE(connection)
MP_SUITE(lock)
MP_SUITE(rlock)
MP_SUITE(semaphore)
MP_SUITE(condition)
MP_SUITE(event)
MP_SUITE(barrier)
MP_SUITE(interop)
