/*
 * sniffer - capture packets (libpcap) and show them layer by layer.
 *
 *   sudo build/bin/sniffer                      live on lo, one line per packet (like tcpdump -nn)
 *   sudo build/bin/sniffer -f 'tcp port 7007' --layers -x     the OSI tree and the coloured bytes
 *   build/bin/sniffer -r capture.pcap --ladder  the conversations as sequence diagrams
 *   build/bin/sniffer -r capture.pcap --stats   per-protocol packets, bytes and overhead
 *   build/bin/sniffer -r capture.pcap --json    JSON Lines for scripts (README.md: the contract)
 *   build/bin/sniffer -r capture.pcap --svg ladder > ladder.svg   a picture (also tcptrace,
 *                                               throughput, layers --frame N)
 *   build/bin/sniffer -r capture.pcap --follow 2   conversation 2's bytes both ways, and its
 *                                               messages (Wireshark's "Follow TCP Stream")
 *   build/bin/sniffer --web -r capture.pcap     the packets in the browser (web.c)
 *
 * The work is split the way the course splits it: capture.c (libpcap, the thread and the ring),
 * decode.c and dec_*.c (pure: bytes in, layers out), flows.c (what we remember between packets),
 * streams.c (TCP reassembly: whole messages across segments), view_*.c (printing). This file
 * only wires them together.
 */
#include "capture.h"
#include "decode.h"
#include "flows.h"
#include "names.h"
#include "streams.h"
#include "view.h"
#include "view_svg.h"
#include "web.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct app {
    view_opts vo;
    bool layers, hex, ladder, stats, json, line;
    uint64_t only;   /* --frame N: decode everything, show only frame N */
    uint64_t follow; /* --follow N: only conversation N's bytes and messages */
    int linktype;
    uint64_t frames;
    flows *flows;
    streams *streams;
    view_msgs msgs; /* completed at the current frame */
    int follow_dir; /* the direction last printed by --follow (-1: none yet) */
    stats *st;
    dec_packet pkt;
    svg_run svg;   /* --svg KIND: a picture, written at the end (view_svg.h) */
    bool svg_fail; /* it could not be written */
} app;

static capture *g_cap; /* for the SIGINT handler */

static void usage(FILE *out)
{
    fputs("usage: sniffer [-i IFACE] [-f FILTER] [-c COUNT] [-w FILE] [-r FILE] [--list]\n"
          "               [--layers] [-x] [-e] [-v] [--ladder] [--stats] [--json] [--absolute]\n"
          "               [--frame N] [--follow N] [--svg ladder|tcptrace|throughput|layers]\n"
          "       sniffer --web [PORT] [-i IFACE | -r FILE] [-f FILTER]   (sniffer --web --help)\n"
          "  -i IFACE     capture live on IFACE (default lo; needs root or cap_net_raw)\n"
          "  -f FILTER    only packets matching this BPF filter, e.g. 'tcp port 7007'\n"
          "  -c COUNT     stop after COUNT packets\n"
          "  -w FILE      also save the packets to FILE (pcap; opens in Wireshark)\n"
          "  -r FILE      read packets from a pcap file instead of capturing\n"
          "  --list       show the interfaces you can capture on\n"
          "  --layers     each packet as a tree by OSI layer, every field explained\n"
          "  -x           the bytes in hex, coloured (or bracketed) by layer\n"
          "  -e           start each line with the Ethernet addresses (MACs) and type\n"
          "  -v           show the IPv4 header's fields too (ttl, id, fragment offset, flags)\n"
          "  --ladder     a sequence diagram per conversation (client left, server right)\n"
          "  --stats      at the end, a table per protocol: packets, bytes, overhead\n"
          "  --json       JSON Lines, one object per packet (a stable contract)\n"
          "  --absolute   raw TCP sequence numbers instead of relative ones\n"
          "  --frame N    show only frame N (the ones before it are still decoded, so its\n"
          "               conversation is known: relative numbers, WebSocket after an upgrade)\n"
          "  --follow N   conversation N's bytes both ways, then the messages read from them\n"
          "               (the number is the one --ladder shows: 'conversation N')\n"
          "  --svg KIND   a picture on stdout, as SVG: ladder (sequence diagram), tcptrace\n"
          "               (TCP sequence vs time, UDP arrivals), throughput (bytes per second\n"
          "               per conversation), layers (one packet as nested boxes; --frame N)\n",
          out);
}

static void on_signal(int sig)
{
    (void)sig;
    if (g_cap)
        cap_stop(g_cap);
}

/* A message reassembly completed (streams.h): kept for the views of this frame. */
static void on_message(void *user, uint64_t conv, const smsg *m)
{
    app *a = user;
    if (a->follow) {
        if (conv == a->follow) {
            char words[SMSG_SUMMARY + 256];
            view_msg_words(words, sizeof words, m);
            printf("\n>>> message %s: %s\n", m->dir == 0 ? "client > server" : "server > client",
                   words);
            if (m->text[0])
                printf(">>>   %s\n", m->text);
        }
        return;
    }
    if (a->msgs.n < VIEW_MSGS) {
        a->msgs.conv[a->msgs.n] = conv;
        a->msgs.m[a->msgs.n++] = *m;
    } else {
        a->msgs.more++;
    }
}

/* --follow: the bytes as the application received them, text as it is and other bytes as
 * '.', each run headed by its direction (as Wireshark's "Follow TCP Stream"). */
static void on_follow(void *user, int dir, const uint8_t *p, uint32_t n, uint32_t gap,
                      uint64_t frame)
{
    app *a = user;
    if (dir != a->follow_dir || gap)
        printf("%s--- %s (frame %llu)\n", a->follow_dir < 0 ? "" : "\n",
               dir == 0 ? "client > server" : "server > client", (unsigned long long)frame);
    a->follow_dir = gap ? -2 : dir;
    if (gap) {
        printf("[%u bytes not captured]\n", gap);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        putchar(c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '.');
    }
}

/* Decode, remember, print: called once per packet, on the main thread. */
static void on_packet(void *user, const sring_hdr *h, const uint8_t *bytes)
{
    app *a = user;
    view_frame fr = {++a->frames, h->sec, h->frac, h->nano};
    dec_hints hints;
    flow_info fi;
    dec_decode(&a->pkt, a->linktype, bytes, h->caplen, h->len, NULL);
    flows_hints(a->flows, &a->pkt, &hints);
    /* the flow is WebSocket now (decode the payload as frames) or Engine.IO (describe it) */
    if (hints.websocket || hints.engineio)
        dec_decode(&a->pkt, a->linktype, bytes, h->caplen, h->len, &hints);
    flows_track(a->flows, &a->pkt, &fi);
    a->msgs.n = a->msgs.more = 0;
    streams_packet(a->streams, &a->pkt, &fi, fr.n);
    if (a->follow) /* only that conversation's bytes (on_follow) and messages (on_message) */
        return;
    if (a->stats)
        stats_add(a->st, &a->pkt, &fi);
    if (a->only && fr.n != a->only)
        return;
    if (a->only && g_cap) /* the frame asked for: nothing after it is needed */
        cap_stop(g_cap);
    if (a->json)
        view_json(stdout, &fr, &a->pkt, &a->msgs);
    if (a->line) {
        view_line(stdout, &a->vo, &fr, &a->pkt, &fi);
        view_msgs_text(stdout, &a->msgs, false);
    }
    if (a->layers) {
        view_layers(stdout, &a->vo, &fr, &a->pkt, &fi);
        view_msgs_text(stdout, &a->msgs, false);
    }
    if (a->ladder)
        view_ladder(stdout, &a->vo, &fr, &a->pkt, &fi, &a->msgs);
    if (a->svg.kind)
        svg_run_packet(&a->svg, &a->vo, &fr, &a->pkt, &fi, &a->msgs);
    if (a->hex)
        view_hex(stdout, &a->vo, &a->pkt);
}

static void print_iface(void *user, const char *name, const char *desc, bool loopback, bool up)
{
    (void)user;
    printf("%-16s %-4s %s%s\n", name, up ? "up" : "down", loopback ? "(loopback) " : "", desc);
}

enum {
    OPT_LIST = 256,
    OPT_LAYERS,
    OPT_LADDER,
    OPT_STATS,
    OPT_JSON,
    OPT_ABSOLUTE,
    OPT_FRAME,
    OPT_FOLLOW,
    OPT_SVG,
    OPT_HELP
};

static int parse_args(int argc, char **argv, app *a, cap_cfg *cfg, uint64_t *count, bool *list)
{
    static const struct option longs[] = {{"list", no_argument, 0, OPT_LIST},
                                          {"layers", no_argument, 0, OPT_LAYERS},
                                          {"ladder", no_argument, 0, OPT_LADDER},
                                          {"stats", no_argument, 0, OPT_STATS},
                                          {"json", no_argument, 0, OPT_JSON},
                                          {"absolute", no_argument, 0, OPT_ABSOLUTE},
                                          {"frame", required_argument, 0, OPT_FRAME},
                                          {"follow", required_argument, 0, OPT_FOLLOW},
                                          {"svg", required_argument, 0, OPT_SVG},
                                          {"help", no_argument, 0, OPT_HELP},
                                          {0, 0, 0, 0}};
    int o;
    char *end;
    while ((o = getopt_long(argc, argv, "i:f:c:w:r:xevh", longs, NULL)) != -1) {
        switch (o) {
        case 'i':
            cfg->iface = optarg;
            break;
        case 'f':
            cfg->filter = optarg;
            break;
        case 'w':
            cfg->write_file = optarg;
            break;
        case 'r':
            cfg->read_file = optarg;
            break;
        case 'x':
            a->hex = true;
            break;
        case 'e':
            a->vo.link = true;
            break;
        case 'v':
            a->vo.verbose = true;
            break;
        case 'c':
            *count = strtoull(optarg, &end, 10);
            if (*end || *count == 0 || optarg[0] == '-') {
                fprintf(stderr, "sniffer: -c wants a positive number of packets, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_LIST:
            *list = true;
            break;
        case OPT_LAYERS:
            a->layers = true;
            break;
        case OPT_LADDER:
            a->ladder = true;
            break;
        case OPT_STATS:
            a->stats = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_ABSOLUTE:
            a->vo.absolute = true;
            break;
        case OPT_FRAME:
            a->only = strtoull(optarg, &end, 10);
            if (*end || a->only == 0 || optarg[0] == '-') {
                fprintf(stderr,
                        "sniffer: --frame wants a frame number (1 is the first), not "
                        "'%s'\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_FOLLOW:
            a->follow = strtoull(optarg, &end, 10);
            if (*end || a->follow == 0 || optarg[0] == '-') {
                fprintf(stderr,
                        "sniffer: --follow wants a conversation number (as --ladder numbers "
                        "them, from 1), not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_SVG:
            svg_run_init(&a->svg, svg_kind_parse(optarg), 0);
            if (a->svg.kind == SVG_NONE) {
                fprintf(stderr,
                        "sniffer: --svg draws ladder, tcptrace, throughput or layers, not "
                        "'%s'\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sniffer: unexpected argument '%s' (a filter goes after -f)\n",
                argv[optind]);
        return -1;
    }
    if (a->follow && (a->json || a->layers || a->ladder || a->hex || a->stats || a->only)) {
        fputs("sniffer: --follow shows one conversation on its own; leave out the other views\n",
              stderr);
        return -1;
    }
    if (a->json && (a->layers || a->ladder || a->hex)) {
        fputs("sniffer: --json cannot be mixed with --layers, --ladder or -x\n", stderr);
        return -1;
    }
    if (a->svg.kind && (a->json || a->layers || a->ladder || a->hex || a->follow || a->stats)) {
        fputs("sniffer: --svg writes only the picture to stdout; leave out the other views\n",
              stderr);
        return -1;
    }
    a->svg.frame = a->only; /* --svg layers draws frame N (the first when not given) */
    /* The one-line view is the default, unless another view or only --stats was asked for. */
    a->line = !a->json && !a->layers && !a->ladder && !a->stats && !a->follow && !a->svg.kind;
    return 0;
}

static void print_counts(capture *c)
{
    cap_counts k;
    cap_counts_get(c, &k);
    if (!k.live) {
        fprintf(stderr, "%llu packets read\n", (unsigned long long)k.delivered);
        return;
    }
    fprintf(stderr,
            "%llu packets shown\n%llu packets received by filter (libpcap)\n"
            "%llu packets dropped by kernel\n",
            (unsigned long long)k.delivered, (unsigned long long)k.received,
            (unsigned long long)k.dropped);
    if (k.ring_dropped)
        fprintf(stderr, "%llu packets dropped because the printer fell behind the capture\n",
                (unsigned long long)k.ring_dropped);
}

/* This binary's path, for the setcap advice (NULL when /proc is not there). */
static const char *self_path(void)
{
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    return self;
}

static int list_interfaces(void)
{
    char err[512];
    if (cap_list(print_iface, NULL, err, sizeof err) < 0)
        return fprintf(stderr, "sniffer: %s\n", err), 1;
    return 0;
}

/* Output buffering, the tables, Ctrl-C. */
static int app_start(app *a, capture *c, const cap_cfg *cfg)
{
    static char obuf[1 << 16];
    /* Ctrl-C and SIGTERM first, before the line that scripts wait for: a script that sends
     * SIGINT as soon as it sees that line must find the handler in place. (A background job
     * of a non-interactive shell starts with SIGINT ignored, so a signal that came earlier
     * would be lost, and the capture would never stop.) */
    g_cap = c;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    a->linktype = cap_linktype(c);
    if (cfg->read_file == NULL) /* tests wait for this line before they make traffic */
        fprintf(stderr, "sniffer: listening on %s, link type %s, snapshot length 262144\n",
                cfg->iface ? cfg->iface : "lo",
                names_or(names_linktype, (unsigned)a->linktype, "?"));
    if (!dec_linktype_known(a->linktype))
        fprintf(stderr, "sniffer: link type %d is not one the decoder knows; showing raw data\n",
                a->linktype);
    a->flows = flows_new();
    a->st = stats_new();
    a->streams = streams_new(on_message, a);
    a->follow_dir = -1;
    if (a->follow && a->streams)
        streams_follow(a->streams, a->follow, on_follow, a);
    if (a->flows == NULL || a->st == NULL || a->streams == NULL)
        return fprintf(stderr, "sniffer: out of memory\n"), -1;
    if (cfg->read_file) /* a file: write whole blocks, not a write per line */
        setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    else /* live: show each packet as it comes */
        setvbuf(stdout, NULL, _IOLBF, 0);
    /* Only the main thread prints: skip stdio's per-call locking (glibc), a third of the time
     * of the verbose views. */
    __fsetlocking(stdout, FSETLOCKING_BYCALLER);
    return 0;
}

static void app_finish(app *a, capture *c)
{
    /* The capture ended: messages still waiting for bytes are shown as cut, and a response
     * whose body ends with the connection is complete. */
    a->msgs.n = a->msgs.more = 0;
    streams_finish(a->streams, a->frames);
    if (a->line || a->layers)
        view_msgs_text(stdout, &a->msgs, false);
    if (a->follow && a->follow_dir == -1)
        fprintf(stderr, "sniffer: no TCP bytes in conversation %llu (--ladder lists them)\n",
                (unsigned long long)a->follow);
    else if (a->follow)
        putchar('\n');
    if (a->stats) /* with --json, stdout stays pure JSON Lines: the table goes to stderr */
        stats_print(a->json ? stderr : stdout, a->st);
    if (a->svg.kind)
        a->svg_fail = svg_run_finish(&a->svg, stdout, stderr) < 0;
    fflush(stdout);
    print_counts(c);
    cap_close(c);
    flows_free(a->flows);
    streams_free(a->streams);
    stats_free(a->st);
}

int main(int argc, char **argv)
{
    static app a;
    cap_cfg cfg = {.self = self_path()};
    uint64_t count = 0;
    bool list = false;
    char err[512];
    if (web_wanted(argc, argv)) /* the live view in the browser: a program of its own */
        return web_main(argc, argv, cfg.self);
    a.vo.color = isatty(STDOUT_FILENO);
    if (parse_args(argc, argv, &a, &cfg, &count, &list) < 0)
        return usage(stderr), 2;
    if (list)
        return list_interfaces();
    capture *c = cap_open(&cfg, err, sizeof err);
    if (c == NULL)
        return fprintf(stderr, "sniffer: %s\n", err), 1;
    if (app_start(&a, c, &cfg) < 0)
        return 1;
    int rc = cap_run(c, count, on_packet, &a, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "sniffer: %s\n", err);
    app_finish(&a, c);
    return rc < 0 || a.svg_fail ? 1 : 0;
}
