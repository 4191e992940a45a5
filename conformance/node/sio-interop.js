// Interop scenario for the Rust Socket.IO server with the real npm socket.io-client.
// Usage: node sio-interop.js <url> <polling|websocket|upgrade> [json|msgpack]
// The server side is crates/socketio-server/tests/common/scenario.rs. Prints one JSON
// line per step; prints "RESTART" when the driver must restart the server; exits 0 when
// every assertion passed, 1 otherwise.
"use strict";
const assert = require("node:assert/strict");
const { io, Manager } = require("socket.io-client");

const [url, mode, parserName = "json"] = process.argv.slice(2);
if (!url || !["polling", "websocket", "upgrade"].includes(mode)) {
  console.error("usage: node sio-interop.js <url> <polling|websocket|upgrade> [json|msgpack]");
  process.exit(2);
}
const WAIT = 10000;
const base = {
  forceNew: true,
  reconnection: false,
  transports: mode === "polling" ? ["polling"] : mode === "websocket" ? ["websocket"] : ["polling", "websocket"],
  upgrade: mode === "upgrade",
};
if (parserName === "msgpack") base.parser = require("socket.io-msgpack-parser");

const log = (o) => console.log(JSON.stringify(o));
const step = (name) => log({ step: name });

function withTimeout(p, what, ms = WAIT) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => (t = setTimeout(() => rej(new Error("timeout: " + what)), ms))),
  ]);
}
function next(socket, ev) {
  return withTimeout(new Promise((res) => socket.once(ev, (...args) => res(args))), ev);
}
function connected(socket) {
  return withTimeout(
    new Promise((res, rej) => {
      socket.once("connect", () => res(socket));
      socket.once("connect_error", rej);
    }),
    "connect " + socket.nsp,
  );
}
function refused(socket) {
  return withTimeout(
    new Promise((res, rej) => {
      socket.once("connect", () => rej(new Error("unexpected connect on " + socket.nsp)));
      socket.once("connect_error", (err) => res(err));
    }),
    "connect_error " + socket.nsp,
  );
}
function ack(socket, ev, ...args) {
  return withTimeout(
    new Promise((res, rej) =>
      socket.timeout(WAIT).emit(ev, ...args, (err, ...resp) => (err ? rej(err) : res(resp))),
    ),
    "ack " + ev,
  );
}
const auth = (label) => ({ token: "secret", label });
// Records events so their absence can be checked after a marker.
function recorder(socket, events) {
  const got = [];
  for (const ev of events) socket.on(ev, (...args) => got.push([ev, ...args]));
  return got;
}

async function main() {
  // 1. Middleware refusal: connect_error with message and data.
  const bad = io(url, { ...base, auth: { token: "nope", label: "bad" } });
  const err = await refused(bad);
  assert.equal(err.message, "unauthorized");
  assert.deepEqual(err.data, { code: 401 });
  bad.close();
  // Dynamic namespace refused by its predicate: "Invalid namespace".
  const badDyn = io(url + "/dyn-1", { ...base, auth: { token: "nope" } });
  assert.equal((await refused(badDyn)).message, "Invalid namespace");
  badDyn.close();
  step("refusals");

  // 2. "/", a static namespace and a dynamic one over one connection (multiplexed).
  const a = io(url, { ...base, auth: auth("a") });
  const aWelcome = next(a, "welcome");
  await connected(a);
  assert.deepEqual(await aWelcome, ["/", auth("a")]);
  if (mode === "upgrade") {
    const engine = a.io.engine;
    if (engine.transport.name !== "websocket") await withTimeout(new Promise((r) => engine.once("upgrade", r)), "upgrade");
    assert.equal(engine.transport.name, "websocket");
  } else {
    assert.equal(a.io.engine.transport.name, mode);
  }
  // Manager#socket connects right away (autoConnect); a second connect() would send a
  // second CONNECT, which the server answers by closing the connection (like Node).
  const chat = a.io.socket("/chat", { auth: auth("chat") });
  const chatWelcome = next(chat, "welcome");
  await connected(chat);
  assert.deepEqual(await chatWelcome, ["/chat", auth("chat")]);
  const dyn = a.io.socket("/dyn-42", { auth: auth("dyn") });
  const dynWelcome = next(dyn, "welcome");
  await connected(dyn);
  assert.deepEqual(await dynWelcome, ["/dyn-42", auth("dyn")]);
  assert.notEqual(a.id, a.io.engine.id);
  assert.equal(a.id.length, 20);
  step("namespaces");

  // 3. Emits both ways with 0..3 arguments.
  for (const args of [[], [1], ["x", { y: [1, 2] }], [null, true, 3.5]]) {
    for (const s of [a, chat, dyn]) {
      assert.deepEqual(await ack(s, "echo", ...args), args);
      const back = next(s, "back");
      s.emit("emit-back", ...args);
      assert.deepEqual(await back, args);
    }
  }
  step("emit-0..3-args");

  // 4. Nested binary both ways.
  const payload = { file: Buffer.from([1, 2, 3]), meta: { inner: [Buffer.from([4]), Buffer.from([])] }, text: "t" };
  const check = (n) => {
    assert.ok(Buffer.from(n.file).equals(payload.file));
    assert.equal(n.meta.inner.length, 2);
    assert.ok(Buffer.from(n.meta.inner[0]).equals(Buffer.from([4])));
    assert.equal(Buffer.from(n.meta.inner[1]).length, 0);
    assert.equal(n.text, "t");
  };
  const binBack = next(a, "binary-back");
  const [echoed] = await ack(a, "binary", payload);
  check(echoed);
  check((await binBack)[0]);
  step("binary");

  // 5. Server -> client acks, with and without timeout.
  a.on("question", (...args) => {
    const cb = args.pop();
    cb({ got: args });
  });
  a.on("silent", () => {});
  assert.deepEqual(await ack(a, "ask-me", "question", 5000), [null, [{ got: [1, "two", { three: 3 }] }]]);
  assert.deepEqual(await ack(a, "ask-me", "silent", 200), ["operation has timed out"]);
  step("server-acks");

  // 6. Rooms and broadcasts.
  const b = io(url, { ...base, auth: auth("b") });
  const c = io(url, { ...base, auth: auth("c") });
  await Promise.all([connected(b), connected(c)]);
  const evs = ["hello-r1", "hello-r12", "hello-except", "marker"];
  const got = { a: recorder(a, evs), b: recorder(b, evs), c: recorder(c, evs) };
  await ack(a, "join", ["r1"]);
  await ack(b, "join", ["r1", "r2"]);
  await ack(c, "join", ["r2"]);
  await ack(a, "to-rooms", ["r1"], [], "hello-r1");
  await ack(a, "to-rooms", ["r1", "r2"], [], "hello-r12");
  await ack(a, "to-rooms", ["r1", "r2"], ["r2"], "hello-except");
  const markers = [next(a, "marker"), next(b, "marker"), next(c, "marker")];
  await ack(a, "to-rooms", ["r1", "r2"], [], "marker");
  await Promise.all(markers);
  const names = (list) => list.map((e) => e[0]);
  assert.deepEqual(names(got.a), ["hello-r1", "hello-r12", "hello-except", "marker"]);
  assert.deepEqual(names(got.b), ["hello-r1", "hello-r12", "marker"]);
  assert.deepEqual(names(got.c), ["hello-r12", "marker"]);
  assert.equal(got.b[0][1], a.id);
  step("broadcast-rooms-except");

  // 7. Aggregated acks (and the partial list on timeout).
  b.on("agg", (cb) => cb("b"));
  let cSilent = false;
  c.on("agg", (cb) => {
    if (!cSilent) cb("c");
  });
  assert.deepEqual(await ack(a, "aggregate", "r2", 5000), [null, ["b", "c"]]);
  cSilent = true;
  assert.deepEqual(await ack(a, "aggregate", "r2", 1500), ["operation has timed out", ["b"]]);
  step("aggregated-acks");

  // 8. fetch_sockets, sockets_join / sockets_leave, disconnect_sockets.
  assert.deepEqual(await ack(a, "fetch", "r2"), [["b", "c"]]);
  await ack(a, "sockets-join", "r1", "r3");
  assert.deepEqual(await ack(a, "fetch", "r3"), [["a", "b"]]);
  await ack(a, "sockets-leave", "r3", "r3");
  assert.deepEqual(await ack(a, "fetch", "r3"), [[]]);
  await ack(c, "join", ["kick"]);
  const cGone = next(c, "disconnect");
  a.emit("disconnect-room", "kick", false);
  assert.equal((await cGone)[0], "io server disconnect");
  step("fetch-join-leave-disconnect");

  // 9. Disconnections from each side.
  const bGone = next(b, "disconnect");
  b.disconnect();
  assert.equal((await bGone)[0], "io client disconnect");
  const dynGone = next(dyn, "disconnect");
  dyn.emit("disconnect-me", false);
  assert.equal((await dynGone)[0], "io server disconnect");
  const aGone = next(a, "disconnect");
  const chatGone = next(chat, "disconnect");
  chat.emit("disconnect-me", true);
  // Node's reasons on every transport: the DISCONNECT packets arrive before the engine's
  // close (over polling the close comes in a later response).
  assert.equal((await chatGone)[0], "io server disconnect", "chat reason");
  assert.equal((await aGone)[0], "io server disconnect", "a reason");
  step("disconnects");

  // 10. Reconnection after a server restart.
  const r = io(url, { ...base, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500, auth: auth("r") });
  await connected(r);
  // Restart from a settled connection, where Node's answer is exactly "transport
  // close". Over polling the client sends its next poll right after the response that
  // carried the CONNECT; a poll still on its way when the server closes meets a closed
  // server and fails ("transport error", with a Node server too), so give it a generous
  // moment to be waiting at the server, which then answers it with the close packet.
  // In upgrade mode, restart once upgraded: the upgrade is a few back-to-back steps
  // each carried by a poll that races a restart the same way (no stable point to
  // restart at); a close during an upgrade is covered by the engine's tests
  // (crates/engineio/tests/node_client.rs and websocket.rs).
  if (mode === "upgrade" && r.io.engine.transport.name !== "websocket") {
    await withTimeout(new Promise((res) => r.io.engine.once("upgrade", res)), "upgrade of r");
  } else if (mode === "polling") {
    await new Promise((res) => setTimeout(res, 500));
  }
  const firstId = r.id;
  const lost = next(r, "disconnect");
  const again = withTimeout(new Promise((res) => r.io.once("reconnect", res)), "reconnect", 30000);
  console.log("RESTART");
  // The server's engine closes every session: the client sees the transport close.
  assert.equal((await lost)[0], "transport close", "restart reason");
  await again;
  if (!r.connected) await connected(r);
  assert.notEqual(r.id, firstId);
  assert.deepEqual(await ack(r, "echo", "after restart"), ["after restart"]);
  r.close();
  step("reconnect-after-restart");
  log({ done: true });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error("FAILED:", e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
