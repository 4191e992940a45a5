//! `connect`: open N sockets (bounded concurrency), hold them idle answering pings.
//!
//! Reports connects/s, connect latency (TCP connect to the CONNECT reply), the server's
//! RSS growth per socket (total, and marginal between N/2 and N) and server CPU µs per
//! connect (over the connect phase).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{base_report, open, Conn, Target};
use crate::procfs::ProcSample;
use crate::report::{self, histogram, record};

/// Settings of the `connect` scenario.
#[derive(Debug, Clone)]
pub struct ConnectCfg {
    /// Sockets to open.
    pub sockets: usize,
    /// Handshakes in flight at once.
    pub concurrency: usize,
    /// How long to hold the sockets after the last connect before measuring memory.
    pub hold: Duration,
    /// Give up connecting after this long.
    pub timeout: Duration,
}

struct State {
    next: usize,
    done: usize,
    failures: u64,
    first_error: Option<String>,
    hist: hdrhistogram::Histogram<u64>,
    half: Option<ProcSample>,
}

/// Runs the scenario (inside a `LocalSet`).
pub async fn run(target: &Target, cfg: &ConnectCfg) -> Value {
    let n = cfg.sockets.max(1);
    let before = target.server();
    let own0 = target.own();
    let state = Rc::new(RefCell::new(State {
        next: 0,
        done: 0,
        failures: 0,
        first_error: None,
        hist: histogram(),
        half: None,
    }));
    let t0 = Instant::now();
    let deadline = t0 + cfg.timeout;
    let mut workers = Vec::new();
    for _ in 0..cfg.concurrency.clamp(1, n) {
        let (state, target) = (state.clone(), target.clone());
        workers.push(tokio::task::spawn_local(async move {
            loop {
                {
                    let mut s = state.borrow_mut();
                    if s.next >= n {
                        break;
                    }
                    s.next += 1;
                }
                let start = Instant::now();
                match tokio::time::timeout_at(deadline.into(), open(&target)).await {
                    Ok(Ok(conn)) => {
                        let now = Instant::now();
                        let mut s = state.borrow_mut();
                        record(&mut s.hist, now - start);
                        s.done += 1;
                        if s.done == n / 2 {
                            s.half = target.server();
                        }
                        drop(s);
                        // Held until the runtime stops (end of the run).
                        tokio::task::spawn_local(async move {
                            let _ = match conn {
                                Conn::Ws(c) => c.idle().await,
                                Conn::Polling(c) => c.idle().await,
                            };
                        });
                    }
                    Ok(Err(e)) => {
                        let mut s = state.borrow_mut();
                        s.failures += 1;
                        s.first_error.get_or_insert_with(|| e.to_string());
                    }
                    Err(_) => {
                        let mut s = state.borrow_mut();
                        s.failures += 1;
                        s.first_error
                            .get_or_insert_with(|| "connect deadline passed".into());
                        break;
                    }
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let connect_phase = t0.elapsed();
    let own1 = target.own();
    // Let the server finish its per-connection work, then measure CPU; hold, then RSS.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_connect = target.server();
    tokio::time::sleep(cfg.hold).await;
    let after_hold = target.server();

    let s = state.borrow();
    let mut out = base_report("connect", target);
    out.insert("sockets".into(), json!(n));
    out.insert("concurrency".into(), json!(cfg.concurrency));
    out.insert("connected".into(), json!(s.done));
    out.insert("count".into(), json!(s.done));
    out.insert("failures".into(), json!(s.failures));
    if let Some(e) = &s.first_error {
        out.insert("first_error".into(), json!(e));
    }
    out.insert("ok".into(), json!(s.failures == 0 && s.done == n));
    out.insert("elapsed_s".into(), json!(connect_phase.as_secs_f64()));
    out.insert(
        "rate_per_s".into(),
        json!(s.done as f64 / connect_phase.as_secs_f64().max(1e-9)),
    );
    report::latency(&mut out, "connect", &s.hist);
    report::cpu(
        &mut out,
        s.done as u64,
        connect_phase,
        before.zip(after_connect),
        own0.zip(own1),
    );
    if let (Some(b), Some(a)) = (before, after_hold) {
        out.insert("server_rss_before_kib".into(), json!(b.rss_kib));
        out.insert("server_rss_after_kib".into(), json!(a.rss_kib));
        if s.done > 0 {
            out.insert(
                "rss_bytes_per_socket".into(),
                json!((a.rss_kib as f64 - b.rss_kib as f64) * 1024.0 / s.done as f64),
            );
        }
        if let Some(h) = s.half {
            let marginal_n = s.done.saturating_sub(n / 2);
            if marginal_n > 0 {
                out.insert("server_rss_half_kib".into(), json!(h.rss_kib));
                out.insert(
                    "rss_marginal_bytes_per_socket".into(),
                    json!((a.rss_kib as f64 - h.rss_kib as f64) * 1024.0 / marginal_n as f64),
                );
            }
        }
    }
    Value::Object(out)
}
