/* Every pickle opcode, once: the one table that the opcode enum (MP__OP_*), the names in the
 * decoder's messages, the handlers' declarations and the decoder's dispatch are all expanded
 * from (pickle_impl.h, pickle_load.c, pickle_load_state.c).
 *
 * X(NAME, byte, proto, handler, arg): the byte on the wire; the protocol that introduced it
 * (Lib/pickletools.py, the `proto` of each opcode); the decoder's handler and the int it is
 * called with (a width, a count, a type, a reason for refusing). A byte that is no opcode here
 * is refused as an invalid load key. The handlers live in pickle_load_ops.c (the stack, the
 * stream, scalars, containers, the memo, the refusals) and pickle_load_text.c (protocol 0's
 * text operands, and the names and calls of the constructor whitelist). */
#ifndef MP_PICKLE_OPCODES_H
#define MP_PICKLE_OPCODES_H

/* clang-format off */
#define MP__PICKLE_OPCODES(X)                                                                      \
    /* protocol 0 */                                                                               \
    X(MARK,             '(',  0, mp__op_mark,         0)                                           \
    X(STOP,             '.',  0, mp__op_stop,         0)                                           \
    X(POP,              '0',  0, mp__op_pop,          0)                                           \
    X(POP_MARK,         '1',  0, mp__op_pop_mark,     0)                                           \
    X(DUP,              '2',  0, mp__op_refuse,       MP__REFUSE_DUP)                              \
    X(FLOAT,            'F',  0, mp__op_float,        0)                                           \
    X(INT,              'I',  0, mp__op_decimal,      0)                                           \
    X(LONG,             'L',  0, mp__op_decimal,      1)                                           \
    X(NONE,             'N',  0, mp__op_const,        0)                                           \
    X(PERSID,           'P',  0, mp__op_persid,       0)                                           \
    X(REDUCE,           'R',  0, mp__op_reduce,       0)                                           \
    X(STRING,           'S',  0, mp__op_refuse,       MP__REFUSE_PY2)                              \
    X(UNICODE,          'V',  0, mp__op_unicode,      0)                                           \
    X(APPEND,           'a',  0, mp__op_fill_top,     MP_TYPE_LIST)                                \
    X(BUILD,            'b',  0, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(GLOBAL,           'c',  0, mp__op_global,       0)                                           \
    X(DICT,             'd',  0, mp__op_collect,      MP_TYPE_DICT)                                \
    X(GET,              'g',  0, mp__op_text_memo,    1)                                           \
    X(INST,             'i',  0, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(LIST,             'l',  0, mp__op_collect,      MP_TYPE_LIST)                                \
    X(PUT,              'p',  0, mp__op_text_memo,    0)                                           \
    X(SETITEM,          's',  0, mp__op_fill_top,     MP_TYPE_DICT)                                \
    X(TUPLE,            't',  0, mp__op_collect,      MP_TYPE_TUPLE)                               \
    /* protocol 1 */                                                                               \
    X(BININT,           'J',  1, mp__op_binint,       4)                                           \
    X(BININT1,          'K',  1, mp__op_binint,       1)                                           \
    X(BININT2,          'M',  1, mp__op_binint,       2)                                           \
    X(BINPERSID,        'Q',  1, mp__op_persid,       1)                                           \
    X(BINSTRING,        'T',  1, mp__op_refuse,       MP__REFUSE_PY2)                              \
    X(SHORT_BINSTRING,  'U',  1, mp__op_refuse,       MP__REFUSE_PY2)                              \
    X(BINUNICODE,       'X',  1, mp__op_text,         4)                                           \
    X(EMPTY_DICT,       '}',  1, mp__op_empty,        MP_TYPE_DICT)                                \
    X(APPENDS,          'e',  1, mp__op_fill_mark,    MP_TYPE_LIST)                                \
    X(BINGET,           'h',  1, mp__op_get,          1)                                           \
    X(LONG_BINGET,      'j',  1, mp__op_get,          4)                                           \
    X(EMPTY_LIST,       ']',  1, mp__op_empty,        MP_TYPE_LIST)                                \
    X(OBJ,              'o',  1, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(BINPUT,           'q',  1, mp__op_put,          1)                                           \
    X(LONG_BINPUT,      'r',  1, mp__op_put,          4)                                           \
    X(EMPTY_TUPLE,      ')',  1, mp__op_tuple_n,      0)                                           \
    X(SETITEMS,         'u',  1, mp__op_fill_mark,    MP_TYPE_DICT)                                \
    X(BINFLOAT,         'G',  1, mp__op_binfloat,     0)                                           \
    /* protocol 2 */                                                                               \
    X(PROTO,            0x80, 2, mp__op_proto,        0)                                           \
    X(NEWOBJ,           0x81, 2, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(EXT1,             0x82, 2, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(EXT2,             0x83, 2, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(EXT4,             0x84, 2, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(TUPLE1,           0x85, 2, mp__op_tuple_n,      1)                                           \
    X(TUPLE2,           0x86, 2, mp__op_tuple_n,      2)                                           \
    X(TUPLE3,           0x87, 2, mp__op_tuple_n,      3)                                           \
    X(NEWTRUE,          0x88, 2, mp__op_const,        1)                                           \
    X(NEWFALSE,         0x89, 2, mp__op_const,        2)                                           \
    X(LONG1,            0x8a, 2, mp__op_long,         1)                                           \
    X(LONG4,            0x8b, 2, mp__op_long,         4)                                           \
    /* protocol 3 */                                                                               \
    X(BINBYTES,         'B',  3, mp__op_bytes,        4)                                           \
    X(SHORT_BINBYTES,   'C',  3, mp__op_bytes,        1)                                           \
    /* protocol 4 */                                                                               \
    X(SHORT_BINUNICODE, 0x8c, 4, mp__op_text,         1)                                           \
    X(BINUNICODE8,      0x8d, 4, mp__op_text,         8)                                           \
    X(BINBYTES8,        0x8e, 4, mp__op_bytes,        8)                                           \
    X(EMPTY_SET,        0x8f, 4, mp__op_empty,        MP_TYPE_SET)                                 \
    X(ADDITEMS,         0x90, 4, mp__op_fill_mark,    MP_TYPE_SET)                                 \
    X(FROZENSET,        0x91, 4, mp__op_collect,      MP_TYPE_FROZENSET)                           \
    X(NEWOBJ_EX,        0x92, 4, mp__op_refuse,       MP__REFUSE_OBJECT)                           \
    X(STACK_GLOBAL,     0x93, 4, mp__op_stack_global, 0)                                           \
    X(MEMOIZE,          0x94, 4, mp__op_put,          0)                                           \
    X(FRAME,            0x95, 4, mp__op_frame,        0)                                           \
    /* protocol 5 */                                                                               \
    X(BYTEARRAY8,       0x96, 5, mp__op_bytearray8,   0)                                           \
    X(NEXT_BUFFER,      0x97, 5, mp__op_refuse,       MP__REFUSE_BUFFER)                           \
    X(READONLY_BUFFER,  0x98, 5, mp__op_refuse,       MP__REFUSE_BUFFER)
/* clang-format on */

#endif /* MP_PICKLE_OPCODES_H */
