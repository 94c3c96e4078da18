/* Internals of Process (process*.c). Nothing here is part of the API.
 *
 * The files follow CPython's layout, each calling only the ones listed below it, never back:
 *   process.c       the object's life: new, start, join, signals, close (process.py, BaseProcess)
 *   process_info.c  its attributes and repr (BaseProcess's properties and __repr__)
 *   process_exit.c  the registry of children and exit processing (util.py, _exit_function)
 *   process_fork.c  the fork start method: fork, sentinel, reaping (popen_fork.py, Popen)
 *   process_self.c  who this process is: current, parent, names, authkey (process.py's globals)
 * process_fork.c knows nothing of the object layer above it: the child's bootstrap is passed
 * to it as a function pointer, so another start method can stand beside it unchanged. */
#ifndef MP_PROCESS_IMPL_H
#define MP_PROCESS_IMPL_H

#include "mp_internal.h"
#include "reduction_impl.h"

/* mp_process_t.state: the object's life, which process.h keeps opaque. */
enum { MP__PS_NEW, MP__PS_STARTED, MP__PS_REAPED, MP__PS_CLOSED };

/* mp_process_t.method: the start methods (context.c names them). */
enum { MP__START_FORK, MP__START_SPAWN, MP__START_FORKSERVER, MP__START_TRANSPORT };

/* ---- context.c: the contexts and the program's default ------------------------------------- */

/* The method of `ctx`, or of the default context for NULL (fixing nothing). */
int mp__context_method(const mp_context_t *ctx);
/* In a spawned child: the parent's choice becomes this process's (NULL: none). */
void mp__context_inherit(const char *method);
/* The pool transport of a context made by mp_context_from_transport(), or NULL. */
const mp_pool_transport_t *mp__context_transport(const mp_context_t *ctx);

/* ---- process_self.c: the identity of the calling process ---------------------------------- */

/* Whether `p` is this process's own object (MainProcess, or the started object in a child),
 * or its parent's; and whether the calling process is the main one. */
int mp__is_current(const mp_process_t *p);
int mp__is_parent(const mp_process_t *p);
int mp__in_main_process(void);

/* In a fork server's child, before the bootstrap: a pidfd of its real parent, by which
 * mp__parent_alive() then tells (its OS parent is the server). */
void mp__self_watch_parent(int pidfd);
#define MP__PARENT_BY_PID (-2) /* for mp__self_watch_parent(): no pidfd, ask by pid */

/* Whether the parent of this child is alive (not re-parented). */
int mp__parent_alive(void);

/* The next default name for a new object of class `cls`, consuming the counter; malloc'd. */
int mp__next_identity(const char *cls, char **name, char **identity);

/* Whether p->name is malloc'd (MainProcess's first name is a literal); marks it owned. */
int mp__owns_name(const mp_process_t *p);
void mp__name_set_owned(const mp_process_t *p);

/* In a fresh image that is a spawned child, before the bootstrap: the parent's name (which the
 * bootstrap reads from the current process) and authkey. */
void mp__self_prepare_spawned(const char *parent_name, const unsigned char *key);

/* Makes sure the authkey exists before a fork, so every child inherits the same key. */
void mp__authkey_init(void);

/* In a new child: `p` becomes the current process, its creator the parent, and the name
 * counter restarts (CPython's _bootstrap sets _current_process and _process_counter). */
void mp__self_enter_child(mp_process_t *p);

/* ---- process_fork.c: the fork start method ------------------------------------------------- */

/* What the child runs once the start method has set it up; it never returns. */
typedef void __attribute__((noreturn)) (*mp__bootstrap_t)(mp_process_t *p);

/* Forks a child that runs bootstrap(p); in the parent sets p->pid and p->pidfd (the
 * sentinel). Returns 0 or a negative code; nothing is left behind on failure. */
int mp__popen_fork(mp_process_t *p, mp__bootstrap_t bootstrap);

/* Whether pidfds are there (else sentinels are pipes). */
int mp__popen_have_pidfd(void);

/* A child started otherwise (posix_spawn) becomes p's: pid, and the sentinel, which is the read
 * end of its sentinel pipe if `pipe_rd` >= 0, else a pidfd (opened here; on failure the child is
 * killed and reaped). */
int mp__popen_adopt_child(mp_process_t *p, pid_t pid, int pipe_rd);

/* Non-blocking reap: if the child has ended, records its exit code and marks it reaped.
 * Returns 1 ended, 0 running. It leaves the registry alone (see mp__child_poll). */
int mp__popen_poll(mp_process_t *p);

/* Waits until the child has ended and is reaped, or the absolute monotonic deadline passes.
 * Returns 1 ended, 0 timed out, or a negative code. */
int mp__popen_wait(mp_process_t *p, double deadline);

/* Sends `sig` to the child unless it has been reaped (then its pid may be someone else's). */
int mp__popen_send_signal(mp_process_t *p, int sig);

/* How a child that is not ours (the fork server's) is polled and signalled; the fork server's
 * client registers them, and the calls above use them for such a child (waiting is the same
 * loop on its sentinel, polled through them). */
typedef struct mp__popen_ops {
    int (*poll)(mp_process_t *p);
    int (*send_signal)(mp_process_t *p, int sig);
} mp__popen_ops_t;
void mp__popen_set_forkserver_ops(const mp__popen_ops_t *ops);

/* The write end of this process's pipe sentinel (-1 with pidfds): a child that execs keeps it
 * open across the exec, and the new image adopts it (close-on-exec again, kept from its own
 * children as a forked child's is). */
int mp__popen_own_sentinel(void);
void mp__popen_adopt_sentinel(int fd);

/* ---- process_payload.c: a process object as a fresh image receives it --------------------- */

/* Parent: refuses what cannot be sent (a run() override, ctx, an unregistered target) with
 * MP_EENCODE and a message naming it; else pickles the payload, its descriptors in `fds`, and
 * gives the target's registered name ("" for none) in *target. */
int mp__payload_build(const mp_process_t *p, const char **target, mp__fdlist_t *fds, void **out,
                      size_t *len);

/* Child: the process object to bootstrap, made from the payload; the parent's name, authkey
 * and start method become this process's. */
int mp__payload_enter(const void *pickle, size_t len, const int *fds, size_t nfds,
                      mp_process_t **out);

/* ---- process.c: the object, and the child's bootstrap -------------------------------------- */

/* The child's side of start(), common to every start method: never returns. `ppid` is the
 * process that forked us (the fork server's pid under forkserver), which a daemon watches. */
void mp__process_bootstrap(mp_process_t *p, pid_t ppid) __attribute__((noreturn));

/* ---- process_spawn.c: a fresh run of the program ------------------------------------------- */

/* The environment variables that mark a fresh run as a spawned child or a fork server. */
#define MP__SPAWN_ENV "LIBMP_SPAWN"
#define MP__FORKSERVER_ENV "LIBMP_FORKSERVER"

/* Starts this program afresh with `env_name`="<memfd>:<sentinel>:<what>" in its environment;
 * the memfd holds `fds` and `pickle`, the descriptors are inherited. Sets p->pid and p->pidfd as
 * mp__popen_fork does. A failed exec is reported here, and leaves no child. */
int mp__popen_exec(mp_process_t *p, const char *env_name, const char *what, const void *pickle,
                   size_t len, const mp__fdlist_t *fds);

/* The payload memfd (close-on-exec, sealed): its descriptor, or a negative code. */
int mp__spawn_payload(const void *pickle, size_t len, const mp__fdlist_t *fds);

/* The child's side: reads a payload memfd (the descriptors it names, then the pickle, which is
 * malloc'd). `fds` has room for MP__FDLIST_MAX. */
int mp__spawn_read(int memfd, void **pickle, size_t *len, int *fds, size_t *nfds);

/* ---- process_exit.c: the registry of children and exit processing ------------------------- */

/* The registry of the calling process's started, unreaped children. */
void mp__registry_add(mp_process_t *p);
void mp__registry_remove(mp_process_t *p);

/* mp__popen_poll/wait, and once the child has ended, its removal from the registry (CPython's
 * join() and is_alive() discard a finished child from _children). Same returns. */
int mp__child_poll(mp_process_t *p);
int mp__child_wait(mp_process_t *p, double deadline);

/* Registers the atexit handler once; inherited by every child forked afterwards. */
void mp__atexit_init(void);

/* In a new child: forgets the registry and exit state inherited from the parent. */
void mp__exit_state_reset(void);

/* Leaves a libmp child: the child's own exit processing, stdio flushed, coverage counters
 * dumped in coverage builds, then _exit(code & 0xFF). The one way out of a child. */
void mp__child_exit(int code) __attribute__((noreturn));

/* ---- process_forkserver.c: the client of the fork server ----------------------------------- */

/* Asks this process's fork server (started on first use) for a child that runs the payload.
 * Sets p->pid, p->pidfd (the sentinel: the socket on which the server reports the exit status)
 * and p->killfd (a pidfd of the child, where the kernel has them). */
int mp__forkserver_start(mp_process_t *p, const char *target, const void *pickle, size_t len,
                         const mp__fdlist_t *fds);

/* ---- process_server.c: the fork server ----------------------------------------------------- */

/* In a fresh image started as a fork server: serves requests until the process that started it
 * is gone, then exits; never returns. Elsewhere returns at once. */
void mp__forkserver_hook(void);

#endif /* MP_PROCESS_IMPL_H */
