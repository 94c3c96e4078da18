/* Addresses of Listener and Client as strings (listener.h): "host:port", "[v6]:port", a Unix
 * path, or "@name" for a Linux abstract socket.
 *
 * An abstract name is passed with the length offsetof(sun_path) + 1 + its length and no
 * trailing NUL, because that is what CPython passes for "\0name": the kernel compares the
 * whole length, so one byte more would name another socket and a Python peer would not find
 * ours. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener_impl.h"

enum { SUN_MAX = sizeof(((struct sockaddr_un *)0)->sun_path) };

static int parse_unix(const char *s, mp__addr_t *out)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
    int abstract = s[0] == '@';
    size_t n = strlen(s);
    if (n == 0)
        return mp__fail(MP_EINVAL, "empty address");
    if (n >= SUN_MAX)
        return mp__fail(MP_EINVAL, "AF_UNIX path too long (%zu bytes, at most %d)", n,
                        (int)SUN_MAX - 1);
    memset(out, 0, sizeof *out);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, s, n);
    if (abstract)
        un->sun_path[0] = '\0';
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !abstract);
    out->path = !abstract;
    return 0;
}

/* Splits "host:port" (host may be "[v6]"): the host copied to `host`, the port checked. */
static int split_port(const char *s, char *host, size_t size, unsigned *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        strlen(colon + 1) > 5 || (*port = (unsigned)atoi(colon + 1)) > 65535)
        return mp__fail(MP_EINVAL, "address \"%s\" is not host:port", s);
    size_t n = (size_t)(colon - s);
    if (s[0] == '[') {
        if (n < 2 || s[n - 1] != ']')
            return mp__fail(MP_EINVAL, "address \"%s\" is not [host]:port", s);
        s++;
        n -= 2;
    }
    if (n >= size)
        return mp__fail(MP_EINVAL, "host name too long in \"%s\"", s);
    memcpy(host, s, n);
    host[n] = '\0';
    return 0;
}

static int parse_inet(const char *s, int af, mp__addr_t *out)
{
    char host[NI_MAXHOST];
    unsigned port = 0;
    int rc = split_port(s, host, sizeof host, &port);
    if (rc < 0)
        return rc;
    /* Python's ("", port): every interface. */
    const char *node = host[0] ? host : (af == AF_INET ? "0.0.0.0" : "::");
    struct addrinfo hints = {.ai_family = af, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(node, NULL, &hints, &res);
    if (gai != 0)
        return mp__fail(MP_EINVAL, "cannot resolve \"%s\": %s", host, gai_strerror(gai));
    memset(out, 0, sizeof *out);
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    if (af == AF_INET)
        ((struct sockaddr_in *)&out->sa)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&out->sa)->sin6_port = htons((uint16_t)port);
    return 0;
}

/* The family an address string has by its form: "[..]:port" is IPv6, "host:port" (a port of
 * digits, no '/') IPv4, anything else a Unix socket. */
static int form_of(const char *s)
{
    if (s[0] == '@' || strchr(s, '/'))
        return MP_AF_UNIX;
    const char *colon = strrchr(s, ':');
    if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return MP_AF_UNIX;
    return s[0] == '[' ? MP_AF_INET6 : MP_AF_INET;
}

int mp__addr_parse(const char *address, int family, mp__addr_t *out)
{
    int form = form_of(address);
    if (family == MP_AF_UNIX)
        return parse_unix(address, out);
    if (family != MP_AF_AUTO && family != form)
        return mp__fail(MP_EINVAL, "address \"%s\" is not of the family asked for", address);
    if (form == MP_AF_UNIX)
        return parse_unix(address, out);
    return parse_inet(address, form == MP_AF_INET ? AF_INET : AF_INET6, out);
}

int mp__addr_arbitrary(int family, mp__addr_t *out)
{
    if (family == MP_AF_INET)
        return parse_inet("127.0.0.1:0", AF_INET, out);
    if (family == MP_AF_INET6)
        return parse_inet("[::1]:0", AF_INET6, out);
    unsigned char r[8] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return mp__fail(mp__errno(), "getrandom: %s", strerror(errno));
    const char *dir = getenv("TMPDIR");
    char path[SUN_MAX + 64];
    snprintf(path, sizeof path, "%s/mp-listener-%d-%02x%02x%02x%02x%02x%02x%02x%02x",
             dir && dir[0] ? dir : "/tmp", (int)getpid(), r[0], r[1], r[2], r[3], r[4], r[5], r[6],
             r[7]);
    return parse_unix(path, out);
}

char *mp__addr_format(const struct sockaddr *sa, socklen_t len)
{
    char host[INET6_ADDRSTRLEN] = "", *s = NULL;
    const size_t off = offsetof(struct sockaddr_un, sun_path);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return asprintf(&s, "%s:%u", host, ntohs(in->sin_port)) < 0 ? NULL : s;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return asprintf(&s, "[%s]:%u", host, ntohs(in6->sin6_port)) < 0 ? NULL : s;
    }
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    size_t n = len > off ? len - off : 0;
    if (n && un->sun_path[0] == '\0') /* abstract: "@" and the name's bytes */
        return asprintf(&s, "@%.*s", (int)n - 1, un->sun_path + 1) < 0 ? NULL : s;
    return strndup(un->sun_path, n);
}
