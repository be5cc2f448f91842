/*
 * udpnet.c - UDP socket helpers: resolve a host, bind a (dual-stack) port, name addresses.
 *
 * What it teaches: the whole "setup" of UDP is socket() and, on the receiving side, bind().
 * Compare with tcp_echo/net.c, where a server also needs listen() and accept() and a client
 * connect() (the three-way handshake). See udpnet.h for the interface.
 */
#include "udpnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int udpnet_resolve(const char *host, int port, struct udpnet_addr *out, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    char service[8];
    int rc;

    hints.ai_family = AF_UNSPEC; /* IPv6 or IPv4, whichever the name has */
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(service, sizeof service, "%d", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        if (rc == EAI_NONAME || rc == EAI_FAIL)
            snprintf(err, errlen,
                     "cannot find host '%s': no such name or address "
                     "(check the spelling, or use 127.0.0.1 or ::1)",
                     host);
        else
            snprintf(err, errlen, "cannot look up host '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Turn a bind() failure into something to do about it. */
static void bind_error(int e, const char *where, int port, char *err, size_t errlen)
{
    if (e == EADDRINUSE)
        snprintf(err, errlen,
                 "UDP port %d on %s is already in use by another program "
                 "(another udp_receiver?); pick another with --port, or --port 0 for any free one",
                 port, where);
    else if (e == EACCES)
        snprintf(err, errlen,
                 "not allowed to bind UDP port %d (ports below 1024 need root); use --port 1024 "
                 "or higher",
                 port);
    else if (e == EADDRNOTAVAIL)
        snprintf(err, errlen,
                 "%s is not an address of this machine, so nothing can be received on it; "
                 "leave out --bind, or use 127.0.0.1 or ::1",
                 where);
    else
        snprintf(err, errlen, "cannot bind UDP port %d on %s: %s", port, where, strerror(e));
}

/* socket() + bind() for one address; -1 with err filled on failure. */
static int bind_one(const struct sockaddr *sa, socklen_t salen, int dual, const char *where,
                    int port, char *err, size_t errlen)
{
    int fd = socket(sa->sa_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        int e = errno; /* kept for the caller: EAFNOSUPPORT means "no IPv6 here" */
        snprintf(err, errlen, "cannot create a UDP socket: %s", strerror(e));
        errno = e;
        return -1;
    }
    if (dual) { /* accept IPv4 too, as ::ffff:a.b.c.d (the default on Linux, but say so) */
        int off = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    if (bind(fd, sa, salen) < 0) {
        int e = errno;
        bind_error(e, where, port, err, errlen);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Every address, IPv6 and IPv4 on one socket; plain IPv4 when the kernel has no IPv6. */
static int bind_any(int port, char *err, size_t errlen)
{
    struct sockaddr_in6 a6 = {0};
    struct sockaddr_in a4 = {0};
    int fd;

    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_any;
    a6.sin6_port = htons((uint16_t)port);
    fd = bind_one((struct sockaddr *)&a6, sizeof a6, 1, "every address", port, err, errlen);
    if (fd >= 0 || errno != EAFNOSUPPORT)
        return fd;
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_ANY);
    a4.sin_port = htons((uint16_t)port);
    return bind_one((struct sockaddr *)&a4, sizeof a4, 0, "every address", port, err, errlen);
}

int udpnet_bind(const char *bind_addr, int port, char *err, size_t errlen)
{
    struct udpnet_addr a;

    if (bind_addr == NULL)
        return bind_any(port, err, errlen);
    if (udpnet_resolve(bind_addr, port, &a, err, errlen) < 0)
        return -1;
    return bind_one((struct sockaddr *)&a.ss, a.len, 0, bind_addr, port, err, errlen);
}

/* The 16-byte IPv6 form of an address (IPv4 as ::ffff:a.b.c.d) and its port; 0 if neither. */
static int canonical(const struct sockaddr *sa, uint8_t ip[16], uint16_t *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &a->sin_addr, 4);
        *port = a->sin_port;
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        memcpy(ip, &a->sin6_addr, 16);
        *port = a->sin6_port;
        return 1;
    }
    return 0;
}

int udpnet_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    uint8_t ipa[16], ipb[16];
    uint16_t pa, pb;

    if (!canonical(a, ipa, &pa) || !canonical(b, ipb, &pb))
        return 0;
    return pa == pb && memcmp(ipa, ipb, 16) == 0;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t udpnet_now_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

uint64_t udpnet_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_flag = 1; /* all a handler may safely do: the loop reads it */
}

void udpnet_catch_stop_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int udpnet_stop_requested(void)
{
    return stop_flag;
}
