/**
 * @file pickle.h
 * @brief The pickle codec: values of mp/object.h to and from the bytes CPython's `pickle`
 *        writes and reads.
 *
 * mp_pickle_dumps() writes what CPython's pickler writes at each protocol (0 to 5), without
 * FRAME and with memo entries only for what repeats; mp_pickle_loads() and mp_pickle_loads_ex()
 * read what CPython 3.8 to 3.14 write, and never run anything the input names: a short
 * whitelist of constructors is recognised by name, everything else that would look up or call
 * an object is refused. Connections and queues use these for every message
 * (mp_conn_send(), mp_queue_put()).
 *
 * Failures return a negative code from errors.h and set mp_errmsg(); a decoding error names
 * the opcode and its byte offset.
 *
 * @defgroup mp_pickle Pickle
 * @{
 */
#ifndef MP_PICKLE_H
#define MP_PICKLE_H

#include <stddef.h>

#include "mp/common.h"
#include "mp/errors.h"
#include "mp/object.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief The protocol mp_pickle_dumps() writes for `protocol == -1`: 4, which every CPython
 *        from 3.4 on reads (5 instead when the value holds a bytearray, see mp_pickle_dumps()).
 */
#define MP_PICKLE_DEFAULT_PROTOCOL 4

/** @brief The highest protocol libmp reads and writes (CPython's `pickle.HIGHEST_PROTOCOL`). */
#define MP_PICKLE_HIGHEST_PROTOCOL 5

/**
 * @brief Bounds on what mp_pickle_loads_ex() may build, so that hostile input gets an error
 *        instead of exhausting memory or a consumer's stack.
 *
 * Start from #MP_PICKLE_LIMITS_DEFAULT and change the fields you need. Every declared length
 * (of a str, bytes, int or frame) is also checked against the bytes actually left in the input
 * before anything is allocated, whatever the limits.
 */
typedef struct mp_pickle_limits {
    /** Deepest nesting of containers in the result: `[[1]]` has depth 2, a scalar 0. Open
     *  MARKs are bounded by twice that number plus one (a recursive tuple is written inside
     *  itself once). Default 1000, CPython's default recursion limit: a value nested deeper
     *  is one CPython could not pickle back. */
    size_t max_depth;
    /** Most memo entries (one per PUT, BINPUT, LONG_BINPUT or MEMOIZE). Default 16777216
     *  (2^24). Memo indexes must also come in order (0, 1, 2...), as every pickler writes
     *  them, so an index cannot make the memo sparse. */
    size_t max_memo;
    /** Most decimal digits of an int written as text (protocols 0 and 1: INT, LONG), whose
     *  conversion takes time quadratic in its length. Default 4300, CPython's own limit. */
    size_t max_int_digits;
    /** Most bytes the decoder may allocate in all (values, stack, memo), counted as it goes.
     *  0, the default, means 64 MiB plus 64 bytes per byte of input: enough for any pickle
     *  CPython writes, while a 20-byte input can never make the decoder take more than about
     *  64 MiB. */
    size_t max_alloc;
} mp_pickle_limits_t;

/**
 * @brief The default limits, as an initializer: `mp_pickle_limits_t lim =
 *        MP_PICKLE_LIMITS_DEFAULT; lim.max_depth = 5000;`.
 */
#define MP_PICKLE_LIMITS_DEFAULT                                                                   \
    {                                                                                              \
        1000, 16777216, 4300, 0                                                                    \
    }

/**
 * @brief Pickles a value: the bytes CPython's `pickle.loads` turns back into an equal value.
 *
 * Every type of mp/object.h pickles, at every protocol, the way CPython writes it at that
 * protocol (bytes at protocols 0-2, and bytearray, set and frozenset where their opcodes do
 * not exist yet, go through the few constructors that mp_pickle_loads() also accepts). The
 * output carries no FRAME and memoises only what repeats: a list, dict, set, frozenset,
 * non-empty tuple or bytearray that occurs more than once in the value (so shared references
 * stay shared: `a = [1]; [a, a]` loads in Python as one list seen twice), a str or bytes of
 * 64 bytes or more that occurs more than once (shorter ones are written again), and every list
 * and dict of a recursive value. Recursive values (which only mp_pickle_loads() can produce,
 * such as Python's `l = []; l.append(l)`) round-trip, recursive tuples included, as CPython
 * writes them. Nesting depth is not limited: the encoder keeps its own stack.
 *
 * With `protocol == -1` the header says 4, or 5 when the value holds a bytearray, which is then
 * written with protocol 5's BYTEARRAY8; every CPython from 3.8 on reads both.
 * @param obj      the value.
 * @param protocol 0 to 5, or -1 for the default.
 * @param[out] out the pickle, malloc'd (free it with free()); NULL on failure (untouched
 *                 when an argument is NULL, as errors.h's NULL policy says).
 * @param[out] len its length in bytes.
 * @return 0; #MP_EINVAL for a protocol outside -1..5, or a NULL `obj`, `out` or `len`;
 *         #MP_EENCODE when the value cannot be written at that protocol (mp_errmsg() says why:
 *         an int of more than 4300 digits as protocol 0/1 text, which CPython could not read;
 *         a str or bytes of 4 GiB or more below protocol 4); #MP_ENOMEM.
 * @pyequiv `pickle.dumps(obj, protocol)` (`protocol=None` is -1).
 */
MP_EXTERN int mp_pickle_dumps(const mp_obj_t *obj, int protocol, void **out, size_t *len);

/**
 * @brief Unpickles bytes into a value, with the default limits (#MP_PICKLE_LIMITS_DEFAULT).
 *
 * As mp_pickle_loads_ex().
 * @param data     the pickle (NULL only with `len` 0).
 * @param len      its length in bytes.
 * @param[out] out the value, a new reference; NULL on failure (untouched when an argument
 *                 is NULL).
 * @return 0; #MP_EDECODE with mp_errmsg() naming the opcode and its byte offset; #MP_EINVAL
 *         for a NULL `out`, or a NULL `data` with `len` above 0; #MP_ENOMEM.
 * @pyequiv `pickle.loads(data)`, restricted to the types of mp/object.h.
 */
MP_EXTERN int mp_pickle_loads(const void *data, size_t len, mp_obj_t **out);

/**
 * @brief Unpickles bytes into a value, within the given limits. Nothing in the input is ever
 *        executed.
 *
 * Reads what CPython 3.8 to 3.14 write at protocols 0 to 5 for the types of mp/object.h:
 * FRAME, the memo opcodes, POP and POP_MARK included, and recursive values (`l = [l]`), which
 * come back recursive: such a value is freed as one unit when the last reference to any part
 * of it goes. Five callables are recognised by name and never called, because CPython needs
 * them for these types at old protocols: `bytes` and <code>_codecs.encode(str, 'latin1')</code> (bytes
 * at protocols 0-2), `bytearray`, `set` and `frozenset` (from a list or nothing), under the
 * module names `builtins` or `__builtin__`. Everything else that would name or call an object
 * (GLOBAL and STACK_GLOBAL with another name, REDUCE on anything but those, BUILD, INST, OBJ,
 * NEWOBJ, NEWOBJ_EX, PERSID, BINPERSID, EXT1/2/4), out-of-band buffers, Python 2 strings,
 * unknown opcodes and a PROTO above 5 are refused.
 *
 * Stricter than CPython where CPython accepts what no pickler writes: the input must end right
 * after STOP, with exactly one value and no open MARK; PROTO may only come first; memo indexes
 * must come in order; dict keys and set elements must be hashable; str must be UTF-8 (lone
 * surrogates pass, as CPython writes them).
 *
 * The small objects of the result are allocated together, in 16 KiB blocks, which makes a big
 * decode several times cheaper than one malloc per object; as with CPython's own allocator, a
 * part of the result kept after the rest is dropped keeps its block.
 * @param data     the pickle (NULL only with `len` 0).
 * @param len      its length in bytes.
 * @param limits   the bounds; NULL for the defaults.
 * @param[out] out the value, a new reference; NULL on failure (untouched when an argument
 *                 is NULL).
 * @return 0; #MP_EDECODE for malformed or refused input, with mp_errmsg() naming the opcode and
 *         its byte offset ("pickle: REDUCE (0x52) at byte 30: only bytes, bytearray, set,
 *         frozenset and _codecs.encode are called"), and for a result over a limit;
 *         #MP_EINVAL for a NULL `out`, or a NULL `data` with `len` above 0; #MP_ENOMEM.
 * @pyequiv `pickle.loads(data)` with an Unpickler whose `find_class` allows only those names.
 */
MP_EXTERN int mp_pickle_loads_ex(const void *data, size_t len, const mp_pickle_limits_t *limits,
                                 mp_obj_t **out);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_PICKLE_H */
