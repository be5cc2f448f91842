// client.js - lab 6's reference client (the grader must pass it): a Socket.IO client for
// events_server's chat.
//   node client.js URL ROOM        e.g. node client.js http://127.0.0.1:3000 lab6
// It needs socket.io-client from the toolkit's tests/node_modules:
//   NODE_PATH=/path/to/wirelab/tests/node_modules node client.js http://127.0.0.1:3000 lab6
// (./wirelab grade 6 sets NODE_PATH itself.) Use either this file or client.py, not both:
// the grader grades the one you changed.
//
// What it must do (events_server.c lists the chat's events):
//   1. connect to URL;
//   2. join ROOM: emit "join" with the room and an acknowledgement callback; print
//        joined <what the ack carried, as JSON>
//   3. say something in ROOM: emit "say" with the room, a text, and an ack callback; print
//        ack <what the ack carried, as JSON>
//   4. handle the room's broadcast: for every "said" event print
//        heard <from> <text>
//      and once you have heard someone ELSE (from is not your own socket.id), disconnect and
//      exit 0. Give up with exit 1 after 15 s.
"use strict";
const { io } = require("socket.io-client");

const [url, room] = process.argv.slice(2);
if (!url || !room) {
  console.error("usage: node client.js URL ROOM");
  process.exit(2);
}
const socket = io(url, { reconnection: false });
setTimeout(() => {
  console.error("client: gave up after 15 s");
  process.exit(1);
}, 15000);

socket.on("connect", () => {
  console.log(`connected as ${socket.id}`);
  socket.emit("join", room, (joined) => {
    console.log(`joined ${JSON.stringify(joined)}`);
    socket.emit("say", room, "hello from the reference client", (ack) => {
      console.log(`ack ${JSON.stringify(ack)}`);
    });
  });
});

socket.on("said", (m) => {
  console.log(`heard ${m.from} ${m.text}`);
  if (m.from !== socket.id) {
    socket.disconnect();
    process.exit(0);
  }
});
