/* The attributes of a Process object: name, pid, daemon, sentinel, and CPython's repr
 * (process.py, BaseProcess's properties and __repr__). Reading one changes nothing, except
 * that the repr reaps a child that has ended, as CPython's does through poll(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process_impl.h"

const char *mp_process_name(const mp_process_t *p)
{
    MP__NEED_OR(p, NULL);
    return p->name;
}

int mp_process_set_name(mp_process_t *p, const char *name)
{
    MP__NEED(p);
    MP__NEED(name); /* Python's "name must be a string" */
    char *copy = strdup(name);
    if (!copy)
        return mp__fail(MP_ENOMEM, "out of memory");
    if (mp__owns_name(p))
        free(p->name);
    p->name = copy;
    mp__name_set_owned(p);
    return 0;
}

pid_t mp_process_pid(const mp_process_t *p)
{
    MP__NEED(p);
    if (p->state == MP__PS_CLOSED)
        return mp__fail(MP_ECLOSED, "process object is closed");
    if (mp__is_current(p))
        return getpid();
    return p->pid;
}

int mp_process_daemon(const mp_process_t *p)
{
    MP__NEED_OR(p, 0);
    return p->daemon;
}

int mp_process_set_daemon(mp_process_t *p, int daemon)
{
    MP__NEED(p);
    if (p->state != MP__PS_NEW)
        return mp__fail(MP_ESTATE, "process has already started");
    p->daemon = !!daemon;
    return 0;
}

int mp_process_sentinel(const mp_process_t *p)
{
    MP__NEED(p);
    if (p->state == MP__PS_CLOSED)
        return mp__fail(MP_ECLOSED, "process object is closed");
    if (p->state == MP__PS_NEW || p->pidfd < 0)
        return mp__fail(MP_ESTATE, "process not started");
    return p->pidfd;
}

/* CPython shows a signal death by name (process.py's _exitcode_to_name). */
static void exitcode_text(int code, char *buf, size_t size)
{
    const char *abbrev = code < 0 ? sigabbrev_np(-code) : NULL;
    if (abbrev)
        snprintf(buf, size, "-SIG%s", abbrev);
    else
        snprintf(buf, size, "%d", code);
}

static const char *repr_status(mp_process_t *p, int *has_code)
{
    *has_code = 0;
    if (mp__is_current(p))
        return "started";
    if (p->state == MP__PS_CLOSED)
        return "closed";
    if (p->parent_pid != getpid())
        return "unknown";
    if (p->state == MP__PS_NEW)
        return "initial";
    if (mp__child_poll(p) == 0)
        return "started";
    *has_code = p->exitcode != MP_ECHILD;
    return "stopped";
}

int mp_process_repr(mp_process_t *p, char *buf, size_t size)
{
    MP__NEED(p);
    if (!buf && size) /* NULL with size 0 asks only for the length, as snprintf */
        return mp__fail(MP_EINVAL, "%s: buf is NULL", __func__);
    int has_code;
    const char *status = repr_status(p, &has_code);
    const char *cls = p->vt && p->vt->class_name ? p->vt->class_name : "Process";
    char pid[32] = "", parent[32] = "None", code[48] = "";
    if (p->pid && !mp__is_current(p) && !mp__is_parent(p))
        snprintf(pid, sizeof pid, " pid=%d", (int)p->pid);
    if (p != mp_current_process() || mp_parent_process())
        snprintf(parent, sizeof parent, "%d", (int)p->parent_pid);
    if (has_code) {
        char text[24];
        exitcode_text(p->exitcode, text, sizeof text);
        snprintf(code, sizeof code, " exitcode=%s", text);
    }
    return snprintf(buf, size, "<%s name='%s'%s parent=%s %s%s%s>", cls, p->name, pid, parent,
                    status, code, p->daemon ? " daemon" : "");
}
