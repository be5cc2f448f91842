/*
 * stream_msg.h - the messages of npm @socket.io/redis-streams-adapter 0.3.x, as a pure codec:
 * bytes in, structs out, and back. No sockets, no Redis (adapter_streams.c does the I/O).
 *
 * What it teaches: a cluster that keeps a log instead of shouting. The streams adapter extends
 * socket.io-adapter's ClusterAdapter: every message is {uid, nsp, type, data}, where type is
 * the ClusterAdapter's MessageType and data its payload. What must survive a server's absence
 * goes into ONE Redis stream (XADD socket.io MAXLEN ~ 10000 * uid U nsp / type 3 data D):
 * broadcasts, socketsJoin, socketsLeave, disconnectSockets. What only matters now goes over
 * pub/sub, MessagePack-encoded whole: fetchSockets, serverSideEmit, a broadcast with acks, and
 * every answer (on the asking server's own channel). In the stream, the fields are strings:
 *
 *   uid   "f4c730af2fcee160"     the sending server (8 random bytes in hex)
 *   nsp   "/"
 *   type  "3"                    BROADCAST, as decimal text
 *   data  {"packet":{"type":2,"data":["hi",1]},"opts":{"rooms":["r1"],"except":[],"flags":{}}}
 *         JSON.stringify(data); when data holds a binary: base64 of its MessagePack
 *
 * Connection state recovery keeps each dropped socket in Redis, for any server to restore:
 *
 *   SET sio:session:<pid> base64(MessagePack {sid, pid, rooms, data}) PX <window ms>
 *
 * and the events it missed are the stream's entries after its offset: every event a client
 * gets carries the id of its stream entry ("1796371702024-0") as its last argument.
 *
 * Limits: STREAM_MAX_ROOMS rooms in one list; nesting, values and binaries as adapter_msg.h.
 */
#ifndef WIRELAB_STREAM_MSG_H
#define WIRELAB_STREAM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "adapter_msg.h"
#include "sio_server.h"

#define STREAM_MAX_ROOMS 1024 /* rooms (or except rooms) in one message or session */
#define STREAM_ID_MAX    48   /* "<ms>-<seq>", two 64-bit numbers */

/* socket.io-adapter's MessageType (cluster-adapter.js), in its order. */
typedef enum stream_type {
    STREAM_INITIAL_HEARTBEAT = 1, /* (ClusterAdapterWithHeartbeat only: not the streams'.) */
    STREAM_HEARTBEAT = 2,
    STREAM_BROADCAST = 3,
    STREAM_SOCKETS_JOIN = 4,
    STREAM_SOCKETS_LEAVE = 5,
    STREAM_DISCONNECT_SOCKETS = 6,
    STREAM_FETCH_SOCKETS = 7,
    STREAM_FETCH_SOCKETS_RESPONSE = 8,
    STREAM_SERVER_SIDE_EMIT = 9,
    STREAM_SERVER_SIDE_EMIT_RESPONSE = 10,
    STREAM_BROADCAST_CLIENT_COUNT = 11,
    STREAM_BROADCAST_ACK = 12,
    STREAM_ADAPTER_CLOSE = 13,
} stream_type;

/* One message, from the stream or from pub/sub. */
typedef struct stream_msg {
    int type;      /* stream_type */
    char *uid;     /* the sender's uid ("" when absent) */
    char *nsp;     /* its namespace */
    char *data;    /* data as JSON text, binaries as placeholders; NULL when absent */
    sio_bin *bins; /* the binaries (malloc'd copies) */
    size_t nbins;
} stream_msg;

/* A stream entry's fields, as XREAD / XRANGE return them: field, value, field, value...
 * Returns 0 (free m with stream_msg_free) or ADAPTER_E_*: no nsp field, a type that is not
 * decimal text, data that is neither JSON nor base64 of MessagePack. */
int stream_decode_entry(const char *const *kv, const size_t *kvlen, size_t n, stream_msg *m);
/* A pub/sub message: MessagePack {type, data, uid, nsp}. 0 or ADAPTER_E_*. */
int stream_decode_pubsub(const uint8_t *buf, size_t len, stream_msg *m);
void stream_msg_free(stream_msg *m);

/* The stream's data field for data (JSON text) and its binaries: the text itself, or with
 * binaries base64 of its MessagePack (as the adapter's encode()). *out malloc'd. */
int stream_encode_field(const char *data, const sio_bin *bins, size_t nbins, char **out);
/* A pub/sub message {type, data, uid, nsp} as MessagePack, keys in the adapter's order. */
int stream_encode_pubsub(int type, const char *data, const sio_bin *bins, size_t nbins,
                         const char *uid, const char *nsp, uint8_t **out, size_t *len);

/* ---- the data of each message, as JSON text (malloc'd; NULL when out of memory) ---------- */

/* BROADCAST: {"packet":{"type":2,"data":[event,...args]},"opts":{...}}; sender (or NULL) is
 * appended to except, as socket.broadcast does. args: a JSON array's text or NULL. */
char *stream_broadcast_data(const char *event, const char *args, const sio_target *t,
                            const char *sender);
/* SOCKETS_JOIN / SOCKETS_LEAVE: {"opts":{...},"rooms":[...]}; DISCONNECT_SOCKETS:
 * {"opts":{...},"close":bool} (rooms ignored). */
char *stream_sockets_data(int type, const sio_target *t, const char *const *rooms, size_t nrooms,
                          int close);
/* FETCH_SOCKETS: {"opts":{...},"requestId":id}. */
char *stream_fetch_data(const sio_target *t, const char *request_id);
/* SERVER_SIDE_EMIT: {"requestId":id,"packet":[event,...args]} ({"packet":...} without id). */
char *stream_emit_data(const char *request_id, const char *event, const char *args);
/* A response {"requestId":id,"<key>":value} (value: JSON text as it is). */
char *stream_response_data(const char *request_id, const char *key, const char *value);

/* ---- reading data ------------------------------------------------------------------------ */

/* data.opts: rooms and except (malloc'd), flags (ADAPTER_VOLATILE, ADAPTER_LOCAL), timeout
 * (flags.timeout in ms, or -1). Absent opts: every socket. 0 or ADAPTER_E_*. */
typedef struct stream_opts {
    adapter_rooms rooms, except;
    unsigned flags;
    long timeout;
} stream_opts;
int stream_read_opts(const char *data, stream_opts *o);
void stream_opts_free(stream_opts *o);
/* A list of names (data's member key, a JSON array of strings), malloc'd. 0 or ADAPTER_E_*. */
int stream_read_names(const char *data, const char *key, adapter_rooms *r);
/* A string member of data (requestId), into out (cap bytes); 0 when absent or not a string. */
int stream_read_string(const char *data, const char *key, char *out, size_t cap);
/* A member's JSON text (malloc'd), or NULL when absent. */
char *stream_read_raw(const char *data, const char *key);
/* data.packet of a BROADCAST: its event name into event (cap bytes), its arguments as a JSON
 * array's text in *args (malloc'd), its ack id (or -1) and whether it is an EVENT (type 2).
 * 0 or ADAPTER_E_*. */
int stream_read_packet(const char *data, char *event, size_t cap, char **args, int64_t *ack_id);

/* ---- sessions ---------------------------------------------------------------------------- */

typedef struct stream_session {
    char *sid, *pid;
    adapter_rooms rooms;
} stream_session;
/* base64(MessagePack {sid, pid, rooms, data: {}}), malloc'd; NULL when out of memory. */
char *stream_encode_session(const char *sid, const char *pid, const char *const *rooms,
                            size_t nrooms);
/* The other way (Node's data member is ignored: a C socket has none). 0 or ADAPTER_E_*. */
int stream_decode_session(const char *b64, size_t len, stream_session *s);
void stream_session_free(stream_session *s);

/* ---- stream ids and the replay's filter -------------------------------------------------- */

/* Is id "<ms>-<seq>" (the adapter's /^[0-9]+-[0-9]+$/, each part within 64 bits)? */
int stream_id_valid(const char *id);
/* Compare two valid ids as Redis orders them: <0, 0, >0. */
int stream_id_cmp(const char *a, const char *b);
/* The smallest id after id ("<ms>-<seq+1>"), as the adapter's nextOffset (for Redis < 6.2,
 * which has no exclusive ranges). 0, or -1 when id is not valid or seq is at its maximum. */
int stream_id_next(const char *id, char *out, size_t cap);
/* Does a broadcast to rooms / except reach a socket in session rooms (shouldIncludePacket):
 * rooms empty or sharing one, and except sharing none? */
int stream_should_include(const adapter_rooms *session, const adapter_rooms *rooms,
                          const adapter_rooms *except);

#endif
