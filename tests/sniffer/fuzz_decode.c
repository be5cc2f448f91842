/*
 * fuzz_decode.c - libFuzzer over the decoder and the views, for every link type.
 *
 * The first byte picks the link type, the second the flow's hints (bit 0 WebSocket, bits 1-3
 * bytes to skip, bits 4-5 bytes on the wire past the capture, bits 5-6 a cut frame header,
 * bit 7 an Engine.IO flow, whose frames and polling bodies go through events/'s sio_describe);
 * the rest is the frame. The pictures (--svg) draw each packet's layers, and every 256 inputs
 * the ladder, the time-sequence graph and the throughput of those packets. Whatever the bytes,
 * decoding, printing and drawing must never
 * read outside them (ASan) or overflow an integer (UBSan). ./wirelab test runs it briefly
 * (WIRELAB_FUZZ_SECONDS).
 */
#include "decode.h"
#include "flows.h"
#include "streams.h"
#include "view.h"
#include "view_svg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int links[] = {DEC_LINK_ETH,  DEC_LINK_SLL, DEC_LINK_SLL2, DEC_LINK_NULL,
                            DEC_LINK_LOOP, DEC_LINK_RAW, DEC_LINK_IPV4, DEC_LINK_IPV6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dec_packet pkt;
    static FILE *null;
    static flows *fl;
    static streams *st;
    static uint64_t frame;
    if (size < 2)
        return 0;
    if (null == NULL)
        null = fopen("/dev/null", "w"), fl = flows_new(), st = streams_new(NULL, NULL);
    int link = links[data[0] % (sizeof links / sizeof links[0])];
    /* Hints as a flow would give them: WebSocket or not, bytes of a frame to skip, and the
     * start of a frame header cut by the previous segment (taken from the input itself). */
    dec_hints h = {.websocket = data[1] & 1, .ws_skip = (data[1] >> 1) & 7};
    unsigned head = (data[1] >> 5) & 3;
    h.ws_head_len = (uint8_t)(head < size - 2 ? head : size - 2);
    h.engineio = data[1] >> 7; /* an Engine.IO flow: frames and polling bodies described */
    memcpy(h.ws_head, data + 2, h.ws_head_len);
    uint32_t n = (uint32_t)(size - 2);
    uint8_t *copy = malloc(n ? n : 1); /* exact size: one byte too far is an ASan error */
    memcpy(copy, data + 2, n);
    dec_decode(&pkt, link, copy, n, n + ((data[1] >> 4) & 3), &h);
    flow_info fi;
    flows_track(fl, &pkt, &fi);
    view_frame fr = {1, (int64_t)size << 29, (uint32_t)size * 99991u, data[1] & 4};
    view_opts o = {.color = data[1] & 2, .link = data[1] & 8, .verbose = data[1] & 1};
    /* the reassembler and the message readers keep state across inputs, as across packets */
    streams_packet(st, &pkt, &fi, ++frame);
    if (frame % 4096 == 0)
        streams_finish(st, frame);
    view_json(null, &fr, &pkt, NULL);
    view_line(null, &o, &fr, &pkt, &fi);
    view_layers(null, &o, &fr, &pkt, &fi);
    view_hex(null, &o, &pkt);
    view_ladder(null, &o, &fr, &pkt, &fi, NULL);
    static svg_cap cap;
    svg_buf b;
    svg_init(&b, SVG_MAX_BYTES);
    svg_layers(&b, &fr, &pkt, &fi);
    svg_cap_add(&cap, &o, &fr, &pkt, &fi, NULL);
    if (cap.n == 256) {
        svg_ladder(&b, &cap), svg_tcptrace(&b, &cap), svg_throughput(&b, &cap);
        svg_cap_free(&cap);
    }
    svg_free(&b);
    free(copy);
    return 0;
}
