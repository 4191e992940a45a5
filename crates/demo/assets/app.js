// The demo page: plain socket.io-client 4.x (served by the demo from npm's bundle).
"use strict";

const $ = (id) => document.getElementById(id);
let session = null; // { token, user }
const jobs = new Map(); // job id -> progress element

function setConn(state) {
  const el = $("conn");
  el.className = "conn " + state;
  el.dataset.state = state;
  $("conn-state").textContent = state;
}

function showConnectError(message) {
  const el = $("connect-error");
  el.textContent = "connect_error: " + message;
  el.hidden = false;
}

async function api(path, body) {
  const headers = { "content-type": "application/json" };
  if (session) headers.authorization = "Bearer " + session.token;
  const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body || {}) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const { token, user } = await api("/api/login", { name: $("name").value });
    start(token, user);
  } catch (err) {
    showConnectError(err.message);
  }
});

$("forged-btn").addEventListener("click", () => {
  // A token the server never signed: the connect middleware refuses it.
  start("mallory.forged-signature", "mallory");
});

function start(token, user) {
  session = { token, user };
  $("connect-error").hidden = true;
  const opts = { auth: { token } };
  const notifications = io("/notifications", opts);
  const jobsNsp = io("/jobs", opts);
  const manager = notifications.io;

  const watchTransport = () => {
    const engine = manager.engine;
    if (!engine) return;
    $("transport").textContent = engine.transport.name;
    engine.on("upgrade", (t) => { $("transport").textContent = t.name; });
  };

  notifications.on("connect", () => {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("me").textContent = user;
    setConn("connected");
    watchTransport();
  });
  notifications.on("connect_error", (err) => {
    setConn("disconnected");
    showConnectError(err.message);
  });
  notifications.on("disconnect", (reason) => setConn(notifications.active ? "reconnecting" : "disconnected"));
  manager.on("reconnect_attempt", () => setConn("reconnecting"));

  notifications.on("presence", (users) => {
    const ul = $("presence");
    ul.replaceChildren(...users.map((u) => {
      const li = document.createElement("li");
      li.textContent = u;
      li.dataset.user = u;
      return li;
    }));
  });

  notifications.on("notification", (n) => {
    const li = document.createElement("li");
    li.textContent = `${n.from}: ${n.text}`;
    li.className = "notification";
    $("notifications").prepend(li);
  });

  // Ack round-trip time, measured with an acknowledged emit every second.
  setInterval(() => {
    if (!notifications.connected) return;
    const t0 = performance.now();
    notifications.timeout(2000).emit("rtt", (err) => {
      if (!err) $("rtt").textContent = (performance.now() - t0).toFixed(1) + " ms";
    });
  }, 1000);

  $("notify-form").onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await api("/api/notify", { to: $("notify-to").value, text: $("notify-text").value });
      $("notify-text").value = "";
    } catch (err) {
      showConnectError(err.message);
    }
  };

  const subscribe = (id) => {
    jobsNsp.timeout(5000).emit("subscribe", id, (err, reply) => {
      if (!err && reply && typeof reply.progress === "number") setProgress(id, reply.progress);
    });
  };
  // Rooms do not survive a reconnection: subscribe again to every job we show.
  jobsNsp.on("connect", () => { for (const id of jobs.keys()) subscribe(id); });
  jobsNsp.on("progress", ({ id, progress }) => setProgress(id, progress));

  $("job-btn").onclick = async () => {
    const { id } = await api("/api/jobs", {});
    addJob(id);
    subscribe(id);
  };
}

function addJob(id) {
  const div = document.createElement("div");
  div.className = "job";
  div.dataset.job = id;
  div.dataset.progress = "0";
  div.innerHTML = `<span>job ${id}: <b class="pct">0%</b></span><div class="bar"><div></div></div>`;
  $("jobs").prepend(div);
  jobs.set(id, div);
}

function setProgress(id, progress) {
  const div = jobs.get(id);
  if (!div) return;
  if (progress < Number(div.dataset.progress)) return; // late or repeated updates
  div.dataset.progress = String(progress);
  div.querySelector(".pct").textContent = progress + "%";
  div.querySelector(".bar > div").style.width = progress + "%";
}
