/**
 * @file context.h
 * @brief Start methods: `multiprocessing.get_context()`, `set_start_method()` and the three ways
 *        a child begins (docs/pages/start-methods.md tells the story).
 *
 * - **fork** (the default on Linux up to CPython 3.13, and libmp's): the child is a copy of the
 *   parent. Any function can be the target and `ctx` may point anywhere.
 * - **spawn**: the child is a fresh run of the program (an exec of /proc/self/exe). It runs the
 *   target before main() would run, found by the name MP_TARGET() registered; its arguments are
 *   pickled in mp_process_start(), handles included (reduction.h). A target that is not
 *   registered, a `ctx` pointer, a subclass that overrides run() and arguments that cannot be
 *   sent make mp_process_start() fail in the parent with #MP_EENCODE and a message naming them;
 *   no child is left behind.
 * - **forkserver**: a server process, itself a fresh run of the program started on first use,
 *   forks each child on request. The same rules as spawn; the server dies with the process that
 *   started it.
 *
 * A context is chosen explicitly: per process (#mp_process_opts_t's `context`) or as the
 * program's default (mp_set_start_method()). libmp never changes it behind the program's back.
 *
 * @defgroup mp_context Start methods
 * @{
 */
#ifndef MP_CONTEXT_H
#define MP_CONTEXT_H

#include <stddef.h>

#include "mp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A context: one start method. The three contexts are static; never freed. */
typedef struct mp_context_s mp_context_t;

/**
 * @brief The context of a start method.
 * @param method "fork", "spawn" or "forkserver"; NULL for the default context (the method
 *               mp_set_start_method() chose, else fork).
 * @param[out] out the context.
 * @return 0; #MP_EINVAL with "cannot find context for 'bogus'" for another name.
 * @pyequiv `multiprocessing.get_context(method=None)`.
 */
MP_EXTERN int mp_get_context(const char *method, const mp_context_t **out);

/**
 * @brief The name of a context's start method.
 * @param ctx the context; NULL gives NULL.
 * @return "fork", "spawn" or "forkserver".
 * @pyequiv `ctx.get_start_method()`.
 */
MP_EXTERN const char *mp_context_start_method(const mp_context_t *ctx);

/**
 * @brief Chooses the program's default start method, once.
 * @param method "fork", "spawn" or "forkserver"; NULL (with `force`) forgets the choice.
 * @param force  nonzero to change a choice already made.
 * @return 0; #MP_ERUNTIME with "context has already been set" if a method was chosen (or fixed
 *         by mp_get_start_method(0)) and `force` is 0; #MP_EINVAL for an unknown name.
 * @pyequiv `multiprocessing.set_start_method(method, force=False)`.
 */
MP_EXTERN int mp_set_start_method(const char *method, int force);

/**
 * @brief The program's default start method.
 * @param allow_none nonzero: NULL when none was chosen yet. Zero: fixes the default (fork) as
 *                   the choice if none was made, as CPython does, and returns it.
 * @return "fork", "spawn", "forkserver" or NULL.
 * @pyequiv `multiprocessing.get_start_method(allow_none=False)`.
 */
MP_EXTERN const char *mp_get_start_method(int allow_none);

/**
 * @brief The start methods this platform has, the default first.
 * @param[out] out  receives up to `cap` names (static strings); may be NULL when `cap` is 0.
 * @param cap       room in `out`.
 * @return how many methods there are (3 on Linux: fork, spawn, forkserver).
 * @pyequiv `multiprocessing.get_all_start_methods()`.
 */
MP_EXTERN size_t mp_get_all_start_methods(const char **out, size_t cap);

#ifdef __cplusplus
}
#endif

/** @} */
#endif /* MP_CONTEXT_H */
