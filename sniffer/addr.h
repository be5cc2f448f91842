/*
 * addr.h - addresses as text: MAC "aa:bb:..", IPv4 dotted quad, IPv6 in RFC 5952 form
 * (lowercase, longest run of two or more zero groups shortened to "::", leftmost on a tie).
 *
 * Interface: each writes a NUL-terminated string into the caller's buffer (at least
 * ADDR_STRLEN bytes) and returns its length. Pure: no I/O, no allocation.
 */
#ifndef WIRELAB_ADDR_H
#define WIRELAB_ADDR_H

#include <stdint.h>

#define ADDR_STRLEN 48

int addr_mac(char *buf, const uint8_t mac[6]);
int addr_ipv4(char *buf, const uint8_t a[4]);
int addr_ipv6(char *buf, const uint8_t a[16]);
/* IPv4 for len 4, IPv6 for len 16 */
int addr_ip(char *buf, const uint8_t *a, int len);

#endif
