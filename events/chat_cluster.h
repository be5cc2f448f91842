/*
 * chat_cluster.h - the chat demo as a member of a socket.io cluster (events_server --adapter
 * redis://HOST:PORT or redis-streams://HOST:PORT): the Redis adapter installed, the server-side
 * event "echo" answered, and client events that start the cluster-wide operations, so a student (or
 * a test) can try each from a browser console or a socket.io client on any server of the cluster.
 */
#ifndef WIRELAB_CHAT_CLUSTER_H
#define WIRELAB_CHAT_CLUSTER_H

#include <stddef.h>

#include "loop.h"
#include "sio_server.h"

typedef struct chat_cluster chat_cluster;

/* Join the cluster on Redis at url: redis://HOST:PORT (@socket.io/redis-adapter's pub/sub) or
 * redis-streams://HOST:PORT (@socket.io/redis-streams-adapter's stream). NULL and a sentence
 * in err when the URL is wrong or Redis is not there. */
chat_cluster *chat_cluster_start(loop *l, sio_server *srv, const char *url, char *err,
                                 size_t errlen);
/* 1 while Redis has not answered every command the adapter sent (a stopping server waits for
 * that, so what its last moments said and saved reaches Redis); 0 otherwise, or for NULL. */
int chat_cluster_busy(const chat_cluster *c);
/* Leave it (before the loop is freed: the adapter's sockets are on it). */
void chat_cluster_stop(chat_cluster *c);

#endif
