/*
 * names.c - the {value, "name"} tables (see names.h). Numbers from the IANA registries named
 * above each table; only the ones a student is likely to meet on a lab machine.
 */
#include "names.h"

#include <stddef.h>

const char *names_lookup(const name_entry *table, unsigned value)
{
    for (const name_entry *e = table; e->name != NULL; e++)
        if (e->value == value)
            return e->name;
    return NULL;
}

const char *names_or(const name_entry *table, unsigned value, const char *dflt)
{
    const char *n = names_lookup(table, value);
    return n ? n : dflt;
}

/* IANA "IEEE 802 Numbers": what the 2-byte type after the MAC addresses means. */
const name_entry names_ethertype[] = {
    {0x0800, "IPv4"},        {0x0806, "ARP"},          {0x86dd, "IPv6"},
    {0x8100, "802.1Q VLAN"}, {0x88a8, "802.1ad QinQ"}, {0x8035, "RARP"},
    {0x88cc, "LLDP"},        {0x8847, "MPLS"},         {0x0000, NULL},
};

/* IANA "Assigned Internet Protocol Numbers": the IPv4 protocol / IPv6 next header field. */
const name_entry names_ipproto[] = {
    {0, "IPv6 hop-by-hop"},
    {1, "ICMP"},
    {2, "IGMP"},
    {4, "IPv4-in-IP"},
    {6, "TCP"},
    {17, "UDP"},
    {41, "IPv6-in-IP"},
    {43, "IPv6 routing"},
    {44, "IPv6 fragment"},
    {47, "GRE"},
    {50, "ESP"},
    {51, "AH"},
    {58, "ICMPv6"},
    {59, "no next header"},
    {60, "IPv6 destination options"},
    {132, "SCTP"},
    {0, NULL},
};

/* IANA "ICMP Type Numbers" (RFC 792). */
const name_entry names_icmp[] = {
    {0, "echo reply"},           {3, "destination unreachable"},
    {4, "source quench"},        {5, "redirect"},
    {8, "echo request"},         {9, "router advertisement"},
    {10, "router solicitation"}, {11, "time exceeded"},
    {12, "parameter problem"},   {13, "timestamp"},
    {14, "timestamp reply"},     {0, NULL},
};

/* IANA "ICMPv6 Parameters" (RFC 4443, RFC 4861). */
const name_entry names_icmpv6[] = {
    {1, "destination unreachable"},
    {2, "packet too big"},
    {3, "time exceeded"},
    {4, "parameter problem"},
    {128, "echo request"},
    {129, "echo reply"},
    {133, "router solicitation"},
    {134, "router advertisement"},
    {135, "neighbor solicitation"},
    {136, "neighbor advertisement"},
    {137, "redirect"},
    {143, "MLDv2 report"},
    {0, NULL},
};

const name_entry names_arp_op[] = {
    {1, "request"}, {2, "reply"}, {3, "RARP request"}, {4, "RARP reply"}, {0, NULL},
};

/* TCP flag bits in the order tcpdump and the --json contract list them. */
const name_entry names_tcp_flag[] = {
    {0x01, "FIN"}, {0x02, "SYN"}, {0x04, "RST"}, {0x08, "PSH"}, {0x10, "ACK"},
    {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"}, {0, NULL},
};

/* IANA "TCP Option Kind Numbers". */
const name_entry names_tcp_opt[] = {
    {0, "EOL"},
    {1, "NOP"},
    {2, "MSS"},
    {3, "window scale"},
    {4, "SACK permitted"},
    {5, "SACK"},
    {8, "timestamps"},
    {28, "user timeout"},
    {29, "TCP-AO"},
    {30, "MPTCP"},
    {34, "TCP Fast Open"},
    {0, NULL},
};

/* IANA "IP Option Numbers" (the full type byte: copy flag, class, number). */
const name_entry names_ip_opt[] = {
    {0, "EOL"},
    {1, "NOP"},
    {7, "record route"},
    {68, "timestamp"},
    {130, "security"},
    {131, "loose source route"},
    {137, "strict source route"},
    {148, "router alert"},
    {0, NULL},
};

/* IANA "DNS Resource Record (RR) TYPEs". */
const name_entry names_dns_type[] = {
    {1, "A"},     {2, "NS"},   {5, "CNAME"}, {6, "SOA"},    {12, "PTR"},  {15, "MX"}, {16, "TXT"},
    {28, "AAAA"}, {33, "SRV"}, {41, "OPT"},  {65, "HTTPS"}, {255, "ANY"}, {0, NULL},
};

/* RFC 6455 section 5.2. */
const name_entry names_ws_opcode[] = {
    {0, "continuation"}, {1, "text"},  {2, "binary"}, {8, "close"},
    {9, "ping"},         {10, "pong"}, {0, NULL},
};

/* Address families as BSD loopback (DLT_NULL) headers carry them. IPv6 differs per OS. */
const name_entry names_af[] = {
    {2, "IPv4"},
    {10, "IPv6 (Linux)"},
    {24, "IPv6 (NetBSD/OpenBSD)"},
    {28, "IPv6 (FreeBSD)"},
    {30, "IPv6 (macOS)"},
    {0, NULL},
};

/* Linux packet types (linux/if_packet.h). */
const name_entry names_sll_pkttype[] = {
    {0, "to us"},           {1, "broadcast"},  {2, "multicast"},
    {3, "to another host"}, {4, "sent by us"}, {0, NULL},
};

const name_entry names_linktype[] = {
    {0, "BSD loopback (NULL)"},
    {1, "Ethernet"},
    {12, "raw IP"},
    {101, "raw IP"},
    {108, "OpenBSD loopback"},
    {113, "Linux cooked (SLL)"},
    {228, "raw IPv4"},
    {229, "raw IPv6"},
    {276, "Linux cooked v2 (SLL2)"},
    {0, NULL},
};
