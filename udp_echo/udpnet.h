/*
 * udpnet.h - the few socket helpers UDP needs (the TCP ones live in tcp_echo/net.h).
 *
 * What it teaches: a UDP socket needs no listen(), no accept(), no connect(). A receiver only
 * bind()s to a port; a sender needs nothing but an address to sendto(), and the kernel picks
 * its source port at the first send. These helpers turn host names and failures into
 * sentences a person can act on.
 *
 * Naming addresses and finding a socket's port are shared with TCP: net_format_addr() and
 * net_local_port() in tcp_echo/net.h. The command line
 * (ports, sizes, counts) is parsed by the shared args/args.h.
 *
 * Library code: nothing here prints or exits. On failure a function returns -1 and writes one
 * line into the caller's err buffer (UDPNET_ERR_LEN bytes is always enough).
 */
#ifndef WIRELAB_UDPNET_H
#define WIRELAB_UDPNET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDPNET_ERR_LEN 256

/* An address to sendto(): what getaddrinfo found for host:port. */
struct udpnet_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/*
 * Look up host (a name, an IPv4 or an IPv6 address) for UDP port. The first address
 * getaddrinfo offers wins ("localhost" may give ::1 or 127.0.0.1). Returns 0, or -1 and a
 * sentence in err (unknown host, no address, ...).
 */
int udpnet_resolve(const char *host, int port, struct udpnet_addr *out, char *err, size_t errlen);

/*
 * A UDP socket bound to bind_addr:port. bind_addr NULL binds every address on one dual-stack
 * IPv6 socket (IPv4 senders then appear as ::ffff:a.b.c.d, printed as plain IPv4); if the
 * machine has no IPv6, an IPv4 socket. port 0 lets the kernel choose (net_local_port, in
 * tcp_echo/net.h, says which). Returns the fd, or -1 and a sentence in err ("port 7007 is already
 * in use ...").
 */
int udpnet_bind(const char *bind_addr, int port, char *err, size_t errlen);

/* Do two socket addresses name the same host and port (IPv4-mapped equals plain IPv4)? */
int udpnet_same_addr(const struct sockaddr *a, const struct sockaddr *b);

/*
 * Make SIGINT (Ctrl-C) and SIGTERM set a flag instead of ending the program, so it can stop
 * its loop and print its summary; udpnet_stop_requested() reads the flag. No SA_RESTART: a
 * blocking poll(), recvfrom() or clock_nanosleep() returns EINTR at once and the loop sees it.
 */
void udpnet_catch_stop_signals(void);
int udpnet_stop_requested(void);

/* The wall clock in nanoseconds since 1970 (what goes into the header's send timestamp). */
uint64_t udpnet_now_ns(void);

/* A steady clock in nanoseconds, for pacing and durations (never jumps). */
uint64_t udpnet_mono_ns(void);

#endif
