"""The Python twin of the C suite InteropListener (conformance/test_interop_listener.c): what that
suite asks of a C Listener and a C Client, done by two CPythons, every version that
conformance/python/find-pythons finds against every other (both ends are listener_peer.py). Where
the C suite has C check what a CPython peer sends and sends back, one CPython plays that part:
the Listener in LIBMP_ILST_01 (the C suite's C Listener), the Client in LIBMP_ILST_03 (its C
Client). LIBMP_ILST_02 is the wrong key, and checks both ends' errors, which the C suite checks
in LIBMP_ILST_02 (the Client's) and LIBMP_ILST_04 (the Listener's).

It shows what the C suite takes as given: a Listener and a Client of any two versions from 3.8
up authenticate each other, HMAC-MD5 both ways unless both are 3.12 or later (then HMAC-SHA256
both ways), every value crosses both ways, and a wrong key is an AuthenticationError at both
ends, "digest received was wrong" at the Listener and "digest sent was rejected" at the
Client."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from support import Failure, Skip, case, check, check_eq

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, 'listener_peer.py')
KEY = b'libmp\0interop \xff key'
WRONG = b'libmp\0interop \xff kez'
FAMILIES = ['path', 'abstract', 'inet']


def pythons():
    out = subprocess.run([os.path.join(HERE, 'find-pythons')], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True).stdout
    found = [line for line in out.splitlines() if line]
    if not found:
        raise Skip('find-pythons found no CPython')
    return found


def version(python):
    out = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return out.strip()


def address(fx, family, n):
    if family == 'path':
        return os.path.join(fx.tmpdir(), 'listener-%d' % n), 'AF_UNIX'
    if family == 'abstract':
        return '@mp-ilst-py-%d-%d' % (os.getpid(), n), 'AF_UNIX'
    return '127.0.0.1:0', 'AF_INET'


def run_pair(fx, pair, key, checker):
    """pair's Listener with KEY, its Client with `key`, the end `checker` ('serve' or 'connect')
    in the role that checks: ((Listener's status, its lines), (Client's status, its lines))."""
    server, _, client, _, family, n = pair
    addr, fam = address(fx, family, n)
    role = {m: 'check' if m == checker else 'peer' for m in ('serve', 'connect')}
    srv = subprocess.Popen([server, PEER, 'serve', KEY.hex(), addr, fam, role['serve']],
                           stdout=subprocess.PIPE, universal_newlines=True)
    fx.track_pid(srv.pid)
    try:
        bound = srv.stdout.readline().strip()
        check(bound, '%s did not start listening' % server)
        cli = subprocess.run([client, PEER, 'connect', key.hex(), bound, fam, role['connect']],
                             stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
        rest = srv.stdout.read()
        srv.wait(timeout=60)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
        srv.stdout.close()
    return (srv.returncode, rest.splitlines()), (cli.returncode, cli.stdout.splitlines())


def each_pair(fx, key, checker, verdict):
    """verdict(pair, listener's outcome, client's outcome) for every pair, two pairs at a time
    (starting an interpreter is most of the time, and there are two CPUs at least)."""
    def one(pair):
        return pair, run_pair(fx, pair, key, checker)
    with ThreadPoolExecutor(2) as pool:
        for pair, (listener, client) in pool.map(one, list(pairs())):
            verdict(pair, listener, client)


def pairs():
    found = pythons()
    versions = [version(p) for p in found]
    n = 0
    for i, server in enumerate(found):
        for j, client in enumerate(found):
            # each pair over one family, so that every family meets both generations
            yield server, versions[i], client, versions[j], FAMILIES[(i + j) % 3], n
            n += 1


def modern(v):
    return tuple(int(x) for x in v.split('.')) >= (3, 12)


def with_the_key(fx, checker):
    def verdict(pair, listener, client):
        _, sv, _, cv, family, _ = pair
        where = 'Listener %s, Client %s, %s' % (sv, cv, family)
        check_eq((listener[0], client[0]), (0, 0), where + ': exit statuses')
        digest = 'sha256' if modern(sv) and modern(cv) else 'md5'
        # the checking end prints the other's version and digests, then its own
        other = cv if checker == 'serve' else sv
        said = listener[1] if checker == 'serve' else client[1]
        check_eq(said, ['peer %s %s self %s' % (other, digest, digest)], where)
    each_pair(fx, KEY, checker, verdict)


@case('LIBMP_ILST_01', 'a Client and a Listener of every pair of CPython versions, with the '
      'key, the Listener checking: HMAC-MD5 both ways unless both are 3.12+, then every value '
      'crosses both ways', budget=240)
def libmp_ilst_01(fx):
    with_the_key(fx, 'serve')


@case('LIBMP_ILST_02', 'a Client with the wrong key, every pair of CPython versions: '
      'AuthenticationError at both ends', budget=240)
def libmp_ilst_02(fx):
    def verdict(pair, listener, client):
        _, sv, _, cv, family, _ = pair
        where = 'Listener %s, Client %s, %s' % (sv, cv, family)
        if (listener[0], client[0]) != (10, 10):
            raise Failure('%s: exit statuses %s, expected (10, 10)'
                          % (where, (listener[0], client[0])))
        check_eq(listener[1], ['AuthenticationError: digest received was wrong'],
                 where + ', Listener')
        check_eq(client[1], ['AuthenticationError: digest sent was rejected'],
                 where + ', Client')
    each_pair(fx, WRONG, 'connect', verdict)


@case('LIBMP_ILST_03', 'a Client and a Listener of every pair of CPython versions, with the '
      'key, the Client checking: HMAC-MD5 both ways unless both are 3.12+, then every value '
      'crosses both ways', budget=240)
def libmp_ilst_03(fx):
    with_the_key(fx, 'connect')
