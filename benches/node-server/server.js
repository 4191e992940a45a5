// Node socket.io peer for scripts/bench-compare.sh.
//
// Event contract (shared with the Rust bench servers): `echo` with an acknowledgement
// callback is acknowledged with its argument; `echo` without one is answered by emitting
// `echo` with the same argument; `broadcast` is re-emitted to every socket.
// Binds 127.0.0.1 only. Usage: node server.js --port 3000  (0 = ephemeral; the bound
// address is printed as `listening 127.0.0.1:PORT`).
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function portArg() {
  const i = process.argv.indexOf("--port");
  if (i >= 0 && i + 1 < process.argv.length) {
    const p = Number(process.argv[i + 1]);
    if (Number.isInteger(p) && p >= 0 && p < 65536) return p;
  }
  return 3000;
}

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  socket.on("echo", (arg, ack) => {
    if (typeof ack === "function") {
      ack(arg);
    } else {
      socket.emit("echo", arg);
    }
  });
  socket.on("broadcast", (arg) => {
    io.emit("broadcast", arg);
  });
});

httpServer.listen(portArg(), "127.0.0.1", () => {
  const a = httpServer.address();
  process.stdout.write(`listening ${a.address}:${a.port}\n`);
});

process.on("SIGTERM", () => process.exit(0));
