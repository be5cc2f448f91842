/*
 * adapter_msg.h - the messages socket.io servers exchange through Redis (npm
 * @socket.io/redis-adapter 8.x), as a pure codec: bytes in, structs out, and back.
 *
 * What it teaches: what a cluster of Socket.IO servers says to itself. Every server publishes
 * each broadcast it makes on a Redis channel; every other server receives it and delivers it
 * to its own clients. Questions that need every server's answer (which sockets are in a room?)
 * are requests on one channel and answers on another. The format (events/README.md, "The Redis
 * adapter", cites the adapter's source file by file):
 *
 *   channel                          payload
 *   socket.io#/#                     MessagePack [uid, packet, opts]: a broadcast to the whole
 *   socket.io#/#room#                namespace, or to exactly one room (the room in the name)
 *   socket.io-request#/#             a request: JSON {"uid","requestId","type",...}, except a
 *                                    broadcast with acks (MessagePack, like broadcasts)
 *   socket.io-response#/#            the answers: JSON, except each client's ack of a
 *                                    broadcast (MessagePack)
 *
 *   packet = {"type": 2, "data": ["event", ...args], "nsp": "/"}   (socket.io-parser's packet)
 *   opts   = {"rooms": [...], "except": [...], "flags": {...}}
 *
 * Socket.IO's own packets carry arguments as JSON text with binary attachments beside them;
 * here they are MessagePack values, where a binary is a value of its own (bin 8/16/32). So
 * the codec converts: MessagePack to JSON text with {"_placeholder":true,"num":N} for each
 * binary (and the bytes in bins[N]), and back. Numbers cross as MessagePack integers or
 * float 64, as JavaScript's own encoder (notepack.io) writes them.
 *
 * Every function here is pure: no sockets, no Redis. Limits: ADAPTER_MAX_DEPTH levels of
 * nesting, ADAPTER_MAX_VALUES values, ADAPTER_MAX_ROOMS rooms (and except rooms) per message,
 * SIO_MAX_ATTACHMENTS binaries; a message over them is refused with ADAPTER_E_LIMIT. Every
 * length a MessagePack message declares is checked against the bytes that are there before
 * msgpack-c reads it (mp_check in adapter_msg.c).
 */
#ifndef WIRELAB_ADAPTER_MSG_H
#define WIRELAB_ADAPTER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sio_packet.h"
#include "sio_server.h"

#define ADAPTER_MAX_DEPTH  32         /* nesting of arrays and maps in one message */
#define ADAPTER_MAX_ROOMS  256        /* rooms or except rooms named by one message */
#define ADAPTER_MAX_ID     64         /* longest uid / requestId accepted */
#define ADAPTER_MAX_VALUES (1u << 20) /* values in one MessagePack message */

enum {
    ADAPTER_E_MALFORMED = -40, /* not MessagePack / JSON of the expected shape */
    ADAPTER_E_LIMIT = -41,     /* deeper, or more rooms or binaries, than the limits */
    ADAPTER_E_NOMEM = -42,
};

/* The request types of @socket.io/redis-adapter 8.x (its RequestType enum, in this order). */
typedef enum adapter_type {
    ADAPTER_SOCKETS = 0,
    ADAPTER_ALL_ROOMS = 1,
    ADAPTER_REMOTE_JOIN = 2,
    ADAPTER_REMOTE_LEAVE = 3,
    ADAPTER_REMOTE_DISCONNECT = 4,
    ADAPTER_REMOTE_FETCH = 5,
    ADAPTER_SERVER_SIDE_EMIT = 6,
    ADAPTER_BROADCAST = 7,
    ADAPTER_BROADCAST_CLIENT_COUNT = 8,
    ADAPTER_BROADCAST_ACK = 9,
} adapter_type;

/* Flags of opts.flags that matter to a receiver. */
enum { ADAPTER_VOLATILE = 1, ADAPTER_LOCAL = 2 };

/* A list of room names (each malloc'd, NUL-terminated). */
typedef struct adapter_rooms {
    char **names;
    size_t n;
} adapter_rooms;

/* A packet between servers: what a broadcast carries, and a broadcast-with-acks request. */
typedef struct adapter_packet {
    int type;      /* 2 EVENT or 5 BINARY_EVENT (both are events) */
    char *nsp;     /* "/" when the sender left it out */
    char *json;    /* data as JSON text: ["event", ...args], binaries as placeholders */
    sio_bin *bins; /* the binaries, in placeholder order (malloc'd copies) */
    size_t nbins;
    int64_t id; /* the ack id of a broadcast with acks; -1 without */
} adapter_packet;

/* A broadcast: [uid, packet, opts]. */
typedef struct adapter_bcast {
    char *uid;
    adapter_packet packet;
    adapter_rooms rooms, except;
    unsigned flags; /* ADAPTER_VOLATILE | ADAPTER_LOCAL */
} adapter_bcast;

/* A request (from another server), or a response (to one of ours). Fields a type does not
 * use are NULL / empty / -1. */
typedef struct adapter_req {
    int type;         /* adapter_type; -1 when absent (responses to SOCKETS and the like) */
    char *uid;        /* the sender's uid */
    char *request_id; /* requestId */
    int has_opts;     /* opts was present: rooms / except below select the sockets */
    adapter_rooms rooms, except;
    adapter_rooms targets; /* REMOTE_JOIN / REMOTE_LEAVE: the rooms to join or leave;
                              SOCKETS: the rooms whose sockets are asked for */
    char *sid, *room;      /* the older form of REMOTE_JOIN / LEAVE / DISCONNECT (adapter 7.x):
                              one socket by id, one room; answered {"requestId"} */
    int close;             /* REMOTE_DISCONNECT: close the whole connection */
    char *data;            /* SERVER_SIDE_EMIT: data's JSON text; a response's data too */
    char *sockets;         /* a response's "sockets" array as JSON text */
    char *room_list;       /* a response's "rooms" array as JSON text */
    long client_count;     /* BROADCAST_CLIENT_COUNT: clientCount; -1 without */
    adapter_packet packet; /* BROADCAST: the packet; BROADCAST_ACK: packet (the ack's argument)
                              as JSON text in packet.json */
    unsigned flags;        /* BROADCAST: opts.flags */
    long timeout;          /* BROADCAST: opts.flags.timeout in ms; -1 without */
} adapter_req;

/*
 * Decode a broadcast message (the payload of socket.io#<nsp>#...). Returns 0 and fills b
 * (free it with adapter_bcast_free), or ADAPTER_E_*; on error b holds nothing to free.
 */
int adapter_decode_bcast(const uint8_t *buf, size_t len, adapter_bcast *b);
void adapter_bcast_free(adapter_bcast *b);

/*
 * Encode a broadcast: [uid, {"type":2,"data":[event,...args],"nsp":nsp},
 * {"rooms":[...],"except":[...],"flags":{...}}] as MessagePack. args is a JSON array's text
 * (or NULL), bins its attachments. t gives rooms, except rooms and SIO_VOLATILE; sender (or
 * NULL) is the id of the socket to leave out (t->except_socket's), appended to except as
 * socket.io does. *out is malloc'd (free it).
 * Returns 0 or ADAPTER_E_*.
 */
int adapter_encode_bcast(const char *uid, const char *nsp, const char *event, const char *args,
                         const sio_bin *bins, size_t nbins, const sio_target *t, const char *sender,
                         uint8_t **out, size_t *len);

/*
 * Decode a request or a response: JSON when it starts with '{', else MessagePack (as the
 * adapter itself decides). Returns 0 (free r with adapter_req_free) or ADAPTER_E_*.
 */
int adapter_decode_req(const uint8_t *buf, size_t len, adapter_req *r);
void adapter_req_free(adapter_req *r);

/* MessagePack bytes as JSON text with binary placeholders (malloc'd, NUL-terminated); the
 * binaries are copied into *bins (malloc'd array of malloc'd copies: adapter_bins_free).
 * Returns 0 or ADAPTER_E_*. */
int adapter_msgpack_to_json(const uint8_t *buf, size_t len, char **json, sio_bin **bins,
                            size_t *nbins);
void adapter_bins_free(sio_bin *bins, size_t nbins);

/* The other way: checked JSON text as MessagePack, each {"_placeholder":true,"num":N} (N below
 * nbins) as the binary bins[N], numbers as a JavaScript encoder writes them (an integer when
 * whole and within 2^53, else float 64). *out malloc'd. Returns 0 or ADAPTER_E_*. */
int adapter_json_to_msgpack(const char *json, const sio_bin *bins, size_t nbins, uint8_t **out,
                            size_t *len);

/* A packet's data ["event", ...args] split: the event name decoded into event (cap bytes)
 * and the arguments as a JSON array's text in *args (malloc'd). 0 or ADAPTER_E_*. */
int adapter_split_event(const char *json, char *event, size_t cap, char **args);

/* One client's ack of another server's broadcast with acks, as MessagePack
 * {"type": 9, "requestId", "packet": <the ack's first argument>} (args: the ack's JSON array
 * text, bins its attachments). *out malloc'd. Returns 0 or ADAPTER_E_*. */
int adapter_encode_bcast_ack(const char *request_id, const char *args, const sio_bin *bins,
                             size_t nbins, uint8_t **out, size_t *len);

/* A request or response as JSON text (malloc'd), the fields r's type uses: uid, requestId,
 * type (when >= 0), opts (has_opts), rooms (REMOTE_JOIN / REMOTE_LEAVE: targets), close
 * (REMOTE_DISCONNECT), data, sockets and rooms (room_list) when not NULL, clientCount when
 * >= 0. NULL when out of memory. */
char *adapter_encode_req(const adapter_req *r);

/* A growing text buffer (JSON being built): a failed allocation sets failed, and every later
 * add is ignored, so a builder checks once at the end. s is malloc'd (free it). */
typedef struct adapter_text {
    char *s;
    size_t len, cap;
    int failed;
} adapter_text;
void adapter_text_add(adapter_text *t, const char *p, size_t n);
void adapter_text_str(adapter_text *t, const char *p);
void adapter_text_quoted(adapter_text *t, const char *p, size_t n); /* as a JSON string */

/* The channel of a broadcast: "socket.io#<nsp>#" and, for exactly one room, "<room>#".
 * Returns the length written (NUL-terminated), or 0 when it does not fit in cap. */
size_t adapter_channel(char *out, size_t cap, const char *kind, const char *nsp, const char *room);

#endif
