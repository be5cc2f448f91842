/*
 * eio_packet.h - the Engine.IO v4 packet codec: bytes in, packets out, no sockets.
 *
 * What it teaches: Socket.IO rides on Engine.IO, a thin "session over any transport" layer.
 * Every Engine.IO packet is one type digit and an optional payload:
 *
 *   0 open     server -> client, once: 0{"sid":"...","upgrades":["websocket"],
 *                                        "pingInterval":25000,"pingTimeout":20000,
 *                                        "maxPayload":1000000}
 *   1 close    either side: the session is over
 *   2 ping     server -> client (or "2probe" from a client testing a new WebSocket)
 *   3 pong     the answer ("3probe" to a probe)
 *   4 message  the application's data: 4hello   (Socket.IO packets live here: 42["chat","hi"])
 *   5 upgrade  client -> server: "switch this session to the WebSocket I just probed"
 *   6 noop     "nothing", used to end a pending long-poll GET during an upgrade
 *
 * Over WebSocket, one frame is one packet: a text frame holds the digit and the text; a binary
 * frame is always a message and holds raw bytes (no digit). Over HTTP long-polling, one body
 * holds several packets joined by the record separator 0x1e, and a binary message travels as
 * "b" + base64 of its bytes, because a polling body is text:
 *
 *   4hello 0x1e 2 0x1e bAQIDBA==      (a message "hello", a ping, binary bytes 01 02 03 04)
 *
 * Interface:
 *   eio_decode_text / eio_decode_binary   one packet from a WebSocket frame
 *   eio_payload_next                       walk the packets of a polling body
 *   eio_encode_text / eio_encode_b64       one packet as text ("4hello", "bAQIDBA==")
 *   eio_type_name                          "message", for traces
 */
#ifndef WIRELAB_EIO_PACKET_H
#define WIRELAB_EIO_PACKET_H

#include <stddef.h>
#include <stdint.h>

typedef enum eio_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
} eio_type;

#define EIO_RECORD_SEP 0x1e /* joins the packets of one polling body */

/* Why a packet could not be decoded. Negative so they can be returned as errors. */
enum {
    EIO_E_EMPTY = -1,   /* a packet with no type digit at all (an empty record) */
    EIO_E_TYPE = -2,    /* the first character is not a digit 0-6 (nor "b" in polling) */
    EIO_E_BASE64 = -3,  /* a "b" record whose base64 does not decode */
    EIO_E_NOSPACE = -4, /* the caller's scratch buffer is too small for the decoded bytes */
};

/* One decoded packet. data points into the input (or into the caller's scratch for "b"). */
typedef struct eio_packet {
    eio_type type;
    int binary;          /* 1: data is raw bytes (a binary frame or a decoded "b" record) */
    const uint8_t *data; /* the payload after the type digit; may be empty */
    size_t len;
} eio_packet;

/* "open", "close", ... or "unknown". */
const char *eio_type_name(int type);
/* A sentence for an EIO_E_* code. */
const char *eio_strerror(int err);

/* Decode the payload of a WebSocket text frame ("4hello"). Returns 0 or an EIO_E_* code. */
int eio_decode_text(const uint8_t *s, size_t n, eio_packet *p);

/* A WebSocket binary frame: always a message of raw bytes. Never fails. */
void eio_decode_binary(const uint8_t *s, size_t n, eio_packet *p);

/*
 * Walk a polling body: *pos starts at 0. Each call decodes the record at *pos and moves *pos
 * past it and its separator. A "b" record is base64-decoded into scratch[0..cap) (the body's
 * length is always enough). Returns 1 with *p filled, 0 at the end of the body, or an EIO_E_*
 * code for a malformed record (the whole body must then be rejected: HTTP 400).
 */
int eio_payload_next(const uint8_t *body, size_t len, size_t *pos, uint8_t *scratch, size_t cap,
                     eio_packet *p);

/*
 * Write packet `type` with a text payload as "<digit><data>" into out (cap bytes).
 * Returns the length, or 0 if it does not fit.
 */
size_t eio_encode_text(char *out, size_t cap, eio_type type, const void *data, size_t len);

/* Bytes eio_encode_b64 needs for len bytes of binary data: "b" + base64 + the NUL. */
#define EIO_B64_LEN(len) (2 + (((len) + 2) / 3) * 4)

/* Write a binary message for a polling body: "b" + base64(data). Returns the length or 0. */
size_t eio_encode_b64(char *out, size_t cap, const uint8_t *data, size_t len);

#endif
