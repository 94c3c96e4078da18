/* What a process object becomes on its way to a fresh program image (spawn, forkserver), and
 * back: CPython pickles the Process object itself plus preparation data (the parent's name,
 * authkey and start method). A C function pointer means nothing in another image, so the
 * target travels by its registered name (process_targets.c), and the arguments as a pickle in
 * which handles are persistent references (reduction.c).
 *
 * The payload is one tuple with a version first, so that a child never misreads a payload of
 * another shape: (1, target name or None, args, kwargs, name, identity, daemon, parent pid,
 * parent name, authkey, class name, start method or None). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process_impl.h"

#define PAYLOAD_VERSION 1

/* The name under which p's target can be found again, "" for no target; NULL with a message
 * naming the function (by its symbol, where the dynamic table has one) when there is none. */
static const char *target_name(const mp_process_t *p)
{
    if (!p->target)
        return "";
    const char *name = mp_target_name(p->target);
    if (name)
        return name;
    /* A function pointer is not an object pointer in ISO C: the union reads it as dladdr()
     * wants it, without a cast between the two. */
    union {
        mp_target_t fn;
        void *addr;
    } u = {.fn = p->target};
    Dl_info info;
    int named = dladdr(u.addr, &info) && info.dli_sname;
    const char *sym = named ? info.dli_sname : "the target";
    mp__set_errmsg("Can't pickle %s (at %p) of %s: it is not registered by name; write "
                   "MP_TARGET(%s) after it at file scope (spawn and forkserver find targets by "
                   "name, as pickle does)",
                   sym, u.addr, p->name, named ? sym : "its_name");
    return NULL;
}

/* Refuses what a fresh image could not receive: C pointers into this process's memory. */
static int check_sendable(const mp_process_t *p)
{
    if (p->vt && p->vt->run)
        return mp__fail(MP_EENCODE,
                        "Can't pickle %s: a class whose run() is overridden (a vtable) cannot "
                        "be sent to a spawn or forkserver child; use a target registered "
                        "with MP_TARGET() and values in args",
                        p->name);
    if (p->ctx)
        return mp__fail(MP_EENCODE,
                        "Can't pickle the ctx pointer of %s: a spawn or forkserver child does "
                        "not share this process's memory; pass values and handles in args "
                        "(reduction.h)",
                        p->name);
    return 0;
}

int mp__payload_build(const mp_process_t *p, const char **target, mp__fdlist_t *fds, void **out,
                      size_t *len)
{
    int rc = check_sendable(p);
    if (rc < 0)
        return rc;
    const char *name = target_name(p);
    if (!name)
        return MP_EENCODE;
    const char *cls = p->vt && p->vt->class_name ? p->vt->class_name : "Process";
    mp_process_t *me = mp_current_process();
    mp_obj_t *t =
        mp_build("(izOOssiisy#sz)", PAYLOAD_VERSION, name[0] ? name : NULL, p->args, p->kwargs,
                 p->name, p->identity, p->daemon, (int)getpid(), me->name, mp_process_authkey(me),
                 (size_t)MP_AUTHKEY_LEN, cls, mp_get_start_method(1));
    if (!t)
        return mp__fail(MP_ENOMEM, "out of memory");
    fds->n = 0;
    rc = mp__reduce_dumps(t, fds, out, len);
    mp_obj_decref(t);
    *target = name;
    return rc;
}

/* The object the child runs as: made here, as mp_process_new() would, from the payload. */
static int make_process(mp_obj_t *t, mp_process_t **out)
{
    int version = 0, daemon = 0, ppid = 0;
    const char *target = NULL, *name, *identity, *pname, *key, *cls, *method = NULL;
    size_t keylen = 0;
    mp_obj_t *args, *kwargs;
    if (mp_parse(t, "(izOOssiisy#sz)", &version, &target, &args, &kwargs, &name, &identity, &daemon,
                 &ppid, &pname, &key, &keylen, &cls, &method) < 0 ||
        version != PAYLOAD_VERSION || keylen != MP_AUTHKEY_LEN ||
        mp_obj_type(args) != MP_TYPE_TUPLE || mp_obj_type(kwargs) != MP_TYPE_DICT)
        return mp__fail(MP_EDECODE, "spawn payload of an unknown shape");
    mp_target_t fn = target ? mp_target_lookup(target) : NULL;
    if (target && !fn)
        return MP_EDECODE;
    mp_process_t *p = calloc(1, sizeof *p);
    mp_process_vtable_t *vt = calloc(1, sizeof *vt);
    if (!p || !vt || !(p->name = strdup(name)) || !(p->identity = strdup(identity)) ||
        !(vt->class_name = strdup(cls))) {
        if (p)
            free(p->name), free(p->identity);
        free(p), free(vt);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    p->vt = vt; /* lives as long as the child: nothing frees the object the child runs as */
    p->target = fn;
    p->args = mp_obj_incref(args);
    p->kwargs = mp_obj_incref(kwargs);
    p->daemon = daemon;
    p->parent_pid = ppid;
    p->pidfd = p->killfd = -1;
    p->allocated = 1;
    mp__self_prepare_spawned(pname, (const unsigned char *)key);
    mp__context_inherit(method);
    *out = p;
    return 0;
}

int mp__payload_enter(const void *pickle, size_t len, const int *fds, size_t nfds,
                      mp_process_t **out)
{
    mp_obj_t *t = NULL;
    int rc = mp__reduce_loads(pickle, len, fds, nfds, &t);
    if (rc < 0)
        return rc;
    rc = make_process(t, out);
    mp_obj_decref(t);
    return rc;
}
