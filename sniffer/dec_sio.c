/*
 * dec_sio.c - Engine.IO v4 and Socket.IO v5 packets (layer 7, above WebSocket or HTTP).
 *
 * What it teaches: Socket.IO is not a transport of its own. `socket.emit("message", "hi")`
 * becomes the text 42["message","hi"] (4 = Engine.IO MESSAGE, 2 = Socket.IO EVENT), which
 * travels either as one WebSocket text frame or inside the body of an HTTP long-polling
 * request or response, where several packets are joined by the record separator 0x1e:
 *
 *   WebSocket:  [frame header][42/chat,12["message","hi"]]   one Engine.IO packet per frame
 *   polling:    POST /socket.io/?EIO=4&transport=polling&sid=...   body: 42[...] 0x1e 3
 *
 * This file pushes a DEC_SIO layer after the frame or the HTTP message that carries them; the
 * text of the layer is made by events/'s own codec (sio_packet.h: sio_describe, the same parser
 * events_server uses), so the sniffer reads the packets exactly as the server does.
 *
 * When: only on a flow known to be Engine.IO (a request whose target has "EIO=" was seen on it,
 * see flows.c), except for that request itself, which says so in its own target. A WebSocket
 * text frame is described only when its whole payload is in this segment (client frames are
 * unmasked into a scratch buffer first); a binary frame is a Socket.IO attachment and only its
 * length is shown. A compressed frame (RSV1, permessage-deflate) cannot be read and is left alone.
 */
#include "dec_impl.h"
#include "sio_packet.h"
#include "ws_frame.h"

#include <string.h>

#define SIO_SCRATCH 2048 /* bytes of a frame's payload looked at: one packet's data is shown   */
                         /* cut to 160 characters anyway, and its type, namespace and ack id */
                         /* come first */
#define SIO_TEXT 320     /* longest description kept per layer (sio_describe cuts safely) */

/* The layer over the bytes r (the frame payload or the HTTP body; wire of them on the wire). */
static void sio_push(dec_state *s, rd r, uint32_t wire, const char *text, int records)
{
    dec_layer *l = dec_push(s, DEC_SIO, 7, &r, wire);
    if (l == NULL)
        return;
    l->u.sio.text = dec_strdup(s->pkt, text, (uint32_t)strlen(text));
    l->u.sio.records = (uint16_t)records;
}

/*
 * After a WebSocket frame header w: payload is the frame's captured payload in this segment,
 * wire its length on the wire (within this segment). Pushes a DEC_SIO layer or nothing.
 */
void dis_sio_ws(dec_state *s, const dec_ws *w, rd payload, uint32_t wire)
{
    char text[SIO_TEXT];
    int n = -1;
    if (!s->hints->engineio || !w->fin || w->rsv != 0)
        return;
    if (w->opcode == 2) {
        n = sio_describe_binary((size_t)w->payload_len, text, sizeof text);
    } else if (w->opcode == 1 && !w->continues && payload.len == w->payload_len) {
        uint8_t clear[SIO_SCRATCH];
        uint32_t k = payload.len < SIO_SCRATCH ? payload.len : SIO_SCRATCH;
        if (w->masked) /* RFC 6455 5.3: byte i is XORed with mask[i % 4] */
            ws_mask_copy(clear, payload.p, k, w->mask, 0);
        else
            memcpy(clear, payload.p, k);
        n = sio_describe(clear, k, text, sizeof text);
    }
    if (n > 0)
        sio_push(s, payload, wire, text, n);
}

/*
 * After an HTTP message whose header section ends at body_off in msg (msg: the captured bytes
 * of the message in this segment; body_wire: the body bytes on the wire in this segment).
 * A request describes itself (its target has "EIO="); a response only on an Engine.IO flow.
 */
void dis_sio_http(dec_state *s, bool request, rd msg, uint32_t body_off, uint32_t body_wire)
{
    char text[SIO_TEXT];
    if (!request && !s->hints->engineio)
        return;
    int n = sio_describe_http(msg.p, msg.len, text, sizeof text);
    if (n > 0)
        sio_push(s, rd_sub(&msg, body_off, msg.len), body_wire, text, n);
}
