#!/usr/bin/env node
// A raw WebSocket Engine.IO client (npm `ws`) that opens a session and then
// never answers pings. Prints {"ok":true,"pings":N,"closedAfterMs":T} where T
// is measured from the open packet to the server closing the connection.
// Usage: node eio-silent.js <ws-url>
"use strict";

const WebSocket = require("ws");

const url = process.argv[2];
const ws = new WebSocket(url);
let openedAt = null;
let pings = 0;
const overall = setTimeout(() => {
  process.stdout.write(JSON.stringify({ ok: false, error: "server never closed" }) + "\n", () =>
    process.exit(1),
  );
}, 20000);

ws.on("message", (data, isBinary) => {
  const text = isBinary ? null : data.toString();
  if (text && text.startsWith("0{") && openedAt === null) openedAt = Date.now();
  else if (text === "2") pings++;
});
ws.on("close", () => {
  clearTimeout(overall);
  const closedAfterMs = openedAt === null ? null : Date.now() - openedAt;
  process.stdout.write(JSON.stringify({ ok: openedAt !== null, pings, closedAfterMs }) + "\n", () =>
    process.exit(0),
  );
});
ws.on("error", (e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e) }) + "\n", () => process.exit(1));
});
