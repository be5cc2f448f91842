/*
 * sio_packet.h - the Socket.IO v5 packet codec, carried inside Engine.IO message packets.
 *
 * What it teaches: what `socket.emit("chat", "hi", ack)` puts on the wire. A Socket.IO packet is
 * text with up to five parts, only the first of which is always there:
 *
 *   <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
 *
 *   2["chat","hi"]              EVENT "chat" with one argument, main namespace "/"
 *   2/admin,12["chat","hi"]     the same in namespace /admin, asking for ack number 12
 *   3/admin,12["got it"]        ACK 12: the arguments the receiver's callback was called with
 *   0{"token":"abc"}            CONNECT to "/" with an auth payload
 *   0/admin,{"sid":"x1"}        the server's answer: the socket's id in /admin
 *   4/admin,{"message":"no"}    CONNECT_ERROR
 *   1/admin,                    DISCONNECT from /admin
 *   51-["up",{"_placeholder":true,"num":0}]   BINARY_EVENT with one attachment: the bytes
 *                               follow as the next Engine.IO message (a binary frame, or a "b"
 *                               record in a polling body), and the placeholder says where
 *   61-7[{"_placeholder":true,"num":0}]       BINARY_ACK 7 with one attachment
 *
 * Inside an Engine.IO message, an EVENT is therefore "42[...]": 4 = Engine.IO message,
 * 2 = Socket.IO EVENT.
 *
 * The codec finds the parts; the JSON data is only checked (sio_json.c), never rebuilt.
 *
 * Interface:
 *   sio_decode          split a packet into its parts (syntax only; no JSON parsed)
 *   sio_check_data      check the JSON data against what the type allows (no values built)
 *   sio_check_placeholders  a binary packet's placeholders, once its attachments are in
 *   sio_placeholder_num a binary attachment placeholder's number
 *   sio_encode          build a packet from its parts (malloc'd text)
 *   sio_describe        one line for a person/sniffer: "socket.io EVENT /chat ["message","hi"]
 * ack=12"
 */
#ifndef WIRELAB_SIO_PACKET_H
#define WIRELAB_SIO_PACKET_H

#include <stddef.h>
#include <stdint.h>

typedef enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6,
} sio_type;

#define SIO_MAX_ATTACHMENTS                                                                        \
    10 /* more attachments in one packet are refused (socket.io-parser 4.2.7's maxAttachments) */
#define SIO_MAX_ACK_ID 9007199254740991LL /* ack ids are JS numbers: exact up to 2^53 - 1 */
#define SIO_MAX_NSP    256                /* longest namespace name accepted */

/* Why a packet is malformed. The server closes the connection on any of them. */
enum {
    SIO_E_EMPTY = -1,       /* nothing at all */
    SIO_E_TYPE = -2,        /* the first character is not a digit 0-6 */
    SIO_E_ATTACHMENTS = -3, /* binary packet without "<n>-", or n out of range */
    SIO_E_NSP = -4,         /* namespace too long */
    SIO_E_ACKID = -5,       /* ack id too long to be exact */
    SIO_E_JSON = -6,        /* the data is not JSON */
    SIO_E_PAYLOAD = -7,     /* valid JSON, but not what the packet type allows */
    SIO_E_PLACEHOLDER = -8, /* a placeholder points at an attachment that does not exist */
    SIO_E_NOMEM = -9,
};

const char *sio_type_name(int type);      /* "EVENT", "BINARY_ACK", ... */
const char *sio_strerror(int err);        /* a sentence for an SIO_E_* code */
int sio_reserved_event(const char *name); /* connect, connect_error, disconnect, disconnecting,
                                             newListener, removeListener */

/* The parts of one packet. Pointers point into the decoded text. */
typedef struct sio_packet {
    sio_type type;
    size_t attachments; /* binary packets: how many Engine.IO binary messages follow */
    const char *nsp;    /* namespace ("/" when the packet names none); NOT NUL-terminated */
    size_t nsp_len;
    int64_t id;       /* ack id, or -1 when there is none */
    const char *data; /* the JSON text (may be empty: data_len 0); NOT NUL-terminated */
    size_t data_len;
} sio_packet;

/* Split s[0..n) into its parts. Returns 0 or an SIO_E_* code. JSON is not parsed yet. */
int sio_decode(const char *s, size_t n, sio_packet *p);

/*
 * Check p's data as socket.io-parser does, without turning it into values (sio_json.h says
 * why): one JSON text as JSON.parse accepts it, of the shape the type allows: CONNECT an
 * object or nothing; DISCONNECT nothing; CONNECT_ERROR an object or a string; EVENT a
 * non-empty array whose first element is a number or a non-reserved event name; ACK an array
 * (or nothing). Returns 0 or an SIO_E_* code. The data stays what it was: text the server
 * passes on as is.
 */
int sio_check_data(const sio_packet *p);

/*
 * A binary packet, once its attachments have all arrived (socket.io-parser checks no sooner):
 * every {"_placeholder":true,...} must have a "num" below p->attachments. 0 or
 * SIO_E_PLACEHOLDER. (With no attachments nothing is reconstructed, so nothing is checked.)
 */
int sio_check_placeholders(const sio_packet *p);

/* If json[0..len) is {"_placeholder":true,"num":N} with N a small non-negative integer, N;
 * otherwise -1. */
int sio_placeholder_num(const char *json, size_t len);

/*
 * Build "<type>[<n>-][<nsp>,][<id>]<json>". nsp NULL or "/" is left out; id < 0 is left out;
 * attachments is written for binary types only; json may be NULL. Returns malloc'd
 * NUL-terminated text (the caller frees) and its length in *len, or NULL when out of memory.
 */
char *sio_encode(sio_type type, const char *nsp, int64_t id, size_t attachments, const char *json,
                 size_t *len);

/*
 * The sniffer's view: describe an Engine.IO payload - a WebSocket text frame's payload or a
 * whole HTTP long-polling body (records joined by 0x1e) - as layer-7 lines, e.g.
 *   engine.io MESSAGE | socket.io EVENT /chat ["message","hi"] ack=12
 * Records of a polling body are separated by "; ". Never reads outside payload[0..len);
 * writes at most outlen bytes including the NUL (long data is cut and ends in "...").
 * Returns the number of records described, or -1 if payload is not Engine.IO at all.
 */
int sio_describe(const uint8_t *payload, size_t len, char *out, size_t outlen);

/* A WebSocket binary frame on an Engine.IO connection: "engine.io MESSAGE binary 3 bytes". */
int sio_describe_binary(size_t len, char *out, size_t outlen);

/*
 * The same for an HTTP message as it appears in one TCP segment (head, then as much body as
 * the segment holds): a long-polling request (its target contains "EIO=" : a POST body is the
 * client's packets) or a response with Content-Type text/plain (a GET's answer: the server's
 * packets). Only the body bytes present are described (a body cut by the segment end ends the
 * line with " [truncated]"). Returns the number of records, or -1 when the message is not
 * Engine.IO long-polling (or has no body here): the sniffer then shows plain HTTP.
 */
int sio_describe_http(const uint8_t *msg, size_t len, char *out, size_t outlen);

#endif
