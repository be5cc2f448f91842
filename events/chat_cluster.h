/*
 * chat_cluster.h - the chat demo as a member of a socket.io cluster (events_server --adapter
 * redis://HOST:PORT): the Redis adapter installed, the server-side event "echo" answered, and
 * client events that start the cluster-wide operations, so a student (or a test) can try each
 * from a browser console or a socket.io client on any server of the cluster.
 */
#ifndef WIRELAB_CHAT_CLUSTER_H
#define WIRELAB_CHAT_CLUSTER_H

#include <stddef.h>

#include "loop.h"
#include "sio_server.h"

typedef struct adapter_redis adapter_redis;

/* Join the cluster on Redis at url. NULL and a sentence in err when Redis is not there. */
adapter_redis *chat_cluster_start(loop *l, sio_server *srv, const char *url, char *err,
                                  size_t errlen);

#endif
