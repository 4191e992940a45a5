#!/usr/bin/env node
// Reference implementation of the conformance server contract on Node's own
// `engine.io` (npm), used to check that the project's conformance tests
// describe Node's behaviour: run the Rust tests with
//   CONFORMANCE_SERVER=node cargo test -p conformance --test engineio_...
// Same command line and endpoints as `conformance-server`:
//   --port N --ping-interval MS --ping-timeout MS --max-payload BYTES --upgrade-timeout MS
//   /engine.io/ echo (text `close-me` closes the session), /__stats {"sessions":N}
// Prints `listening on 127.0.0.1:PORT` once bound.
"use strict";

const http = require("http");
const engine = require("engine.io");

const opts = { port: 3000, pingInterval: 300, pingTimeout: 200, maxPayload: 1000000, upgradeTimeout: 10000 };
const names = {
  "--port": "port",
  "--ping-interval": "pingInterval",
  "--ping-timeout": "pingTimeout",
  "--max-payload": "maxPayload",
  "--upgrade-timeout": "upgradeTimeout",
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  let [flag, value] = argv[i].split("=");
  if (value === undefined) value = argv[++i];
  if (!names[flag] || value === undefined || !/^\d+$/.test(value)) {
    console.error("usage: reference-server.js [--port N] [--ping-interval MS] [--ping-timeout MS] [--max-payload BYTES] [--upgrade-timeout MS]");
    process.exit(2);
  }
  opts[names[flag]] = Number(value);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url.split("?")[0] === "/__stats") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ sessions: eio.clientsCount }));
    return;
  }
  res.writeHead(404);
  res.end("not found");
});

const eio = engine.attach(server, {
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  maxHttpBufferSize: opts.maxPayload,
  upgradeTimeout: opts.upgradeTimeout,
  cors: { origin: "*" },
});

eio.on("connection", (socket) => {
  socket.on("message", (data) => {
    if (data === "close-me") {
      socket.close();
      return;
    }
    socket.send(data);
  });
});

server.listen(opts.port, "127.0.0.1", () => {
  process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
