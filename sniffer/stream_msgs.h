/*
 * stream_msgs.h - whole application messages from a reassembled TCP conversation.
 *
 * What it teaches: an HTTP request, a WebSocket message or a queue command is a run of bytes
 * in a stream; where TCP cut that stream into segments says nothing about where a message
 * ends. Each protocol says it itself:
 *   HTTP/1.1 (RFC 9112 6.3)  the head ends at an empty line; the body is Content-Length
 *                            bytes, or chunks until a zero-sized one (Transfer-Encoding:
 *                            chunked), or (a response with neither) everything until close;
 *                            HEAD, 1xx, 204 and 304 answers have no body; a 101 that says
 *                            Upgrade: websocket turns both directions into WebSocket frames
 *   WebSocket (RFC 6455 5.2) each frame header gives its payload length; a message is the
 *                            frames up to the one with FIN set (control frames may come
 *                            between them and are messages of their own)
 *   the queue broker         one command or answer per line (queue/README.md)
 *   RESP (Redis)             each header line gives a bulk string's length or an aggregate's
 *                            count: a command is an array of bulk strings, a reply any value;
 *                            several may be pipelined in one segment (resp.h, resp_read)
 * Engine.IO/Socket.IO packets are described inside the message that carries them (a polling
 * body or a WebSocket text message), by events/'s own codec (sio_describe).
 *
 * Each complete message is handed to a callback with the capture frames its bytes came from:
 * it is shown at the frame that completed it, as tshark shows a reassembled PDU. A gap (bytes
 * never captured) cannot be decoded across: the message it cuts is reported as cut, and that
 * direction is not decoded any further.
 *
 * Memory per direction is fixed (the struct below): an HTTP head, a chunk-size line, a frame
 * header or a queue line longer than SMSG_HEAD_MAX stops decoding that direction (said in a
 * message of kind SMSG_STOP); of a body or payload only the first SMSG_KEEP bytes are kept
 * (for its description) and the rest is counted.
 *
 * Interface (pure: no I/O): sconv_init, sconv_data, sconv_gap, sconv_end. Tested by feeding
 * whole conversations in every chunking (tests/sniffer/test_reasm.c).
 */
#ifndef WIRELAB_STREAM_MSGS_H
#define WIRELAB_STREAM_MSGS_H

#include <stdbool.h>
#include <stdint.h>

#include "resp.h"

#define SMSG_FRAMES   16   /* frame numbers listed per message; more are only counted */
#define SMSG_SUMMARY  160  /* the start line, the frame kind or the queue line, cut to fit */
#define SMSG_TEXT     320  /* the Engine.IO/Socket.IO description */
#define SMSG_HEAD_MAX 8192 /* longest HTTP head, chunk line, frame header or queue line */
#define SMSG_KEEP     2048 /* bytes of a body or payload kept to describe it */

typedef enum smsg_kind {
    SMSG_HTTP,  /* an HTTP request or response, head and body */
    SMSG_WS,    /* a WebSocket message (data frames up to FIN) or control frame */
    SMSG_QUEUE, /* one line of the queue broker's protocol */
    SMSG_RESP,  /* one RESP value: a Redis command or reply */
    SMSG_CUT,   /* a message a gap cut: what was seen of it */
    SMSG_STOP,  /* decoding of this direction stopped: the summary says why */
} smsg_kind;

typedef struct smsg {
    smsg_kind kind;
    int dir;                      /* 0 client to server, 1 server to client */
    char summary[SMSG_SUMMARY];   /* "GET /chat HTTP/1.1", "WebSocket text", "PUSH jobs hi",
                                     RESP: *3 "PUBLISH" "chan" <bulk 42 bytes> */
    char text[SMSG_TEXT];         /* "engine.io MESSAGE | socket.io EVENT ...", or "" */
    uint64_t bytes;               /* the message's bytes in the stream (headers included) */
    uint64_t body;                /* its body or payload bytes (a chunked body: decoded;
                                     RESP: the bytes of its bulk strings) */
    uint32_t parts;               /* WebSocket frames, or HTTP chunks, it was made of (RESP:
                                     the elements of its top array, map, set or push) */
    uint64_t missing;             /* bytes of it inside a gap (not captured, length known) */
    uint64_t frames[SMSG_FRAMES]; /* the capture frames its bytes came from, in order */
    uint32_t nframes, frames_total;
    uint64_t first, last; /* the first and the last of those frames */
} smsg;

typedef void (*smsg_fn)(void *user, const smsg *m);

typedef enum sstate {
    ST_DETECT,      /* the first bytes: HTTP, the queue protocol, RESP, or something else */
    ST_HTTP_HEAD,   /* up to the empty line */
    ST_HTTP_BODY,   /* Content-Length bytes */
    ST_CHUNK_LINE,  /* "1a2b;ext\r\n" */
    ST_CHUNK_DATA,  /* the chunk's bytes */
    ST_CHUNK_CRLF,  /* the CRLF after them */
    ST_TRAILER,     /* trailer fields after the last chunk, up to the empty line */
    ST_UNTIL_CLOSE, /* a response body without a length: it ends when the connection does */
    ST_WS_HEAD,     /* a frame header */
    ST_WS_PAYLOAD,  /* its payload */
    ST_QUEUE_LINE,  /* a line of the queue protocol */
    ST_RESP,        /* RESP values, one after another (resp_reader) */
    ST_OTHER,       /* not a protocol we decode: bytes are only counted */
    ST_STOPPED,     /* after a gap or a limit */
} sstate;

typedef struct sdir {
    sstate st;
    uint8_t line[SMSG_HEAD_MAX]; /* the head, line or frame header being read */
    uint32_t line_len;
    uint64_t left; /* body, chunk or payload bytes still to come */
    smsg m;        /* the message being read (data frames of a WebSocket message) */
    smsg ctl;      /* a WebSocket control frame between the frames of a message */
    uint8_t keep[SMSG_KEEP];
    uint32_t keep_len;
    bool in_ctl, in_msg, ws_text, ws_deflate, ws_fin, masked, eio_body;
    uint8_t mask[4];
    uint64_t mask_off;
    uint8_t ctl_payload[125]; /* RFC 6455 5.5: a control frame's payload is at most 125 bytes */
    uint32_t ctl_len;
    uint16_t ctl_opcode;
    uint64_t detect_frames[8]; /* the frame of each byte read to detect the protocol */
    resp_reader resp;          /* ST_RESP: where in the value the stream is */
} sdir;

typedef struct sconv {
    sdir d[2];
    bool engineio;   /* a request's target had "EIO=": bodies and text messages are Engine.IO */
    bool head_asked; /* the last request was HEAD: its answer has no body */
    bool resp;       /* one direction speaks RESP: the other's first byte needs no more proof */
    smsg_fn fn;
    void *user;
} sconv;

void sconv_init(sconv *c, smsg_fn fn, void *user);
void sconv_data(sconv *c, int dir, const uint8_t *p, uint32_t n, uint64_t frame);
void sconv_gap(sconv *c, int dir, uint32_t missing, uint64_t frame);
/* The connection ended (FIN or RST seen both ways, or the capture ended). */
void sconv_end(sconv *c, uint64_t frame);

#endif
