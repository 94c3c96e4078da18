"""The Python twin of the C suite InteropListener (conformance/test_interop_listener.c): what that
suite asks of a C Listener and a C Client, done by two CPythons, every version that
conformance/python/find-pythons finds against every other (both ends are listener_peer.py).

It shows what the C suite takes as given: a Listener and a Client of any two versions from 3.8
up authenticate each other, HMAC-MD5 both ways unless both are 3.12 or later (then HMAC-SHA256
both ways), every value crosses both ways, and a wrong key is an AuthenticationError at both
ends, "digest received was wrong" at the Listener and "digest sent was rejected" at the
Client."""

import os
import subprocess

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


def run_pair(fx, server, client, key, family, n):
    """server's Listener with KEY, client's Client with `key`: ((server status, its lines),
    (client status, its lines))."""
    addr, fam = address(fx, family, n)
    srv = subprocess.Popen([server, PEER, 'serve', KEY.hex(), addr, fam],
                           stdout=subprocess.PIPE, universal_newlines=True)
    fx.track_pid(srv.pid)
    try:
        bound = srv.stdout.readline().strip()
        check(bound, '%s did not start listening' % server)
        cli = subprocess.run([client, PEER, 'connect', key.hex(), bound, fam, 'check'],
                             stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
        rest = srv.stdout.read()
        srv.wait(timeout=60)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
        srv.stdout.close()
    return (srv.returncode, rest.splitlines()), (cli.returncode, cli.stdout.splitlines())


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


@case('LIBMP_ILST-01', 'a Client and a Listener of every pair of CPython versions, with the '
      'key: HMAC-MD5 both ways unless both are 3.12+, then every value crosses both ways',
      budget=240)
def libmp_ilst_01(fx):
    for server, sv, client, cv, family, n in pairs():
        (st, _), (ct, out) = run_pair(fx, server, client, KEY, family, n)
        where = 'Listener %s, Client %s, %s' % (sv, cv, family)
        check_eq((st, ct), (0, 0), where + ': exit statuses')
        digest = 'sha256' if modern(sv) and modern(cv) else 'md5'
        # the checking Client prints the Listener's version and digests, then its own
        check_eq(out, ['peer %s %s self %s' % (sv, digest, digest)], where)


@case('LIBMP_ILST-02', 'a Client with the wrong key, every pair of CPython versions: '
      'AuthenticationError at both ends', budget=240)
def libmp_ilst_02(fx):
    for server, sv, client, cv, family, n in pairs():
        (st, sout), (ct, cout) = run_pair(fx, server, client, WRONG, family, n)
        where = 'Listener %s, Client %s, %s' % (sv, cv, family)
        if (st, ct) != (10, 10):
            raise Failure('%s: exit statuses %s, expected (10, 10)' % (where, (st, ct)))
        check_eq(sout, ['AuthenticationError: digest received was wrong'], where + ', Listener')
        check_eq(cout, ['AuthenticationError: digest sent was rejected'], where + ', Client')
