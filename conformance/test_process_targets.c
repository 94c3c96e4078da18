/* Targets known by name (Process suite): the table MP_TARGET fills before main(), which the
 * exec'ing start methods will send names through. A function pointer cannot cross into a fresh
 * program image; a name can, as pickle sends a function by its qualified name. */
#include "helpers.h"

static void tgt_alpha(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
}
MP_TARGET(tgt_alpha);

static void tgt_beta(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
}
MP_TARGET(tgt_beta);

static void tgt_unregistered(mp_obj_t *a, mp_obj_t *k, void *ctx)
{
    (void)a, (void)k, (void)ctx;
}

/* Registered by MP_TARGET before main(): each name finds its function and back. */
START_TEST(LIBMP_TARGET_01_lookup_both_ways)
{
    ck_assert_ptr_eq(mp_target_lookup("tgt_alpha"), tgt_alpha);
    ck_assert_ptr_eq(mp_target_lookup("tgt_beta"), tgt_beta);
    ck_assert_str_eq(mp_target_name(tgt_alpha), "tgt_alpha");
    ck_assert_str_eq(mp_target_name(tgt_beta), "tgt_beta");
}
END_TEST

/* What is not registered is refused by name, with a message that says how to register. */
START_TEST(LIBMP_TARGET_02_unknown_refused)
{
    ck_assert_ptr_null(mp_target_lookup("no_such_target"));
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "'no_such_target'"));
    ck_assert_ptr_null(mp_target_name(tgt_unregistered));
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "MP_TARGET"));
}
END_TEST

/* One name for two functions cannot be resolved either way; one entry added twice is one. */
START_TEST(LIBMP_TARGET_03_ambiguous_name_refused)
{
    static mp_target_entry_t again = {"tgt_beta", tgt_beta, NULL};
    ck_assert_mp(mp_target_register(&again), 0);
    ck_assert_mp(mp_target_register(&again), 0);
    ck_assert_ptr_eq(mp_target_lookup("tgt_beta"), tgt_beta);
    static mp_target_entry_t clash = {"tgt_alpha", tgt_unregistered, NULL};
    ck_assert_mp(mp_target_register(&clash), 0);
    ck_assert_ptr_null(mp_target_lookup("tgt_alpha"));
    ck_assert_ptr_nonnull(strstr(mp_errmsg(), "ambiguous"));
    ck_assert_ptr_null(mp_target_name(tgt_alpha));
    ck_assert_ptr_null(mp_target_name(tgt_unregistered));
}
END_TEST

/* The NULL policy of errors.h. */
START_TEST(LIBMP_TARGET_04_null)
{
    ck_assert_mp(mp_target_register(NULL), MP_EINVAL);
    mp_target_entry_t noname = {NULL, tgt_alpha, NULL}, nofn = {"x", NULL, NULL};
    ck_assert_mp(mp_target_register(&noname), MP_EINVAL);
    ck_assert_mp(mp_target_register(&nofn), MP_EINVAL);
    ck_assert_ptr_null(mp_target_lookup(NULL));
    ck_assert_str_eq(mp_errmsg(), "mp_target_lookup: name is NULL");
    ck_assert_ptr_null(mp_target_name(NULL));
    ck_assert_str_eq(mp_errmsg(), "mp_target_name: fn is NULL");
}
END_TEST

TCase *mp_tcase_process_targets(void)
{
    TCase *tc = mp_tcase("targets", 5);
    tcase_add_test(tc, LIBMP_TARGET_01_lookup_both_ways);
    tcase_add_test(tc, LIBMP_TARGET_02_unknown_refused);
    tcase_add_test(tc, LIBMP_TARGET_03_ambiguous_name_refused);
    tcase_add_test(tc, LIBMP_TARGET_04_null);
    return tc;
}
