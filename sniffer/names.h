/*
 * names.h - {value, "name"} tables for protocol numbers, types and flags.
 *
 * What it teaches: protocols name their fields with numbers assigned by IANA (EtherTypes, IP
 * protocol numbers, ICMP types, DNS record types ...). A table per field, looked up by value,
 * keeps those numbers out of the dissectors' logic and gives every view the same names.
 *
 * Interface:
 *   names_lookup(table, value)   the name, or NULL when the value is not in the table
 *   names_or(table, value, dflt) the name, or dflt
 * Tables end with a {0, NULL} entry.
 */
#ifndef WIRELAB_NAMES_H
#define WIRELAB_NAMES_H

typedef struct name_entry {
    unsigned value;
    const char *name;
} name_entry;

const char *names_lookup(const name_entry *table, unsigned value);
const char *names_or(const name_entry *table, unsigned value, const char *dflt);

extern const name_entry names_ethertype[];   /* EtherType -> "IPv4", "ARP", ... */
extern const name_entry names_ipproto[];     /* IP protocol / IPv6 next header -> "TCP", ... */
extern const name_entry names_icmp[];        /* ICMP type -> "echo request", ... */
extern const name_entry names_icmpv6[];      /* ICMPv6 type */
extern const name_entry names_arp_op[];      /* 1 request, 2 reply */
extern const name_entry names_tcp_flag[];    /* bit -> "SYN" ... in the order FIN..CWR */
extern const name_entry names_tcp_opt[];     /* TCP option kind */
extern const name_entry names_ip_opt[];      /* IPv4 option type */
extern const name_entry names_dns_type[];    /* A, AAAA, CNAME ... */
extern const name_entry names_ws_opcode[];   /* WebSocket opcode */
extern const name_entry names_af[];          /* BSD address families (DLT_NULL) */
extern const name_entry names_sll_pkttype[]; /* to us, broadcast, outgoing ... */
extern const name_entry names_linktype[];    /* pcap link types */

#endif
