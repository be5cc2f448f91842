/*
 * ws_frame.h - the WebSocket frame codec of RFC 6455 section 5: no sockets, only bytes.
 *
 * What it teaches: after the HTTP upgrade, a WebSocket connection is a stream of frames. Each
 * frame is a 2..14 byte header and a payload (RFC 6455 5.2):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *   | Masking-key (continued)       |          Payload Data         |
 *   +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * Interface (in the spirit of wslay: the codec never touches a socket):
 *   ws_frame_describe       read ONE frame header from bytes, no connection needed (the
 *                           sniffer uses it); says "truncated" when the header is cut short
 *   ws_frame_header_check   which RFC rule a header breaks, if any
 *   ws_decoder_*            a streaming decoder: feed bytes in any chunking, get whole
 *                           messages, pings, pongs and the close frame through callbacks
 *   ws_encode_*             build frames, with the masking key from an injected generator
 *   ws_utf8_*               an incremental UTF-8 validator (messages may split characters)
 *   ws_error_*, ws_strerror each broken rule has a name, a sentence and the close code it
 *                           earns
 */
#ifndef WIRELAB_WS_FRAME_H
#define WIRELAB_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes (RFC 6455 5.2); 0x3-0x7 and 0xB-0xF are reserved and fail the connection. */
enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close status codes used here (RFC 6455 7.4.1). 1005 is never sent: it means "no code". */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
};

#define WS_MAX_HEADER      14                  /* 2 + 8 (64-bit length) + 4 (masking key) */
#define WS_MAX_CONTROL     125                 /* control payloads fit the 7-bit length */
#define WS_DEFAULT_MAX_MSG (16u * 1024 * 1024) /* default limit on a reassembled message */

/*
 * Every rule the decoder enforces, each with its own name (ws_error_name) and the close code
 * that failing it earns (ws_error_close_code). Negative so they can be returned as errors.
 */
typedef enum ws_error {
    WS_OK = 0,
    WS_E_RSV = -1,                /* RSV1-3 set but no extension was negotiated (5.2) */
    WS_E_OPCODE = -2,             /* reserved opcode 0x3-0x7 or 0xB-0xF (5.2) */
    WS_E_CONTROL_TOO_LONG = -3,   /* control frame payload over 125 bytes (5.5) */
    WS_E_CONTROL_FRAGMENTED = -4, /* control frame without FIN (5.5) */
    WS_E_LENGTH_NOT_MINIMAL = -5, /* 16/64-bit length used for a length that fits less (5.2) */
    WS_E_LENGTH_HIGH_BIT = -6,    /* 64-bit length with its most significant bit set (5.2) */
    WS_E_NOT_MASKED = -7,         /* a client sent an unmasked frame (5.1) */
    WS_E_MASKED = -8,             /* a server sent a masked frame (5.1) */
    WS_E_CONT_NOTHING_OPEN = -9,  /* continuation frame but no fragmented message open (5.4) */
    WS_E_DATA_WHILE_OPEN = -10,   /* text/binary frame while a fragmented one is open (5.4) */
    WS_E_TOO_BIG = -11,           /* message over the configured maximum (7.4.1: 1009) */
    WS_E_UTF8 = -12,              /* text message that is not valid UTF-8 (8.1: 1007) */
    WS_E_CLOSE_LEN1 = -13,        /* close payload of exactly 1 byte (5.5.1) */
    WS_E_CLOSE_CODE = -14,        /* close code reserved, unassigned or out of range (7.4) */
    WS_E_CLOSE_UTF8 = -15,        /* close reason that is not valid UTF-8 (5.5.1: 1007) */
    WS_E_NOMEM = -16,             /* we could not allocate the message buffer (1011) */
} ws_error;

const char *ws_error_name(int err);      /* "WS_E_RSV" */
const char *ws_strerror(int err);        /* "reserved bits set without an extension" */
int ws_error_close_code(int err);        /* 1002, 1007, 1009 or 1011 */
const char *ws_opcode_name(unsigned op); /* "text", "ping", "reserved" ... */
int ws_close_code_valid(unsigned code);  /* may a peer send this code in a close frame? */

/* Which side of the connection is DECODING: a server reads masked client frames. */
typedef enum ws_role { WS_ROLE_SERVER = 0, WS_ROLE_CLIENT = 1 } ws_role;

/* One frame header, decoded into plain fields. */
typedef struct ws_frame_header {
    unsigned fin;         /* 1: the last frame of a message */
    unsigned rsv;         /* RSV1..RSV3 as 3 bits (0 without extensions) */
    unsigned opcode;      /* WS_OP_* */
    unsigned masked;      /* 1: a 4-byte masking key follows the length */
    unsigned len_bits;    /* 7, 16 or 64: how the length was encoded on the wire */
    uint64_t payload_len; /* the length the header claims */
    uint8_t mask[4];      /* the masking key (zeros when not masked) */
    size_t header_len;    /* 2..14 bytes */
} ws_frame_header;

/*
 * One line for a person: "FIN=1 RSV=0 opcode=0x1 (text) MASK=1 key=37fa213d len=5 (7-bit)".
 * Writes at most cap bytes (NUL included); returns what snprintf returns.
 */
int ws_frame_format(const ws_frame_header *h, char *out, size_t cap);

/* Results of ws_frame_describe. */
enum { WS_HDR_OK = 1, WS_HDR_TRUNCATED = 0 };

/*
 * Describe the frame header at buf[0..len). Needs no connection and no decoder, and checks no
 * rule (use ws_frame_header_check for that), so a sniffer can show broken frames too.
 * Returns WS_HDR_OK with *h filled, or WS_HDR_TRUNCATED when len is shorter than the header:
 * then *need (if not NULL) says how many bytes the header needs in total, as far as the bytes
 * present tell (2 when fewer than 2 are there), and *h holds the fields read so far.
 */
int ws_frame_describe(const uint8_t *buf, size_t len, ws_frame_header *h, size_t *need);

/*
 * The first header-level rule h breaks when read by `role` (WS_OK if none): reserved bits,
 * reserved opcodes, control frame length and FIN, minimal length, the 64-bit high bit, and the
 * masking direction. Fragmentation, size and payload rules need a decoder's state.
 */
ws_error ws_frame_header_check(const ws_frame_header *h, ws_role role);

/* XOR len bytes with the masking key, starting at position `offset` of the payload (ws_mask.c). */
void ws_mask(uint8_t *buf, size_t len, const uint8_t key[4], uint64_t offset);
/* The same while copying from src to dst (they may not overlap). */
void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                  uint64_t offset);

/* ---- UTF-8, validated a byte at a time so characters may be split across frames ---- */

typedef struct ws_utf8 {
    uint8_t need;   /* continuation bytes still expected for the current character */
    uint8_t lo, hi; /* the range allowed for the next continuation byte */
} ws_utf8;

void ws_utf8_init(ws_utf8 *u);
/* Returns 0, or -1 at the first byte that cannot be part of valid UTF-8 (fail fast). */
int ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t len);
/* 1 when no character is left unfinished (the message may end here). */
int ws_utf8_complete(const ws_utf8 *u);
/* 1 when p[0..len) is a whole valid UTF-8 string (no character left unfinished). */
int ws_utf8_valid(const uint8_t *p, size_t len);

/* ---- the streaming decoder ---- */

/*
 * What the decoder reports. Every pointer is valid only during the call. Any callback may be
 * NULL. `user` is the ws_decoder_config's user_data.
 */
typedef struct ws_decoder_callbacks {
    /* A header has been read, before its rules are checked, so a trace shows a bad one too. */
    void (*on_frame)(void *user, const ws_frame_header *h);
    /* A whole text or binary message, reassembled and (for text) valid UTF-8. */
    void (*on_message)(void *user, unsigned opcode, const uint8_t *data, size_t len);
    /* A ping or pong with its (unmasked) payload; pings must be answered by the caller. */
    void (*on_control)(void *user, unsigned opcode, const uint8_t *data, size_t len);
    /* The peer's close frame: code 1005 (WS_CLOSE_NO_STATUS) when it carried none. */
    void (*on_close)(void *user, unsigned code, const uint8_t *reason, size_t len);
} ws_decoder_callbacks;

typedef struct ws_decoder_config {
    ws_role role;       /* WS_ROLE_SERVER: expect masked frames */
    size_t max_message; /* 0 = WS_DEFAULT_MAX_MSG */
    void *user_data;    /* handed to every callback */
} ws_decoder_config;

/* Where the decoder is in the byte stream. */
typedef enum ws_decoder_state {
    WS_DS_HEADER,  /* collecting the 2..14 header bytes */
    WS_DS_PAYLOAD, /* copying (and unmasking) payload bytes */
    WS_DS_CLOSED,  /* the peer's close frame arrived: nothing after it is read */
    WS_DS_FAILED,  /* a rule was broken; the connection must be failed */
} ws_decoder_state;

typedef struct ws_decoder {
    ws_decoder_config cfg;
    ws_decoder_callbacks cb;
    ws_decoder_state state;
    ws_error error;             /* the rule broken, once FAILED */
    uint8_t hdr[WS_MAX_HEADER]; /* header bytes collected so far */
    size_t hdr_used;
    ws_frame_header cur;   /* the frame being read */
    uint64_t payload_done; /* payload bytes of cur read so far */
    unsigned msg_opcode;   /* text/binary of the open message; 0 when none is open */
    uint8_t *msg;          /* the message being reassembled (grows up to max_message) */
    size_t msg_len, msg_cap;
    ws_utf8 utf8;                /* validation state of the open text message */
    uint8_t ctl[WS_MAX_CONTROL]; /* payload of the control frame being read */
} ws_decoder;

void ws_decoder_init(ws_decoder *d, const ws_decoder_config *cfg, const ws_decoder_callbacks *cb);
void ws_decoder_free(ws_decoder *d);

/*
 * Feed len bytes (any chunking: half a header, several frames, one byte). Callbacks run as
 * frames complete. Returns WS_OK, or the negative ws_error of the first rule broken; from then
 * on the decoder stays failed and returns the same error. Bytes after a close frame are ignored.
 * A whole unfragmented text or binary frame inside one call takes the fast path of
 * ws_frame_fast.c; the callbacks and errors are the same however the bytes are cut.
 */
ws_error ws_decoder_feed(ws_decoder *d, const uint8_t *data, size_t len);

/* The same, through the state machine alone (the reference the tests compare against). */
ws_error ws_decoder_feed_stepwise(ws_decoder *d, const uint8_t *data, size_t len);

/* ---- the encoder ---- */

/* Writes a fresh masking key; tests inject a fixed one, programs a random one (5.3). */
typedef void (*ws_mask_fn)(void *user, uint8_t key[4]);

/* Bytes a frame with a payload of len takes on the wire. */
size_t ws_encoded_size(uint64_t len, int masked);

/*
 * Write a frame header into out (WS_MAX_HEADER bytes). mask_key NULL = unmasked (server to
 * client). Returns the header length.
 */
size_t ws_encode_header(uint8_t *out, unsigned fin, unsigned opcode, uint64_t len,
                        const uint8_t *mask_key);

/*
 * Write a whole frame into out (cap bytes). When gen is not NULL the frame is masked (client to
 * server) with a key from gen(gen_user, key). Returns the bytes written, or 0 if cap is too small.
 */
size_t ws_encode_frame(uint8_t *out, size_t cap, unsigned fin, unsigned opcode,
                       const uint8_t *payload, size_t len, ws_mask_fn gen, void *gen_user);

/* The payload of a close frame: 2-byte code, then the reason (cut to fit 125 bytes). */
size_t ws_close_payload(uint8_t out[WS_MAX_CONTROL], unsigned code, const char *reason);

#endif
