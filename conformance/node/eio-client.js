#!/usr/bin/env node
// Drives the real npm `engine.io-client` against a server, for the Rust
// interop tests (conformance/tests/interop_engineio_client.rs).
//
// Usage: node eio-client.js <url> <polling|websocket|upgrade> <scenario>
// Scenarios:
//   echo          text + binary round trip, then 1000 messages each way
//                 (alternating text/binary) checked complete and in order,
//                 then the client closes.
//   server-close  sends "close-me"; the echo server closes the session and the
//                 client must see it.
//   heartbeat     stays connected for HOLD_MS (default 2000) answering pings.
// Prints one JSON line with the outcome and exits 0, or prints
// {"ok":false,"error":...} and exits 1.
"use strict";

const { Socket } = require("engine.io-client");

const [url, mode, scenario] = process.argv.slice(2);
const TRANSPORTS = {
  polling: { transports: ["polling"], upgrade: false },
  websocket: { transports: ["websocket"], upgrade: false },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};

function finish(result) {
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(result.ok ? 0 : 1));
}

function fail(error) {
  finish({ ok: false, error: String(error) });
}

if (!TRANSPORTS[mode] || !url || !scenario) {
  fail("usage: eio-client.js <url> <polling|websocket|upgrade> <echo|server-close|heartbeat>");
}

const overall = setTimeout(() => fail("scenario timed out"), 30000);

const socket = new Socket(url, { path: "/engine.io/", ...TRANSPORTS[mode] });

function asBytes(data) {
  if (typeof data === "string") return null;
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

// Resolves once the session is on its final transport.
function ready() {
  return new Promise((resolve, reject) => {
    socket.once("error", (e) => reject(e));
    socket.once("open", () => {
      if (mode !== "upgrade") return resolve();
      if (socket.transport.name === "websocket") return resolve();
      socket.once("upgrade", () => resolve());
      socket.once("upgradeError", (e) => reject(new Error("upgrade failed: " + e)));
    });
  });
}

// Closes from the client side and gives the close packet (a polling POST)
// time to leave before the process exits.
async function closeAndSettle() {
  socket.close();
  await new Promise((r) => setTimeout(r, 300));
}

// Queue of incoming messages with a waiter.
const inbox = [];
let waiter = null;
socket.on("message", (data) => {
  inbox.push(data);
  if (waiter) {
    const w = waiter;
    waiter = null;
    w();
  }
});
function next() {
  if (inbox.length) return Promise.resolve(inbox.shift());
  return new Promise((resolve) => {
    waiter = () => resolve(inbox.shift());
  });
}

async function echo() {
  socket.send("hello");
  const hello = await next();
  if (hello !== "hello") throw new Error("text echo: " + JSON.stringify(hello));
  socket.send(Buffer.from([1, 2, 3, 0, 255]));
  const bin = asBytes(await next());
  if (!bin || !bin.equals(Buffer.from([1, 2, 3, 0, 255]))) throw new Error("binary echo mismatch");
  socket.send("héllo € 😀");
  const utf = await next();
  if (utf !== "héllo € 😀") throw new Error("utf-8 echo: " + JSON.stringify(utf));

  const N = 1000;
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) socket.send("msg-" + i);
    else {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(i);
      socket.send(b);
    }
  }
  for (let i = 0; i < N; i++) {
    const m = await next();
    if (i % 2 === 0) {
      if (m !== "msg-" + i) throw new Error(`message ${i}: got ${JSON.stringify(m)}`);
    } else {
      const b = asBytes(m);
      if (!b || b.length !== 4 || b.readUInt32BE(0) !== i) throw new Error(`binary message ${i} mismatch`);
    }
  }
  const transport = socket.transport.name;
  await closeAndSettle();
  return { ok: true, transport, received: N };
}

async function serverClose() {
  const closed = new Promise((resolve) => socket.once("close", (reason) => resolve(reason)));
  const transport = socket.transport.name;
  socket.send("close-me");
  const reason = await closed;
  return { ok: true, transport, reason };
}

async function heartbeat() {
  const hold = Number(process.env.HOLD_MS || 2000);
  let pings = 0;
  let closeReason = null;
  socket.on("ping", () => pings++);
  socket.on("close", (reason) => (closeReason = reason));
  await new Promise((r) => setTimeout(r, hold));
  if (closeReason) throw new Error("closed during hold: " + closeReason);
  socket.send("still-here");
  const m = await next();
  if (m !== "still-here") throw new Error("echo after hold: " + JSON.stringify(m));
  const transport = socket.transport.name;
  await closeAndSettle();
  return { ok: true, transport, pings };
}

const scenarios = { echo, "server-close": serverClose, heartbeat };

ready()
  .then(() => {
    const run = scenarios[scenario];
    if (!run) throw new Error("unknown scenario " + scenario);
    return run();
  })
  .then((result) => {
    clearTimeout(overall);
    finish(result);
  })
  .catch(fail);
