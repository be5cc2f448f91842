/*
 * net.c - socket helpers: listen, connect, and errors a person can act on (see net.h).
 *
 * What happens on the wire:
 *   net_listen   socket() + bind() + listen(): from listen() on, the KERNEL answers every SYN
 *                to this port with a SYN-ACK and completes handshakes into the accept queue,
 *                before the program calls accept().
 *   net_connect  connect(): the kernel sends SYN, waits for SYN-ACK, sends ACK, and only then
 *                does connect() return. "Connection refused" means a RST came back instead:
 *                nothing listens on that port.
 */
#define _GNU_SOURCE /* EAI_NODATA: a name that exists but has no address */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long net_connect waits for the handshake. Linux resends a SYN (or the server its SYN-ACK)
 * that got no answer after 1 s, then doubles the wait: retries at 1, 3, 7 and 15 s. 16 s lets
 * four retries happen, so a path that loses packets at random (lab 3's rule drops one in five,
 * handshakes included) still connects, while a firewall that drops every SYN is reported in
 * seconds rather than after the kernel's own ~2 minutes (tcp_syn_retries = 6). */
#define CONNECT_TIMEOUT_MS 16000

/* Explain a failed bind() in words, naming the fix. */
static void explain_bind_error(int err_no, const char *addr, int port, char *err, size_t errlen)
{
    if (err_no == EADDRINUSE)
        snprintf(err, errlen,
                 "port %d is already in use (is another server running?); "
                 "pick another with --port N, or --port 0 for any free port",
                 port);
    else if (err_no == EACCES && port < 1024)
        snprintf(err, errlen,
                 "port %d is below 1024 and needs privilege (root or CAP_NET_BIND_SERVICE); "
                 "use a port of 1024 or above, e.g. --port 7007",
                 port);
    else if (err_no == EADDRNOTAVAIL)
        snprintf(err, errlen,
                 "%s is not an address of this machine; use 127.0.0.1, ::1, "
                 "or leave --bind out to listen on all of them",
                 addr);
    else
        snprintf(err, errlen, "cannot listen on %s port %d: %s", addr, port, strerror(err_no));
}

/* socket + SO_REUSEADDR + bind + listen on one address. Returns the fd or -1 (errno kept). */
static int listen_on(const struct sockaddr *sa, socklen_t salen, int backlog)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* Lets a restarted server bind at once although old connections sit in TIME_WAIT. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa->sa_family == AF_INET6) {
        /* 0 = dual stack: IPv4 clients arrive as ::ffff:a.b.c.d on the same socket. */
        int v6only = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind(fd, sa, salen) < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Listen on every address, IPv6 and IPv4 together; IPv4 alone where IPv6 is disabled. */
static int listen_any(int port, int backlog)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
    a6.sin6_port = htons((uint16_t)port);
    int fd = listen_on((struct sockaddr *)&a6, sizeof a6, backlog);
    if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
        return fd;
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    a4.sin_port = htons((uint16_t)port);
    return listen_on((struct sockaddr *)&a4, sizeof a4, backlog);
}

int net_listen(const char *bind_addr, int port, int backlog, char *err, size_t errlen)
{
    int fd;
    if (!bind_addr) {
        fd = listen_any(port, backlog);
    } else {
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE},
                        *res;
        char portstr[8];
        snprintf(portstr, sizeof portstr, "%d", port);
        int rc = getaddrinfo(bind_addr, portstr, &hints, &res);
        if (rc != 0) {
            snprintf(err, errlen, "cannot use '%s' as a bind address: %s", bind_addr,
                     gai_strerror(rc));
            return -1;
        }
        fd = listen_on(res->ai_addr, res->ai_addrlen, backlog);
        freeaddrinfo(res);
    }
    if (fd < 0)
        explain_bind_error(errno, bind_addr ? bind_addr : "every address", port, err, errlen);
    return fd;
}

int net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Explain a failed connect() in words, naming the fix. */
static void explain_connect_error(int err_no, const char *host, int port, char *err, size_t errlen)
{
    const char *fmt = strchr(host, ':') ? "[%s]:%d" : "%s:%d";
    char where[NET_ADDR_LEN + 16];
    snprintf(where, sizeof where, fmt, host, port);
    if (err_no == ECONNREFUSED)
        snprintf(err, errlen, "nothing is listening on %s (the connection was refused)", where);
    else if (err_no == ETIMEDOUT)
        snprintf(err, errlen,
                 "no answer from %s within %d s (a firewall may be dropping the SYN, or the "
                 "host is down)",
                 where, CONNECT_TIMEOUT_MS / 1000);
    else if (err_no == ENETUNREACH || err_no == EHOSTUNREACH)
        snprintf(err, errlen, "there is no route to %s; check the address", where);
    else
        snprintf(err, errlen, "cannot connect to %s: %s", where, strerror(err_no));
}

/* connect() with a deadline: start it non-blocking, wait for writability, read the result. */
static int connect_with_timeout(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, sa, salen);
    if (rc < 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n;
        do
            n = poll(&p, 1, CONNECT_TIMEOUT_MS);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        rc = soerr ? -1 : 0;
        if (soerr)
            errno = soerr;
    }
    int saved = errno;
    fcntl(fd, F_SETFL, flags);
    errno = saved;
    return rc;
}

int net_connect(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        if (rc == EAI_NONAME || rc == EAI_NODATA)
            snprintf(err, errlen, "unknown host '%s': no such name in /etc/hosts or DNS", host);
        else
            snprintf(err, errlen, "cannot look up '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, last_errno = ECONNREFUSED;
    for (ai = res; ai; ai = ai->ai_next) { /* e.g. "localhost" is ::1 and 127.0.0.1 */
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        explain_connect_error(last_errno, host, port, err, errlen);
    return fd;
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int net_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void net_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof ip);
        snprintf(buf, len, "%s:%u", ip, ntohs(a4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            /* An IPv4 peer on our dual-stack socket: show it as the IPv4 address it is. */
            inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], ip, sizeof ip);
            snprintf(buf, len, "%s:%u", ip, ntohs(a6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof ip);
            snprintf(buf, len, "[%s]:%u", ip, ntohs(a6->sin6_port));
        }
    } else {
        snprintf(buf, len, "(address family %d)", sa->sa_family);
    }
}

void net_peer_name(int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &sslen) < 0)
        snprintf(buf, len, "(unknown peer)");
    else
        net_format_addr((struct sockaddr *)&ss, buf, len);
}

int net_parse_port(const char *text)
{
    if (!text || !*text || strlen(text) > 5)
        return -1;
    int port = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        port = port * 10 + (*p - '0');
    }
    return port <= 65535 ? port : -1;
}
