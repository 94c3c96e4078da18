#!/usr/bin/env python3
"""The conformance catalogue (conformance/catalogue.md, 17.1 to 17.11: processes, daemons, pipes,
the synchronisation primitives, the queues and the pool; 17.15: Listener and Client between
CPython versions), run against CPython's own multiprocessing with the fork start method: the
catalogue made executable.

    python3 conformance/python/run.py                 every case
    python3 conformance/python/run.py PROC-12 DMN     the cases whose id starts with an argument
    python3 conformance/python/run.py --list          the ids and titles

One line per case (`ok   ID title`, `FAIL ID title: reason`, `skip ID: reason`), then the last
line `N passed, N failed` (`, N skipped` when some were); the status is 1 on any failure."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    # The catalogue's misuse errors are CPython AssertionErrors, which -O compiles out.
    if sys.flags.optimize:
        env = dict(os.environ)
        env.pop('PYTHONOPTIMIZE', None)
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + argv, env)
    sys.path.insert(0, HERE)
    import support
    import test_process    # noqa: F401  (registers the PROC cases)
    import test_daemon     # noqa: F401  (registers the DMN cases)
    import test_connection  # noqa: F401  (registers the PIPE and WAIT cases)
    import test_sync       # noqa: F401  (registers LOCK, RLOCK, SEM, BSEM, COND, EVT, BAR)
    import test_queue      # noqa: F401  (registers Q, JQ, SQ)
    import test_pool       # noqa: F401  (registers POOL)
    import test_sharedctypes  # noqa: F401  (registers VAL, ARR, LIBMP-75 to 77)
    import test_listener_interop  # noqa: F401  (registers LIBMP_ILST, the twin of InteropListener)

    # kinds in the order the modules above first register them (catalogue order), then by number;
    # an id is KIND-NN, or LIBMP_KIND_NN for libmp's own cases
    def kind_num(ident):
        kind, num = re.match(r'(.*)[-_](\d+)$', ident).groups()
        return kind, int(num)
    kinds = list(dict.fromkeys(kind_num(c[0])[0] for c in support.CASES))

    def order(c):
        kind, num = kind_num(c[0])
        return (kinds.index(kind), num)
    cases = sorted(support.CASES, key=order)
    if argv[:1] == ['--list']:
        for ident, title, _, _ in cases:
            print(f'{ident} {title}')
        return 0
    if argv:
        cases = [c for c in cases if any(c[0].startswith(a) for a in argv)]
    return support.run_cases(cases)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
