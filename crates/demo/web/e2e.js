// End-to-end test of the demo in real Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core). Usage: node e2e.js <demo-binary> <port> <screenshot-dir>
// It owns the demo server process: starts it, restarts it mid-test, stops it.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const assert = require("node:assert/strict");
const { chromium } = require("playwright-core");

const [bin, port, shots] = process.argv.slice(2);
if (!bin || !port || !shots) {
  console.error("usage: node e2e.js <demo-binary> <port> <screenshot-dir>");
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
fs.mkdirSync(shots, { recursive: true });

let server = null;
function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["--port", String(port)], {
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("demo did not start in 30 s: " + out)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => reject(new Error(`demo exited early with ${code}: ${out}`)));
  });
}
function stopServer() {
  return new Promise((resolve) => {
    server.removeAllListeners("exit");
    server.on("exit", (code, signal) => resolve({ code, signal }));
    server.kill("SIGTERM");
  });
}

async function signIn(browser, name) {
  const page = await browser.newPage();
  page.on("pageerror", (err) => console.error(`[${name}] page error:`, err));
  await page.goto(base + "/");
  await page.fill("#name", name);
  await page.click("#signin-btn");
  await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  return page;
}

const step = (msg) => console.log("e2e:", msg);

(async () => {
  server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const health = await (await fetch(base + "/health")).json();
    assert.equal(typeof health.connected, "number", "health has a connected count");

    step("two users sign in");
    const alice = await signIn(browser, "alice");
    const bob = await signIn(browser, "bob");
    await alice.waitForSelector('#presence li[data-user="bob"]', { timeout: 10000 });
    await bob.waitForSelector('#presence li[data-user="alice"]', { timeout: 10000 });
    // The client upgrades from polling to WebSocket by itself.
    await alice.waitForFunction(() => document.getElementById("transport").textContent === "websocket", null, { timeout: 10000 });
    await alice.waitForFunction(() => /ms$/.test(document.getElementById("rtt").textContent), null, { timeout: 10000 });
    await alice.screenshot({ path: path.join(shots, "1-alice-signed-in.png") });

    const h2 = await (await fetch(base + "/health")).json();
    assert.ok(h2.connected >= 2, "health counts the two connected users: " + JSON.stringify(h2));

    step("alice notifies bob through POST /api/notify");
    await alice.fill("#notify-to", "bob");
    await alice.fill("#notify-text", "hello bob");
    await alice.click("#notify-btn");
    await bob.waitForSelector('li.notification:has-text("alice: hello bob")', { timeout: 10000 });
    await bob.screenshot({ path: path.join(shots, "2-bob-notified.png") });

    step("alice starts a job and the bar reaches 100%");
    await alice.click("#job-btn");
    await alice.waitForSelector('.job[data-progress="100"]', { timeout: 20000 });
    await alice.screenshot({ path: path.join(shots, "3-job-done.png") });

    step("a forged token gets the server's connect_error");
    const mallory = await browser.newPage();
    await mallory.goto(base + "/");
    await mallory.click("#forged-btn");
    await mallory.waitForSelector("#connect-error:not([hidden])", { timeout: 10000 });
    const errText = await mallory.textContent("#connect-error");
    assert.equal(errText, "connect_error: invalid token");
    await mallory.screenshot({ path: path.join(shots, "4-forged-token.png") });

    step("the server restarts and the pages reconnect by themselves");
    const stopped = await stopServer();
    step(`server stopped (${JSON.stringify(stopped)})`);
    await alice.waitForSelector('#conn:not([data-state="connected"])', { timeout: 10000 });
    await alice.screenshot({ path: path.join(shots, "5-server-down.png") });
    server = await startServer();
    await alice.waitForSelector('#conn[data-state="connected"]', { timeout: 20000 });
    await bob.waitForSelector('#conn[data-state="connected"]', { timeout: 20000 });
    // The reconnected sockets are in their rooms again: bob notifies alice.
    await bob.fill("#notify-to", "alice");
    await bob.fill("#notify-text", "welcome back");
    await bob.click("#notify-btn");
    await alice.waitForSelector('li.notification:has-text("bob: welcome back")', { timeout: 10000 });
    await alice.screenshot({ path: path.join(shots, "6-reconnected.png") });
    step("all steps passed");
  } finally {
    await browser.close();
    if (server) await stopServer();
  }
})().catch((err) => {
  console.error("e2e failed:", err);
  if (server) server.kill("SIGKILL");
  process.exit(1);
});
