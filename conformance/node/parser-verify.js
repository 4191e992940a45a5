"use strict";
// Reads from stdin what the Rust codec encoded for the corpus of parser-fixtures.js
// and checks it with the real npm decoders: every packet must decode to exactly the
// corpus packet, and the frames must be byte-identical to the npm encoders' output.
// Exits non-zero (listing every mismatch) otherwise.
//
// Input: {"json": [{"name", "frames": [{"text"}|{"binary": base64}]}],
//         "msgpack": [{"name", "frame": base64}]}   (several entries per name allowed)

const assert = require("node:assert");
const parser = require("socket.io-parser");
const msgpackParser = require("socket.io-msgpack-parser");
const { corpus, msgpackShape } = require("./parser-fixtures.js");

function decodeJson(frames) {
  const d = new parser.Decoder();
  const got = [];
  d.on("decoded", (p) => got.push(p));
  for (const f of frames) d.add(f);
  assert.strictEqual(got.length, 1, "exactly one packet decoded");
  return got[0];
}

function decodeMsgpack(frame) {
  const d = new msgpackParser.Decoder();
  const got = [];
  d.on("decoded", (p) => got.push(p));
  d.add(frame);
  assert.strictEqual(got.length, 1, "exactly one packet decoded");
  return got[0];
}

function normalize(p) {
  const o = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) o.id = p.id;
  if (p.data !== undefined) o.data = p.data;
  return o;
}

function main(input) {
  const byName = new Map(corpus().map((c) => [c.name, c]));
  const failures = [];
  let checked = 0;
  for (const entry of input.json) {
    const c = byName.get(entry.name);
    try {
      assert.ok(c, "unknown corpus case");
      const frames = entry.frames.map((f) => (f.text !== undefined ? f.text : Buffer.from(f.binary, "base64")));
      const got = decodeJson(frames);
      const reference = new parser.Encoder().encode(corpus().find((x) => x.name === entry.name).p);
      // Same packet as the npm decoder gets from the npm encoder's frames (JSON turns
      // -0 into 0, so the corpus object itself is not the reference for numbers).
      assert.deepStrictEqual(normalize(got), normalize(decodeJson(reference)));
      assert.strictEqual(frames.length, reference.length, "frame count");
      frames.forEach((f, i) => {
        if (typeof reference[i] === "string") assert.strictEqual(f, reference[i], `frame ${i}`);
        else assert.ok(Buffer.from(reference[i]).equals(f), `binary frame ${i}`);
      });
      checked++;
    } catch (e) {
      failures.push(`json ${entry.name} (${entry.via}): ${e.message}`);
    }
  }
  for (const entry of input.msgpack) {
    const c = byName.get(entry.name);
    try {
      assert.ok(c, "unknown corpus case");
      const frame = Buffer.from(entry.frame, "base64");
      const got = decodeMsgpack(frame);
      const [reference] = new msgpackParser.Encoder().encode(msgpackShape(corpus().find((x) => x.name === entry.name).p));
      assert.deepStrictEqual(normalize(got), normalize(decodeMsgpack(reference)));
      assert.ok(Buffer.from(reference).equals(frame), "msgpack bytes differ from notepack's");
      checked++;
    } catch (e) {
      failures.push(`msgpack ${entry.name} (${entry.via}): ${e.message}`);
    }
  }
  if (failures.length > 0 || checked === 0) {
    process.stderr.write(`${failures.length} mismatches (${checked} ok):\n${failures.join("\n")}\n`);
    process.exit(1);
  }
  process.stdout.write(`verified ${checked} packets\n`);
}

let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (buf += d));
process.stdin.on("end", () => main(JSON.parse(buf)));
