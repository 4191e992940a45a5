//! `echo`: C clients in a closed loop. Each keeps `pipeline` messages in flight: an
//! `echo` event with an ack id (answered by an ACK) or without (answered by an `echo`
//! event), carrying a string of `payload` bytes or, with `binary`, one binary attachment
//! of that size. Latency is measured from the send to the complete answer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::{base_report, connect_many, Conn, Target, Window};
use crate::polling::PollingConn;
use crate::report::{self, histogram, record};
use crate::sio::{Msg, SioConn};
use crate::ws::{self, OP_BINARY, OP_TEXT};

/// Settings of the `echo` scenario.
#[derive(Debug, Clone)]
pub struct EchoCfg {
    /// Concurrent clients.
    pub clients: usize,
    /// Ask for an acknowledgement (`true`) or expect an `echo` event back.
    pub ack: bool,
    /// Length of the string argument (ignored with `binary`).
    pub payload: usize,
    /// Size of the binary attachment (0 = none).
    pub binary: usize,
    /// Messages in flight per client.
    pub pipeline: usize,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Measurement window.
    pub duration: Duration,
}

struct Stats {
    hist: Histogram<u64>,
    count: u64,
    errors: u64,
    first_error: Option<String>,
}

/// The frames of one request, built once per client.
struct Request {
    /// `4` + packet type + (`1-` for binary); the ack id follows when acked.
    head: Vec<u8>,
    /// The JSON array after the ack id.
    body: Vec<u8>,
    /// The attachment as a complete client frame (binary mode).
    attachment: Option<Vec<u8>>,
}

impl Request {
    fn new(cfg: &EchoCfg) -> Request {
        let (head, body, attachment) = if cfg.binary > 0 {
            let blob: Vec<u8> = (0..cfg.binary).map(|i| (i % 251) as u8).collect();
            (
                b"451-".to_vec(),
                br#"["echo",{"_placeholder":true,"num":0}]"#.to_vec(),
                Some(ws::frame(OP_BINARY, &blob)),
            )
        } else {
            let s = "x".repeat(cfg.payload);
            (
                b"42".to_vec(),
                format!(r#"["echo","{s}"]"#).into_bytes(),
                None,
            )
        };
        Request {
            head,
            body,
            attachment,
        }
    }

    /// The Engine.IO text packet for ack id `id` (None: no ack).
    fn text(&self, scratch: &mut Vec<u8>, id: Option<u64>) {
        scratch.clear();
        scratch.extend_from_slice(&self.head);
        if let Some(id) = id {
            scratch.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
        }
        scratch.extend_from_slice(&self.body);
    }
}

/// Runs the scenario (inside a `LocalSet`).
pub async fn run(target: &Target, cfg: &EchoCfg) -> Value {
    let mut out = base_report("echo", target);
    out.insert("clients".into(), json!(cfg.clients));
    out.insert("mode".into(), json!(if cfg.ack { "ack" } else { "event" }));
    out.insert("payload".into(), json!(cfg.payload));
    out.insert("binary".into(), json!(cfg.binary));
    out.insert("pipeline".into(), json!(cfg.pipeline));
    if target.polling && cfg.binary > 0 {
        out.insert("ok".into(), json!(false));
        out.insert(
            "first_error".into(),
            json!("binary attachments are only implemented over websocket"),
        );
        return Value::Object(out);
    }
    let connect_deadline = Instant::now() + Duration::from_secs(30);
    let (conns, fails, first) = connect_many(target, cfg.clients, 50, connect_deadline).await;
    let stats = Rc::new(RefCell::new(Stats {
        hist: histogram(),
        count: 0,
        errors: fails,
        first_error: first,
    }));
    let window = Window::new(cfg.warmup, cfg.duration);
    let request = Rc::new(Request::new(cfg));
    let mut tasks = Vec::new();
    for conn in conns {
        let (stats, request, cfg) = (stats.clone(), request.clone(), cfg.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let r = tokio::time::timeout_at(window.hard_stop.into(), async {
                match conn {
                    Conn::Ws(c) => ws_client(c, &cfg, &request, window, &stats).await,
                    Conn::Polling(c) => polling_client(c, &cfg, &request, window, &stats).await,
                }
            })
            .await;
            let e = match r {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "answers still missing at the hard stop".to_owned(),
            };
            let mut s = stats.borrow_mut();
            s.errors += 1;
            s.first_error.get_or_insert(e);
        }));
    }
    let (server, own) = window.sample(target).await;
    let measured = stats.borrow().count;
    for t in tasks {
        let _ = t.await;
    }
    let s = stats.borrow();
    out.insert("connected".into(), json!(cfg.clients as u64 - fails));
    out.insert("count".into(), json!(measured));
    out.insert("errors".into(), json!(s.errors));
    if let Some(e) = &s.first_error {
        out.insert("first_error".into(), json!(e));
    }
    out.insert("ok".into(), json!(s.errors == 0 && measured > 0));
    let secs = cfg.duration.as_secs_f64().max(1e-9);
    out.insert("duration_s".into(), json!(secs));
    out.insert("rate_per_s".into(), json!(measured as f64 / secs));
    report::latency(&mut out, "latency", &s.hist);
    report::cpu(&mut out, measured, cfg.duration, server, own);
    Value::Object(out)
}

fn complete(
    sent: &mut VecDeque<Instant>,
    window: &Window,
    stats: &Rc<RefCell<Stats>>,
) -> io::Result<Instant> {
    let t = sent
        .pop_front()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected answer"))?;
    let now = Instant::now();
    if window.contains(now) {
        let mut s = stats.borrow_mut();
        record(&mut s.hist, now - t);
        s.count += 1;
    }
    Ok(now)
}

async fn ws_client(
    mut c: SioConn,
    cfg: &EchoCfg,
    req: &Request,
    window: Window,
    stats: &Rc<RefCell<Stats>>,
) -> io::Result<()> {
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(cfg.pipeline);
    let mut scratch = Vec::with_capacity(req.head.len() + req.body.len() + 20);
    let mut next_id: u64 = 0;
    let mut send = |c: &mut SioConn, sent: &mut VecDeque<Instant>| {
        let id = cfg.ack.then(|| {
            next_id = (next_id + 1) % 1_000_000_000;
            next_id
        });
        req.text(&mut scratch, id);
        c.ws.queue(OP_TEXT, &scratch);
        if let Some(a) = &req.attachment {
            c.ws.queue_raw(a);
        }
        sent.push_back(Instant::now());
    };
    for _ in 0..cfg.pipeline.max(1) {
        send(&mut c, &mut sent);
    }
    // Answer: ACK `3…` / BINARY_ACK `6…` (ack mode), EVENT `2…` / BINARY_EVENT `5…`.
    let (plain, binary) = if cfg.ack { (b'3', b'6') } else { (b'2', b'5') };
    let mut awaiting_attachment = false;
    loop {
        while let Some(m) = c.next_msg()? {
            let done = match m {
                Msg::Text(r) => {
                    let first = c.ws.payload(r).first().copied();
                    if first == Some(plain) {
                        true
                    } else if first == Some(binary) {
                        awaiting_attachment = true;
                        false
                    } else {
                        false
                    }
                }
                Msg::Binary(_) if awaiting_attachment => {
                    awaiting_attachment = false;
                    true
                }
                _ => false,
            };
            if done {
                let now = complete(&mut sent, &window, stats)?;
                if now < window.end {
                    send(&mut c, &mut sent);
                } else if sent.is_empty() {
                    return Ok(());
                }
            }
        }
        c.ws.flush().await?;
        c.ws.fill().await?;
    }
}

async fn polling_client(
    mut c: PollingConn,
    cfg: &EchoCfg,
    req: &Request,
    window: Window,
    stats: &Rc<RefCell<Stats>>,
) -> io::Result<()> {
    let mut sent: VecDeque<Instant> = VecDeque::new();
    let mut next_id: u64 = 0;
    let plain = if cfg.ack { b'3' } else { b'2' };
    loop {
        // Top up the pipeline in one POST.
        let mut packets = Vec::new();
        while sent.len() < cfg.pipeline.max(1) && Instant::now() < window.end {
            let mut p = Vec::new();
            let id = cfg.ack.then(|| {
                next_id += 1;
                next_id
            });
            req.text(&mut p, id);
            packets.push(p);
            sent.push_back(Instant::now());
        }
        if !packets.is_empty() {
            let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
            c.send(&refs).await?;
        }
        if sent.is_empty() {
            return Ok(());
        }
        let p = c.recv().await?;
        if p.first() == Some(&plain) {
            complete(&mut sent, &window, stats)?;
        }
    }
}
