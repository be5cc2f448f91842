/*
 * net.h - socket helpers with one clear job each (in the spirit of Redis's anet.c).
 *
 * What it teaches: the few calls it takes to get a TCP socket ready - socket(), bind(),
 * listen(), connect() - and how to turn each way they fail into a sentence a person can act on
 * ("nothing is listening on 127.0.0.1:7007; start tcp_echo_server first") instead of an errno.
 *
 * Library code: these functions never print or exit. On failure they return -1 and write one
 * line into the caller's `err` buffer (NET_ERR_LEN bytes is always enough).
 */
#ifndef WIRELAB_NET_H
#define WIRELAB_NET_H

#include <stddef.h>
#include <sys/socket.h>

#define NET_ERR_LEN  256
#define NET_ADDR_LEN 64 /* "[ffff:...:ffff]:65535" with room to spare */

/*
 * Open a listening TCP socket on bind_addr:port. bind_addr NULL means every address, IPv6 and
 * IPv4 together (one dual-stack socket: IPv4 peers appear as ::ffff:a.b.c.d). port 0 asks the
 * kernel for a free port; net_local_port() tells which. Returns the fd (blocking), or -1.
 */
int net_listen(const char *bind_addr, int port, int backlog, char *err, size_t errlen);

/* The local port a socket is bound to, or -1. */
int net_local_port(int fd);

/*
 * Connect to host:port over TCP (trying each address getaddrinfo returns, IPv6 and IPv4).
 * Blocking; returns the connected fd, or -1 with a sentence in err that says what to do.
 */
int net_connect(const char *host, int port, char *err, size_t errlen);

/* Put a socket in non-blocking mode: reads and writes return EAGAIN instead of waiting. */
int net_set_nonblocking(int fd);

/* Disable Nagle's algorithm so small writes go out at once (latency over packet count). */
int net_set_nodelay(int fd);

/* "127.0.0.1:7007" or "[::1]:7007"; IPv4-mapped IPv6 addresses are shown as plain IPv4. */
void net_format_addr(const struct sockaddr *sa, char *buf, size_t len);

/* The peer's address of a connected socket, formatted as above. */
void net_peer_name(int fd, char *buf, size_t len);

/* Parse a port number argument: 0..65535, digits only. Returns -1 when it is not one. */
int net_parse_port(const char *text);

#endif
