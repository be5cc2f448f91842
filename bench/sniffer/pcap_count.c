/*
 * pcap_count.c - the benchmark's floor: read a pcap file with libpcap and count the packets,
 * nothing else. No tool that reads a file through libpcap can be faster than this.
 *
 *   cc -O2 -o pcap_count pcap_count.c -lpcap && ./pcap_count big.pcap
 */
#include <pcap/pcap.h>
#include <stdio.h>

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)h, (void)bytes;
    (*(unsigned long long *)user)++;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    unsigned long long n = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_count FILE.pcap\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcap_count: cannot read %s: %s\n", argv[1], err);
        return 1;
    }
    pcap_loop(p, -1, count, (u_char *)&n);
    pcap_close(p);
    printf("%llu packets\n", n);
    return 0;
}
