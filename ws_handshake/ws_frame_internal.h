/*
 * ws_frame_internal.h - what ws_frame.c lends ws_frame_fast.c (not for programs).
 *
 * The fast path reuses the decoder's own pieces rather than copies of them: one step of the
 * state machine, the message buffer, delivering a message, failing the decoder.
 */
#ifndef WIRELAB_WS_FRAME_INTERNAL_H
#define WIRELAB_WS_FRAME_INTERNAL_H

#include "ws_frame.h"

/* One step of the state machine over p[0..n); returns the bytes used, a broken rule in *err. */
size_t ws_decoder_step(ws_decoder *d, const uint8_t *p, size_t n, ws_error *err);
/* 1 while the decoder may read more bytes (not closed, not failed). */
int ws_decoder_reading(const ws_decoder *d);
/* Make room for want (<= max_message) bytes of message: 0, or -1 when out of memory. */
int ws_decoder_reserve(ws_decoder *d, size_t want);
/* d->msg[0..msg_len) is a whole message of opcode op: call on_message and forget it. */
void ws_decoder_deliver(ws_decoder *d, unsigned op);
/* Mark the decoder failed with e (it stays failed) and return e. */
ws_error ws_decoder_fail(ws_decoder *d, ws_error e);

#endif
