// node_echo.js - the Node.js `ws` echo server the benchmark compares ws_server with.
// Prints "listening on 127.0.0.1 port N" like Wirelab's servers. No compression.
"use strict";
const { WebSocketServer } = require("./node_modules/ws");

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("listening", () => console.log(`listening on 127.0.0.1 port ${wss.address().port}`));
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
