/*
 * io_nobatch.c - stands in for io_batch.c when liburing was not found at configure time, so
 * the loop has one way to ask for batches and one answer when there are none.
 *
 * Run it: configure on a machine without liburing-dev; --verbose then says why the loop
 * makes plain calls.
 */
#include "loop_internal.h"

int io_batch_start(loop *l, char *err, size_t errlen)
{
    (void)l;
    snprintf(err, errlen,
             "this build has no io_uring (liburing-dev was missing when it was "
             "configured: install it and run ./wirelab build again)");
    return -1;
}
