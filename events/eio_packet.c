/*
 * eio_packet.c - the Engine.IO v4 packet codec (see eio_packet.h for the wire format).
 *
 * Every function here reads only inside the (pointer, length) it is given: the type digit is
 * checked against n before it is read, and a record ends at the separator or at the end of the
 * body, whichever comes first.
 */
#include "eio_packet.h"

#include <string.h>

#include "base64.h"

static const char *const eio_names[] = {"open",    "close",   "ping", "pong",
                                        "message", "upgrade", "noop"};

const char *eio_type_name(int type)
{
    if (type < EIO_OPEN || type > EIO_NOOP)
        return "unknown";
    return eio_names[type];
}

const char *eio_strerror(int err)
{
    switch (err) {
    case EIO_E_EMPTY:
        return "empty packet (no type digit)";
    case EIO_E_TYPE:
        return "unknown packet type (the first character must be a digit 0-6)";
    case EIO_E_BASE64:
        return "binary record (\"b\" prefix) is not valid base64";
    case EIO_E_NOSPACE:
        return "decoded packet does not fit the buffer";
    default:
        return "no error";
    }
}

int eio_decode_text(const uint8_t *s, size_t n, eio_packet *p)
{
    if (n == 0)
        return EIO_E_EMPTY;
    if (s[0] < '0' || s[0] > '6')
        return EIO_E_TYPE;
    p->type = (eio_type)(s[0] - '0');
    p->binary = 0;
    p->data = s + 1;
    p->len = n - 1;
    return 0;
}

void eio_decode_binary(const uint8_t *s, size_t n, eio_packet *p)
{
    p->type = EIO_MESSAGE;
    p->binary = 1;
    p->data = s;
    p->len = n;
}

/* A "b" record: base64 of raw bytes, the way polling carries binary inside a text body. */
static int decode_b64_record(const uint8_t *s, size_t n, uint8_t *scratch, size_t cap,
                             eio_packet *p)
{
    if (cap < n) /* base64 never decodes to more bytes than its text: n is always enough */
        return EIO_E_NOSPACE;
    long got = base64_decode((const char *)s + 1, n - 1, scratch, cap);
    if (got < 0)
        return EIO_E_BASE64;
    p->type = EIO_MESSAGE;
    p->binary = 1;
    p->data = scratch;
    p->len = (size_t)got;
    return 0;
}

int eio_payload_next(const uint8_t *body, size_t len, size_t *pos, uint8_t *scratch, size_t cap,
                     eio_packet *p)
{
    if (*pos >= len)
        return 0;
    const uint8_t *s = body + *pos;
    size_t avail = len - *pos; /* *pos < len here, so this cannot wrap */
    const uint8_t *sep = memchr(s, EIO_RECORD_SEP, avail);
    size_t n = sep ? (size_t)(sep - s) : avail;
    *pos += n + (sep ? 1 : 0);
    if (n > 0 && s[0] == 'b') {
        int rc = decode_b64_record(s, n, scratch, cap, p);
        return rc < 0 ? rc : 1;
    }
    int rc = eio_decode_text(s, n, p);
    return rc < 0 ? rc : 1;
}

size_t eio_encode_text(char *out, size_t cap, eio_type type, const void *data, size_t len)
{
    if (cap < 2 || len > cap - 2) /* digit + data + NUL; written so it cannot overflow */
        return 0;
    out[0] = (char)('0' + (int)type);
    if (len)
        memcpy(out + 1, data, len);
    out[len + 1] = '\0';
    return len + 1;
}

size_t eio_encode_b64(char *out, size_t cap, const uint8_t *data, size_t len)
{
    if (cap < 1)
        return 0;
    out[0] = 'b';
    size_t n = base64_encode(data, len, out + 1, cap - 1);
    if (n == 0 && len > 0)
        return 0;
    return n + 1;
}
