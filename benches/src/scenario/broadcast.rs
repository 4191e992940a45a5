//! `broadcast`: N clients; client 0 also emits `broadcast` with a sequence number
//! (keeping `pipeline` broadcasts in flight) and the server re-emits it to everyone.
//! Reports deliveries/s, delivery latency (emit to each client's receipt) and the time
//! until the last client has it.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::{base_report, connect_many, Conn, Target, Window};
use crate::report::{self, histogram, record};
use crate::sio::{Msg, SioConn};
use crate::ws::OP_TEXT;

/// Settings of the `broadcast` scenario.
#[derive(Debug, Clone)]
pub struct BroadcastCfg {
    /// Connected clients (all receive; the first one also emits).
    pub sockets: usize,
    /// Broadcasts in flight.
    pub pipeline: usize,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Measurement window.
    pub duration: Duration,
}

const RING: usize = 1024;
const PREFIX: &[u8] = br#"2["broadcast","#;

struct State {
    n: u32,
    sent_at: Vec<Option<Instant>>,
    got: Vec<u32>,
    next_seq: u64,
    in_flight: usize,
    deliveries: u64,
    completed: u64,
    delivery: Histogram<u64>,
    last: Histogram<u64>,
    errors: u64,
    broken: bool,
    first_error: Option<String>,
}

impl State {
    fn deliver(&mut self, seq: u64, now: Instant, window: &Window) -> bool {
        let slot = (seq as usize) % RING;
        let Some(t) = self.sent_at[slot] else {
            return false;
        };
        let inside = window.contains(now);
        if inside {
            record(&mut self.delivery, now - t);
            self.deliveries += 1;
        }
        self.got[slot] += 1;
        if self.got[slot] >= self.n {
            if inside {
                record(&mut self.last, now - t);
                self.completed += 1;
            }
            self.sent_at[slot] = None;
            self.got[slot] = 0;
            self.in_flight -= 1;
            return true;
        }
        false
    }
}

fn parse_seq(p: &[u8]) -> Option<u64> {
    let rest = p.strip_prefix(PREFIX)?;
    let mut n: u64 = 0;
    let mut any = false;
    for &b in rest {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.checked_mul(10)?.checked_add((b - b'0') as u64)?;
        any = true;
    }
    any.then_some(n)
}

/// Runs the scenario (inside a `LocalSet`).
pub async fn run(target: &Target, cfg: &BroadcastCfg) -> Value {
    let mut out = base_report("broadcast", target);
    out.insert("sockets".into(), json!(cfg.sockets));
    out.insert("pipeline".into(), json!(cfg.pipeline));
    if target.polling {
        out.insert("ok".into(), json!(false));
        out.insert(
            "first_error".into(),
            json!("broadcast is only implemented over websocket"),
        );
        return Value::Object(out);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let (conns, fails, first) = connect_many(target, cfg.sockets, 100, deadline).await;
    let state = Rc::new(RefCell::new(State {
        n: conns.len() as u32,
        sent_at: vec![None; RING],
        got: vec![0; RING],
        next_seq: 0,
        in_flight: 0,
        deliveries: 0,
        completed: 0,
        delivery: histogram(),
        last: histogram(),
        errors: fails,
        broken: false,
        first_error: first,
    }));
    let connected = conns.len();
    let wake = Rc::new(Notify::new());
    // A short settle time after the connects, then the warm-up.
    let window = Window::new(cfg.warmup + Duration::from_millis(300), cfg.duration);
    let mut tasks = Vec::new();
    for (i, conn) in conns.into_iter().enumerate() {
        let Conn::Ws(conn) = conn else { continue };
        let (state, wake) = (state.clone(), wake.clone());
        let pipeline = cfg.pipeline.max(1);
        tasks.push(tokio::task::spawn_local(async move {
            let r = tokio::time::timeout_at(
                window.hard_stop.into(),
                client(conn, i == 0, pipeline, window, &state, &wake),
            )
            .await;
            let e = match r {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "deliveries still missing at the hard stop".to_owned(),
            };
            let mut s = state.borrow_mut();
            s.errors += 1;
            s.broken = true;
            s.first_error.get_or_insert(e);
            drop(s);
            wake.notify_waiters();
        }));
    }
    let (server, own) = window.sample(target).await;
    let (deliveries, completed) = {
        let s = state.borrow();
        (s.deliveries, s.completed)
    };
    // The emitter finishes once its last broadcast has reached everyone; receivers are
    // dropped with the runtime.
    if let Some(emitter) = tasks.into_iter().next() {
        let _ = emitter.await;
    }
    let s = state.borrow();
    out.insert("connected".into(), json!(connected));
    out.insert("count".into(), json!(deliveries));
    out.insert("broadcasts".into(), json!(completed));
    out.insert("errors".into(), json!(s.errors));
    if let Some(e) = &s.first_error {
        out.insert("first_error".into(), json!(e));
    }
    out.insert("ok".into(), json!(s.errors == 0 && deliveries > 0));
    let secs = cfg.duration.as_secs_f64().max(1e-9);
    out.insert("duration_s".into(), json!(secs));
    out.insert("rate_per_s".into(), json!(deliveries as f64 / secs));
    report::latency(&mut out, "delivery", &s.delivery);
    report::latency(&mut out, "last", &s.last);
    report::cpu(&mut out, deliveries, cfg.duration, server, own);
    Value::Object(out)
}

fn emit(c: &mut SioConn, s: &mut State, pipeline: usize, end: Instant) {
    let mut frame = Vec::with_capacity(40);
    while s.in_flight < pipeline && Instant::now() < end {
        let seq = s.next_seq;
        s.next_seq += 1;
        let slot = (seq as usize) % RING;
        if s.sent_at[slot].is_some() {
            break; // the ring is full of broadcasts still in flight
        }
        frame.clear();
        frame.push(b'4');
        frame.extend_from_slice(PREFIX);
        frame.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
        frame.push(b']');
        c.ws.queue(OP_TEXT, &frame);
        s.sent_at[slot] = Some(Instant::now());
        s.got[slot] = 0;
        s.in_flight += 1;
    }
}

async fn client(
    mut c: SioConn,
    emitter: bool,
    pipeline: usize,
    window: Window,
    state: &Rc<RefCell<State>>,
    wake: &Rc<Notify>,
) -> io::Result<()> {
    if emitter {
        // Everyone is connected (connect_many returned); give the server a moment to
        // finish the namespace joins, then start.
        tokio::time::sleep(Duration::from_millis(200)).await;
        emit(&mut c, &mut state.borrow_mut(), pipeline, window.end);
    }
    loop {
        while let Some(m) = c.next_msg()? {
            if let Msg::Text(r) = m {
                if let Some(seq) = parse_seq(c.ws.payload(r)) {
                    let now = Instant::now();
                    let mut s = state.borrow_mut();
                    if s.deliver(seq, now, &window) {
                        if emitter {
                            emit(&mut c, &mut s, pipeline, window.end);
                        } else {
                            wake.notify_one();
                        }
                    }
                }
            }
        }
        if emitter {
            {
                let s = state.borrow();
                if (Instant::now() >= window.end && s.in_flight == 0) || s.broken {
                    return Ok(());
                }
            }
            c.ws.flush().await?;
            tokio::select! {
                r = c.ws.fill() => r?,
                _ = wake.notified() => {
                    emit(&mut c, &mut state.borrow_mut(), pipeline, window.end);
                }
            }
        } else {
            // Receivers read until the run ends (the emitter decides when).
            c.ws.flush().await?;
            c.ws.fill().await?;
        }
    }
}
