/*
 * ws_frame_fast.h - the decoder's fast path for whole frames (ws_frame_fast.c).
 *
 * Programs do not call this: ws_decoder_feed (ws_frame.c) does, the one place the fast path is
 * chosen. Tests call it directly to learn how many frames it took whole.
 */
#ifndef WIRELAB_WS_FRAME_FAST_H
#define WIRELAB_WS_FRAME_FAST_H

#include <stdint.h>

#include "ws_frame.h"

/*
 * ws_decoder_feed's contract exactly (same callbacks, same errors, any chunking), but a whole
 * unfragmented text or binary frame found in data is taken without the state machine. When
 * whole_frames is not NULL, each frame taken that way adds 1 to *whole_frames.
 */
ws_error ws_decoder_feed_fast(ws_decoder *d, const uint8_t *data, size_t len,
                              uint64_t *whole_frames);

#endif
