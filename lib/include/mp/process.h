/**
 * @file process.h
 * @brief Processes: `multiprocessing.Process` and the module functions around it.
 *
 * A process runs a *target* function in a child. Under the fork start method (the default) the
 * child is a copy of the parent, as in CPython: any C function can be the target, and any
 * pointer can be passed to it through `ctx`. Under spawn and forkserver (context.h) the child is
 * a fresh run of the program: the target must be registered by name with MP_TARGET(), `ctx`
 * must be NULL, and `args` and `kwargs`, which are `mp_obj_t` values, are pickled, handles
 * included (reduction.h). Write targets that way and the same program runs under all three
 * (docs/pages/start-methods.md).
 *
 * Exit processing is CPython's: when a process (the main one, or a child whose target returned)
 * exits normally, its daemonic children get SIGTERM first, then every child is joined. Beyond
 * CPython, a daemonic child also dies when its parent dies abnormally (SIGKILL, a crash): no
 * daemon is ever left an orphan.
 *
 * NULL follows the policy of errors.h: mp_process_free(NULL) does nothing; every other call
 * given a NULL process (or out-pointer) returns #MP_EINVAL and sets mp_errmsg() to
 * "<function>: <argument> is NULL". The calls that return no code say what NULL gives.
 *
 * @defgroup mp_process Process
 * @{
 */
#ifndef MP_PROCESS_H
#define MP_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

#include "mp/common.h"
#include "mp/object.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A process object: `multiprocessing.Process`. See struct mp_process_s. */
typedef struct mp_process_s mp_process_t;

/**
 * @brief The target of a process: the function `run()` calls in the child.
 * @param args   the positional arguments (a tuple; never NULL).
 * @param kwargs the keyword arguments (a dict; never NULL).
 * @param ctx    the `ctx` pointer given in #mp_process_opts_t: closure state, which a forked
 *               child inherits like all of the parent's memory.
 *
 * Returning ends the child with exit code 0 (CPython discards the target's return value), once
 * every other thread the child started has ended, as CPython's child waits for its non-daemon
 * threads (docs/pages/deviations.md: C threads have no daemon flag). To end
 * with another code call mp_exit() (Python's `sys.exit`); to end as an uncaught exception would,
 * call mp_raise().
 * @pyequiv the `target` callable of `Process(target=..., args=..., kwargs=...)`.
 */
typedef void (*mp_target_t)(mp_obj_t *args, mp_obj_t *kwargs, void *ctx);

/**
 * @brief One entry of the table of targets known by name; MP_TARGET() makes it.
 *
 * A start method that execs a fresh program (spawn, forkserver) cannot send a function pointer
 * to the child: it sends the name, and the child finds the function under that name. Treat the
 * fields as private.
 */
typedef struct mp_target_entry_s {
    /** @cond PRIVATE */
    const char *name;
    mp_target_t fn; /* a task (pool.h) is kept here cast, in the table of tasks */
    struct mp_target_entry_s *next;
    /** @endcond */
} mp_target_entry_t;

/**
 * @brief Registers `fn` (a function of type #mp_target_t) under its own name, before main()
 *        runs. Write it once at file scope, after the function: `MP_TARGET(worker);`.
 *
 * Names are program-wide (C has no modules): two functions registered under one name make that
 * name unusable, and mp_target_lookup() says so. A static function may be registered.
 * @pyequiv a module-level function, which pickle finds again by its qualified name.
 */
#define MP_TARGET(fn)                                                                              \
    static void __attribute__((constructor(101))) mp__register_##fn(void)                          \
    {                                                                                              \
        static mp_target_entry_t mp__entry_##fn = {#fn, fn, NULL};                                 \
        mp_target_register(&mp__entry_##fn);                                                       \
    }                                                                                              \
    static void __attribute__((constructor)) mp__enter_##fn(void)                                  \
    {                                                                                              \
        mp__spawn_hook();                                                                          \
    }                                                                                              \
    typedef int mp__target_##fn##_registered_t

/** @cond PRIVATE */
/* In a child started by spawn or forkserver, runs the target (or the fork server) and never
 * returns; elsewhere returns at once. MP_TARGET() calls it from a constructor that runs after
 * every registration (priority 101 runs before every constructor without a priority). */
MP_EXTERN void mp__spawn_hook(void);
/** @endcond */

/**
 * @brief Adds an entry to the table of targets known by name (MP_TARGET() calls it).
 * @param e the entry; it must live as long as the program. Adding one entry twice adds it once.
 * @return 0; #MP_EINVAL if `e`, its name or its function is NULL.
 * @pyequiv defining a function at module level (what makes it picklable by reference).
 */
MP_EXTERN int mp_target_register(mp_target_entry_t *e);

/**
 * @brief The target registered under `name`.
 * @param name the name given to MP_TARGET().
 * @return the function; NULL with mp_errmsg() set if no function, or more than one, has that
 *         name.
 * @pyequiv what unpickling a function does: `getattr(module, qualname)`.
 */
MP_EXTERN mp_target_t mp_target_lookup(const char *name);

/**
 * @brief The name under which `fn` is registered.
 * @param fn the function.
 * @return its name; NULL with mp_errmsg() set if it is not registered, or if its name is shared
 *         with another function (then the name would not find it again).
 * @pyequiv what pickling a function does: it records `fn.__qualname__`, and fails with
 *          "Can't pickle local object" when that name does not lead back to the function.
 */
MP_EXTERN const char *mp_target_name(mp_target_t fn);

/**
 * @brief The methods of a process class: how a "subclass" of Process is made in C.
 *
 * A subclass embeds #mp_process_t as the *first* member of its own struct, points it at a
 * vtable of its own, and overrides `run`. Lesson 02 teaches this pattern.
 * @pyequiv `class Clock(multiprocessing.Process)` with `def run(self)`.
 */
typedef struct mp_process_vtable_s {
    /** The class name used in default names (`"Clock"` gives `Clock-1`); NULL means "Process". */
    const char *class_name;
    /** Runs in the child. NULL means the base run(): call the target, if any. */
    void (*run)(mp_process_t *self);
    /** Optional: releases the subclass's own resources in mp_process_free(). */
    void (*finalize)(mp_process_t *self);
} mp_process_vtable_t;

/** `daemon` value meaning "inherit the creating process's flag" (Python's `daemon=None`). */
#define MP_DAEMON_INHERIT (-1)

/**
 * @brief Optional arguments of mp_process_new() and mp_process_init(); zero means default.
 *
 * Initialise with #MP_PROCESS_OPTS_INIT, or with `{0}` and then set `daemon` explicitly.
 */
typedef struct mp_process_opts_s {
    const char *name; /**< NULL or "" for the default name `Process-N[:M...]`. */
    int daemon;       /**< 0, 1, or #MP_DAEMON_INHERIT. */
    mp_obj_t *kwargs; /**< a dict of keyword arguments, or NULL for `{}`. */
    void *ctx;        /**< passed as-is to the target; must be NULL under spawn and forkserver. */
    /** The start method (context.h); NULL for the default context at the time of start(). */
    const struct mp_context_s *context;
} mp_process_opts_t;

/** Default options: default name, daemon inherited, no kwargs, no ctx. */
#define MP_PROCESS_OPTS_INIT                                                                       \
    {                                                                                              \
        NULL, MP_DAEMON_INHERIT, NULL, NULL, NULL                                                  \
    }

/**
 * @brief The process object. Embed it first in a subclass; treat every field as private.
 *
 * The struct is public only so that a subclass can embed it (see #mp_process_vtable_t); read
 * it through the accessor functions.
 */
struct mp_process_s {
    /** @cond PRIVATE */
    const mp_process_vtable_t *vt;
    mp_target_t target;
    mp_obj_t *args, *kwargs;
    void *ctx;
    char *name;
    char *identity; /* "3:1" for the first child of Process-3; "" for MainProcess */
    int daemon;
    int state;        /* private to libmp: the object's stage of life, not an API value */
    pid_t pid;        /* 0 until started */
    pid_t parent_pid; /* the creating process */
    int pidfd;        /* the sentinel: readable once the child has ended */
    int exitcode;
    int allocated;                      /* made by mp_process_new(): mp_process_free() frees it */
    const struct mp_context_s *context; /* as given; NULL: the default at start() */
    int method;                         /* the start method start() used (MP__START_*) */
    int killfd;                         /* forkserver: a pidfd of the child, or -1 */
    mp_process_t *next;                 /* the creator's list of unreaped children */
    /** @endcond */
};

/**
 * @brief Makes a process object that will run `target(args, kwargs, ctx)` in a child.
 * @param[out] out  the new object; free it with mp_process_free(). NULL: #MP_EINVAL.
 * @param target    the function to run, or NULL for a process that does nothing (exit code 0).
 * @param args      a tuple or a list of positional arguments (a list is turned into a tuple, as
 *                  CPython's `tuple(args)`), or NULL for `()`. The object takes its own reference.
 * @param opts      NULL, or the optional arguments.
 * @return 0; #MP_EINVAL if args is not a tuple or list or kwargs not a dict; #MP_ENOMEM.
 * @pyequiv `multiprocessing.Process(target=None, name=None, args=(), kwargs={}, daemon=None)`.
 *          Like CPython, this consumes a number of the default-name counter even if the
 *          process is never started.
 */
MP_EXTERN int mp_process_new(mp_process_t **out, mp_target_t target, mp_obj_t *args,
                             const mp_process_opts_t *opts);

/**
 * @brief Initialises a process object the caller allocated (a subclass), with a vtable.
 * @param p     the object, usually the first member of the subclass's struct.
 * @param vt    the class's methods; must outlive the object. NULL gives the base class
 *              (`Process`, the base run()).
 * @param opts  NULL, or the optional arguments (`kwargs` and `ctx` are kept for the base run()).
 * @return 0; #MP_EINVAL or #MP_ENOMEM.
 * @pyequiv `super().__init__(name=..., daemon=...)` in a subclass's `__init__`.
 */
MP_EXTERN int mp_process_init(mp_process_t *p, const mp_process_vtable_t *vt,
                              const mp_process_opts_t *opts);

/**
 * @brief The base run(): calls the target with args and kwargs, if a target was given.
 *
 * A subclass's `run` may call it, as Python's `super().run()`.
 * @param p the process (in the child); NULL does nothing but set mp_errmsg().
 * @pyequiv `Process.run()`.
 */
MP_EXTERN void mp_process_run(mp_process_t *p);

/**
 * @brief Starts the child under the object's start method (its `context`, else the default
 *        context now), and runs the object's `run` in it.
 *
 * Flushes every stdio stream first, so buffered output is not written twice. Does not wait
 * for the child to do anything (under forkserver it waits for the server's answer: the pid).
 * @param p the process.
 * @return 0; #MP_ESTATE if it was started before or was made by another process (the message
 *         says which); #MP_EDAEMON if the calling process is daemonic (nothing is forked);
 *         #MP_ECLOSED after mp_process_close(); under spawn and forkserver #MP_EENCODE for what
 *         a fresh image cannot receive (an unregistered target, `ctx`, a run() override, an
 *         argument that cannot be sent; context.h), before any process exists; a negative
 *         errno if fork(2) or exec fails.
 * @pyequiv `Process.start()`.
 */
MP_EXTERN int mp_process_start(mp_process_t *p);

/**
 * @brief Waits for the child to end, at most `timeout` seconds.
 * @param p        the process.
 * @param timeout  seconds; #MP_FOREVER waits for ever; 0 or negative polls once.
 * @return 0 once the child has ended (and has been reaped: its exit code is known);
 *         #MP_ETIMEDOUT if it is still running; #MP_ESTATE if not started, or if `p` is not a
 *         child of the calling process (itself included); #MP_ECLOSED; #MP_EINVAL for a NaN
 *         or a NULL `p`. CPython's join() returns None either way; this return code is the
 *         refinement the catalogue asks for (docs/pages/spec.md, PROC-12).
 * @pyequiv `Process.join(timeout=None)`.
 */
MP_EXTERN int mp_process_join(mp_process_t *p, double timeout);

/**
 * @brief Whether the child is running. Reaps it if it has ended.
 * @param p the process; the current process is always alive.
 * @return 1 alive, 0 not started or ended; #MP_ESTATE from a process other than the creator;
 *         #MP_ECLOSED.
 * @pyequiv `Process.is_alive()`.
 */
MP_EXTERN int mp_process_is_alive(mp_process_t *p);

/**
 * @brief Sends SIGTERM to the child. A no-op once the child has been reaped.
 *
 * The child's own cleanup does not run, and its children are not signalled (they are
 * orphaned, as in CPython; daemonic grandchildren cannot exist).
 * @param p the process.
 * @return 0; #MP_ESTATE if not started; #MP_ECLOSED.
 * @pyequiv `Process.terminate()`.
 */
MP_EXTERN int mp_process_terminate(mp_process_t *p);

/**
 * @brief Sends SIGKILL to the child. A no-op once the child has been reaped.
 * @param p the process.
 * @return 0; #MP_ESTATE if not started; #MP_ECLOSED.
 * @pyequiv `Process.kill()`.
 */
MP_EXTERN int mp_process_kill(mp_process_t *p);

/**
 * @brief Releases the object's resources (the sentinel, args, kwargs). Idempotent.
 *
 * Afterwards every call but mp_process_close(), mp_process_free(), mp_process_name() and
 * mp_process_daemon() fails with #MP_ECLOSED.
 * @param p the process.
 * @return 0; #MP_EBUSY if the child is still running (join or terminate it first).
 * @pyequiv `Process.close()`.
 */
MP_EXTERN int mp_process_close(mp_process_t *p);

/**
 * @brief Closes the object and frees its memory (for mp_process_new() objects) or runs the
 *        vtable's `finalize` (for subclasses, whose memory is the caller's).
 * @param p the process, or NULL (nothing is done).
 * @return 0; #MP_EBUSY if the child is still running (the object is left as it was).
 * @pyequiv dropping the last reference to a closed Process object.
 */
MP_EXTERN int mp_process_free(mp_process_t *p);

/**
 * @brief The child's exit code, once it has ended and been reaped (this call reaps it).
 * @param p          the process.
 * @param[out] code  the exit status (0-255), or -N when a signal N killed it.
 * @return 0 with `*code` set; #MP_EAGAIN if not started or still running (Python's None);
 *         #MP_ESTATE from a process other than the creator; #MP_ECLOSED; #MP_EINVAL if `p`
 *         or `code` is NULL.
 * @pyequiv `Process.exitcode`.
 */
MP_EXTERN int mp_process_exitcode(mp_process_t *p, int *code);

/**
 * @brief The process's name.
 * @param p the process.
 * @return the name, valid until it is renamed or freed; NULL for a NULL `p`.
 * @pyequiv `Process.name`.
 */
MP_EXTERN const char *mp_process_name(const mp_process_t *p);

/**
 * @brief Renames the process. Names have no meaning; they may repeat.
 * @param p    the process.
 * @param name the new name; NULL is refused (Python's "name must be a string").
 * @return 0; #MP_EINVAL; #MP_ENOMEM.
 * @pyequiv `Process.name = name`.
 */
MP_EXTERN int mp_process_set_name(mp_process_t *p, const char *name);

/**
 * @brief The process's pid: 0 before start.
 * @param p the process.
 * @return the pid, 0 if not started, #MP_ECLOSED after close, #MP_EINVAL for NULL.
 * @pyequiv `Process.pid` / `Process.ident` (None before start).
 */
MP_EXTERN pid_t mp_process_pid(const mp_process_t *p);

/**
 * @brief The daemon flag.
 * @param p the process.
 * @return 1 daemonic, 0 not; 0 for a NULL `p` (with mp_errmsg() set).
 * @pyequiv `Process.daemon`.
 */
MP_EXTERN int mp_process_daemon(const mp_process_t *p);

/**
 * @brief Sets the daemon flag, before start only.
 * @param p      the process.
 * @param daemon non-zero for a daemonic process.
 * @return 0; #MP_ESTATE once started ("process has already started").
 * @pyequiv `Process.daemon = daemon`.
 */
MP_EXTERN int mp_process_set_daemon(mp_process_t *p, int daemon);

/**
 * @brief A file descriptor that becomes readable when the child ends (a pidfd).
 *
 * poll(2) it, or pass it to mp_wait() once connections exist; do not close it.
 * @param p the process.
 * @return the fd; #MP_ESTATE before start ("process not started"); #MP_ECLOSED.
 * @pyequiv `Process.sentinel`.
 */
MP_EXTERN int mp_process_sentinel(const mp_process_t *p);

/**
 * @brief Writes CPython's repr of the process into `buf`, for example
 *        ``<Process name='Process-1' pid=4242 parent=4241 stopped exitcode=-SIGTERM>``.
 * @param p    the process (polled, so a finished child shows as stopped).
 * @param buf  where to write; always NUL-terminated when `size` > 0. NULL with `size` 0 asks
 *             only for the length, as with snprintf.
 * @param size the size of buf.
 * @return the length the full text has (as snprintf), or #MP_EINVAL (NULL `p`, or NULL `buf`
 *         with a non-zero `size`).
 * @pyequiv `repr(process)`.
 */
MP_EXTERN int mp_process_repr(mp_process_t *p, char *buf, size_t size);

/**
 * @brief The authentication key: 32 random bytes made in the main process and inherited by
 *        every child.
 * @param p the process (only the current process's key is kept; every process shares it).
 * @return a pointer to the 32 bytes; NULL for a NULL `p` (with mp_errmsg() set).
 * @pyequiv `Process.authkey`.
 */
MP_EXTERN const unsigned char *mp_process_authkey(const mp_process_t *p);

/** The length of the key mp_process_authkey() returns. */
#define MP_AUTHKEY_LEN 32

/**
 * @brief The object of the calling process: `MainProcess` in the main process, the started
 *        process object in a child.
 * @return never NULL.
 * @pyequiv `multiprocessing.current_process()`.
 */
MP_EXTERN mp_process_t *mp_current_process(void);

/**
 * @brief The parent of the calling process, as seen from a child: its name and pid, and an
 *        is_alive() that turns false when the parent dies.
 * @return NULL in the main process.
 * @pyequiv `multiprocessing.parent_process()`.
 */
MP_EXTERN mp_process_t *mp_parent_process(void);

/**
 * @brief The live children of the calling process; reaps those that have ended.
 * @param buf  where to store them, or NULL to count them only.
 * @param cap  how many fit in buf.
 * @return how many children are alive (may exceed cap: then only cap are stored).
 * @pyequiv `multiprocessing.active_children()`.
 */
MP_EXTERN int mp_active_children(mp_process_t **buf, size_t cap);

/**
 * @brief The number of CPUs online.
 * @return the count; #MP_ENOSYS when it cannot be known.
 * @pyequiv `multiprocessing.cpu_count()`.
 */
MP_EXTERN int mp_cpu_count(void);

/**
 * @brief Ends the calling process with `code`, as Python's `sys.exit(code)` does in a process
 *        started by libmp: exit processing (daemonic children terminated, the others joined),
 *        the child's other threads waited for (when called from its main thread), stdio
 *        flushed, then `_exit(code & 0xFF)`.
 *
 * In the main process it is `exit(code)`: atexit handlers run, libmp's among them.
 * @param code the exit status; the OS keeps its low 8 bits (`mp_exit(256)` ends with 0).
 * @pyequiv `sys.exit(code)`.
 */
MP_EXTERN void mp_exit(int code) __attribute__((noreturn));

/**
 * @brief `sys.exit("message")`: prints the message and a newline on stderr, then ends with 1.
 * @param msg the message; NULL prints `None` (and still ends with 1).
 * @pyequiv `sys.exit("message")`.
 */
MP_EXTERN void mp_exit_msg(const char *msg) __attribute__((noreturn));

/**
 * @brief Ends the calling process as an uncaught exception would: in a child, prints
 *        `Process <name>:`, a traceback header and `<exc_type>: <message>` on stderr, then
 *        ends with exit code 1.
 * @param exc_type the exception's name ("ValueError"); NULL gives "Exception".
 * @param fmt      printf format of the message, then its arguments; NULL prints the bare
 *                 exception name, as Python does for `raise ValueError()`.
 * @pyequiv `raise exc_type(message)`, uncaught in `run()`.
 */
MP_EXTERN void mp_raise(const char *exc_type, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_PROCESS_H */
