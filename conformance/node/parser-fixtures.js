"use strict";
// Interop corpus for crates/socketio-parser (tests/node_interop.rs).
//
// `node parser-fixtures.js` prints, for every packet of the corpus, the frames that the
// real npm encoders produce: socket.io-parser 4.x (text + binary attachments) and
// socket.io-msgpack-parser 3.x (one msgpack message, key order type/data/nsp/id).
// Binary frames are base64. `corpus()` is shared with parser-verify.js.

const parser = require("socket.io-parser");
const msgpackParser = require("socket.io-msgpack-parser");

const T = parser.PacketType;

function bytes(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x & 0xff;
  }
  return b;
}

const UNICODE = [
  "héllo wörld",
  "astral 😀 𝄞 🏳️‍🌈",
  "escapes \u0000\u0001\u001f \" \\ / \b \f \n \r \t \u2028 \u2029 \u007f",
  "日本語テキスト",
];

// Packets as socket.io builds them. `msgpack: false` excludes a case from the msgpack
// corpus: notepack encodes integral numbers beyond 2^53 with a broken uint64 split.
function corpus() {
  return [
    { name: "connect root", p: { type: T.CONNECT, nsp: "/" } },
    { name: "connect auth", p: { type: T.CONNECT, nsp: "/", data: { token: "123" } } },
    { name: "connect nsp auth", p: { type: T.CONNECT, nsp: "/admin", data: { token: "123" } } },
    { name: "connect nsp empty auth", p: { type: T.CONNECT, nsp: "/admin", data: {} } },
    {
      name: "server connect ok",
      p: { type: T.CONNECT, nsp: "/admin", data: { sid: "Xq9w1ZgA0aBcDeFgHiJk", pid: "p-1" } },
    },
    {
      name: "connect error object",
      p: {
        type: T.CONNECT_ERROR,
        nsp: "/admin",
        data: { message: "Not authorized", data: { code: 4, retry: false } },
      },
    },
    { name: "connect error invalid nsp", p: { type: T.CONNECT_ERROR, nsp: "/nope", data: { message: "Invalid namespace" } } },
    { name: "connect error string", p: { type: T.CONNECT_ERROR, nsp: "/", data: "plain refusal" } },
    { name: "disconnect root", p: { type: T.DISCONNECT, nsp: "/" } },
    { name: "disconnect nsp", p: { type: T.DISCONNECT, nsp: "/admin" } },
    { name: "event", p: { type: T.EVENT, nsp: "/", data: ["foo", 1] } },
    { name: "event ack id", p: { type: T.EVENT, nsp: "/", id: 12, data: ["foo", 1, "two", true, false, null] } },
    { name: "event empty args", p: { type: T.EVENT, nsp: "/", data: ["empty"] } },
    { name: "event nsp ack", p: { type: T.EVENT, nsp: "/chat", id: 0, data: ["msg", { text: "hi" }] } },
    { name: "ack", p: { type: T.ACK, nsp: "/admin", id: 13, data: ["bar"] } },
    { name: "ack empty", p: { type: T.ACK, nsp: "/", id: 1, data: [] } },
    { name: "number event name", p: { type: T.EVENT, nsp: "/", data: [42, "x"] } },
    { name: "negative float event name", p: { type: T.EVENT, nsp: "/", data: [-1.5] } },
    { name: "large ack id", p: { type: T.EVENT, nsp: "/", id: Number.MAX_SAFE_INTEGER, data: ["big"] } },
    { name: "ack id 2^32", p: { type: T.ACK, nsp: "/x", id: 4294967296, data: [1] } },
    { name: "unicode", p: { type: T.EVENT, nsp: "/ünï", data: ["uni", ...UNICODE, { "ключ": "значение", "emoji😀": ["👍"] }] } },
    { name: "escaped event name", p: { type: T.EVENT, nsp: "/", data: ["ev\n\"x\"\u0007", 1] } },
    { name: "escaped keys", p: { type: T.EVENT, nsp: "/", data: ["keys", { "a\"b": 1, "": 2, "\n": [] }] } },
    {
      name: "numbers",
      p: {
        type: T.EVENT,
        nsp: "/",
        data: ["nums", 0, -0, 1, -1, 1.5, -2.25, 0.1 + 0.2, 1e-7, 0.000001, 123456789012, -1e10,
          Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 5e-324, -1e-300, 3.14159],
      },
    },
    {
      name: "big numbers",
      msgpack: false,
      p: { type: T.EVENT, nsp: "/", data: ["bignums", 1e21, 1e20, 123e25, -4.5e100, 1.7976931348623157e308] },
    },
    {
      name: "nested",
      p: { type: T.EVENT, nsp: "/", data: ["deep", { a: { b: { c: [1, [2, [3, { d: "e" }]]] } } }, [[[]]], {}] },
    },
    { name: "binary", p: { type: T.EVENT, nsp: "/", data: ["bin", Buffer.from([1, 2, 3])] } },
    {
      name: "nested binary",
      p: {
        type: T.EVENT,
        nsp: "/",
        data: ["nested", { a: bytes(5, 1), list: [bytes(3, 2), { deep: bytes(7, 3) }] }, "tail", Buffer.alloc(0)],
      },
    },
    { name: "binary ack", p: { type: T.ACK, nsp: "/", id: 15, data: ["bar", bytes(16, 4)] } },
    { name: "binary ack only", p: { type: T.ACK, nsp: "/", id: 15, data: [bytes(2, 9)] } },
    {
      name: "binary nsp ack id",
      p: { type: T.EVENT, nsp: "/files", id: 7, data: ["upload", { name: "a.png", data: bytes(1024, 5) }] },
    },
    {
      name: "ten attachments",
      p: { type: T.EVENT, nsp: "/", data: ["many", ...Array.from({ length: 10 }, (_, i) => bytes(i + 1, i + 10))] },
    },
    { name: "binary 64k", p: { type: T.EVENT, nsp: "/", data: ["large", bytes(65536, 6)] } },
  ];
}

// The packet object as the msgpack parser would get it: keys type, data, nsp, id.
function msgpackShape(p) {
  const o = { type: p.type };
  if (p.data !== undefined) o.data = p.data;
  o.nsp = p.nsp;
  if (p.id !== undefined) o.id = p.id;
  return o;
}

function frameJson(f) {
  return typeof f === "string" ? { text: f } : { binary: Buffer.from(f).toString("base64") };
}

function encodeAll() {
  const out = { json: [], msgpack: [] };
  for (const c of corpus()) {
    if (c.json !== false) {
      const frames = new parser.Encoder().encode(c.p);
      out.json.push({ name: c.name, type: c.p.type, nsp: c.p.nsp, id: c.p.id ?? null, frames: frames.map(frameJson) });
    }
  }
  for (const c of corpus()) {
    if (c.msgpack !== false) {
      const [frame] = new msgpackParser.Encoder().encode(msgpackShape(c.p));
      out.msgpack.push({ name: c.name, type: c.p.type, nsp: c.p.nsp, id: c.p.id ?? null, frame: Buffer.from(frame).toString("base64") });
    }
  }
  return out;
}

module.exports = { corpus, msgpackShape };

if (require.main === module) {
  process.stdout.write(JSON.stringify(encodeAll()));
}
