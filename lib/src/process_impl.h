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

/* mp_process_t.state: the object's life, which process.h keeps opaque. */
enum { MP__PS_NEW, MP__PS_STARTED, MP__PS_REAPED, MP__PS_CLOSED };

/* ---- process_self.c: the identity of the calling process ---------------------------------- */

/* Whether `p` is this process's own object (MainProcess, or the started object in a child),
 * or its parent's; and whether the calling process is the main one. */
int mp__is_current(const mp_process_t *p);
int mp__is_parent(const mp_process_t *p);
int mp__in_main_process(void);

/* Whether the parent of this child is alive (not re-parented). */
int mp__parent_alive(void);

/* The next default name for a new object of class `cls`, consuming the counter; malloc'd. */
int mp__next_identity(const char *cls, char **name, char **identity);

/* Whether p->name is malloc'd (MainProcess's first name is a literal); marks it owned. */
int mp__owns_name(const mp_process_t *p);
void mp__name_set_owned(const mp_process_t *p);

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

/* Non-blocking reap: if the child has ended, records its exit code and marks it reaped.
 * Returns 1 ended, 0 running. It leaves the registry alone (see mp__child_poll). */
int mp__popen_poll(mp_process_t *p);

/* Waits until the child has ended and is reaped, or the absolute monotonic deadline passes.
 * Returns 1 ended, 0 timed out, or a negative code. */
int mp__popen_wait(mp_process_t *p, double deadline);

/* Sends `sig` to the child unless it has been reaped (then its pid may be someone else's). */
int mp__popen_send_signal(mp_process_t *p, int sig);

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

#endif /* MP_PROCESS_IMPL_H */
