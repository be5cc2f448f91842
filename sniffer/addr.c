/*
 * addr.c - addresses as text (see addr.h). Hand-written instead of inet_ntop so the decoder
 * stays free of libc networking and the IPv6 rules of RFC 5952 are visible to the reader.
 */
#include "addr.h"

#include <stdio.h>

static const char hex[] = "0123456789abcdef";

int addr_mac(char *buf, const uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        buf[3 * i] = hex[mac[i] >> 4];
        buf[3 * i + 1] = hex[mac[i] & 15];
        buf[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    return 17;
}

int addr_ipv4(char *buf, const uint8_t a[4])
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            buf[n++] = (char)('0' + v / 100);
        if (v >= 10)
            buf[n++] = (char)('0' + v / 10 % 10);
        buf[n++] = (char)('0' + v % 10);
        buf[n++] = i < 3 ? '.' : '\0';
    }
    return n - 1;
}

/* RFC 5952 4.2: the longest run of at least two zero groups becomes "::". */
static void zero_run(const uint16_t g[8], int *start, int *len)
{
    *start = -1, *len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > *len && j - i >= 2)
            *start = i, *len = j - i;
        i = j > i ? j : i + 1;
    }
}

int addr_ipv6(char *buf, const uint8_t a[16])
{
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    int zs, zl, n = 0;
    zero_run(g, &zs, &zl);
    for (int i = 0; i < 8; i++) {
        if (i == zs) {
            n += snprintf(buf + n, (size_t)(ADDR_STRLEN - n), "::");
            i += zl - 1;
            continue;
        }
        if (i > 0 && i != zs + zl)
            buf[n++] = ':';
        n += snprintf(buf + n, (size_t)(ADDR_STRLEN - n), "%x", g[i]);
    }
    buf[n] = '\0';
    return n;
}

int addr_ip(char *buf, const uint8_t *a, int len)
{
    return len == 16 ? addr_ipv6(buf, a) : addr_ipv4(buf, a);
}
