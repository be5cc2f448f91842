/*
 * dec_resp.c - the RESP layer: Redis's protocol in a TCP segment (the reader is resp.c).
 *
 * A client sends each command as an array of bulk strings ("*3\r\n$7\r\nPUBLISH\r\n..."), the
 * server answers with any RESP value. One segment may hold several pipelined values, or only the
 * start of one (a large value spans segments): the layer describes the first and says so; TCP
 * reassembly (stream_msgs.c, resp_reader.c) shows each value whole, at the frame that ends it.
 * Try it on the capture ctest -R sniffer_resp_tshark makes of real redis-server traffic:
 *   sniffer -r build/tests/work/sniffer_resp_tshark/resp.pcap
 */
#include "dec_impl.h"
#include "resp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define RESP_TEXT_MAX 160 /* the summary is cut here (resp_describe ends it cleanly) */

bool dis_resp(dec_state *s, rd r, uint32_t wire, bool redis_port)
{
    if (r.len == 0)
        return false;
    resp_top top;
    resp_status st = resp_value(r.p, r.len, &top);
    if (st == RESP_BAD)
        return false;
    uint16_t values = 0;
    uint32_t at = 0;
    if (st == RESP_OK) {
        resp_top e;
        while (at < r.len && values < UINT16_MAX &&
               resp_value(r.p + at, r.len - at, &e) == RESP_OK) {
            at += e.size;
            values++;
        }
    }
    /* On another port only a payload of whole values, starting with an aggregate, is RESP:
     * "+x\r\n" alone could be any text line. */
    if (!redis_port && (st != RESP_OK || at != r.len || !strchr("*%~>", (char)r.p[0])))
        return false;
    dec_layer *l = dec_push(s, DEC_RESP, 7, &r, wire);
    if (l == NULL)
        return true;
    dec_resp *d = &l->u.resp;
    d->type = (char)r.p[0];
    d->values = values;
    d->more = st == RESP_MORE || at != r.len;
    d->size = st == RESP_OK ? top.size : 0;
    char text[RESP_TEXT_MAX];
    if (st == RESP_OK)
        resp_describe(r.p, r.len, text, sizeof text);
    else
        snprintf(text, sizeof text, "%c... (starts a value of more than %" PRIu32 " bytes)",
                 d->type, r.len);
    d->text = dec_strdup(s->pkt, text, (uint32_t)strlen(text));
    l->hdr = r.len;
    return true;
}
