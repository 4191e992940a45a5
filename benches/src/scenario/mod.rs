//! The load generator's scenarios. Each runs on the calling thread's tokio `LocalSet`
//! (the load generator is single-threaded: pinned to one core, it should not pay for
//! cross-thread wake-ups) and returns a one-line JSON report.

pub mod broadcast;
pub mod connect;
pub mod echo;

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::procfs::{self, ProcSample};
use crate::sio::SioConn;

/// Where to connect and what to watch.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server's address (127.0.0.1 only).
    pub addr: SocketAddr,
    /// The server process, for CPU and memory figures.
    pub server_pid: Option<u32>,
    /// Clock ticks per second of `/proc/<pid>/stat`.
    pub ticks: u64,
    /// Transport: `websocket` or `polling`.
    pub polling: bool,
}

impl Target {
    /// Samples the server process (None without a PID).
    pub fn server(&self) -> Option<ProcSample> {
        self.server_pid
            .and_then(|p| procfs::sample(Some(p), self.ticks))
    }

    /// Samples this process.
    pub fn own(&self) -> Option<ProcSample> {
        procfs::sample(None, self.ticks)
    }
}

/// A client connection of any transport.
pub enum Conn {
    /// Raw WebSocket.
    Ws(SioConn),
    /// HTTP long-polling.
    Polling(crate::polling::PollingConn),
}

/// Opens one Socket.IO connection with the target's transport.
pub async fn open(target: &Target) -> io::Result<Conn> {
    if target.polling {
        Ok(Conn::Polling(
            crate::polling::PollingConn::connect(target.addr).await?,
        ))
    } else {
        Ok(Conn::Ws(SioConn::connect(target.addr).await?))
    }
}

/// Connects `n` clients, at most `concurrency` handshakes at a time, giving up at
/// `deadline`. Returns the connections, the number of failures and the first error.
pub async fn connect_many(
    target: &Target,
    n: usize,
    concurrency: usize,
    deadline: Instant,
) -> (Vec<Conn>, u64, Option<String>) {
    let conns = Rc::new(RefCell::new(Vec::with_capacity(n)));
    let failures = Rc::new(RefCell::new((0u64, None::<String>)));
    let next = Rc::new(RefCell::new(0usize));
    let mut workers = Vec::new();
    for _ in 0..concurrency.clamp(1, n.max(1)) {
        let (conns, failures, next, target) = (
            conns.clone(),
            failures.clone(),
            next.clone(),
            target.clone(),
        );
        workers.push(tokio::task::spawn_local(async move {
            loop {
                {
                    let mut i = next.borrow_mut();
                    if *i >= n {
                        break;
                    }
                    *i += 1;
                }
                match tokio::time::timeout_at(deadline.into(), open(&target)).await {
                    Ok(Ok(c)) => conns.borrow_mut().push(c),
                    Ok(Err(e)) => note_failure(&failures, e.to_string()),
                    Err(_) => {
                        note_failure(&failures, "connect deadline passed".into());
                        break;
                    }
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let conns = std::mem::take(&mut *conns.borrow_mut());
    let (fails, first) = failures.borrow_mut().clone();
    (conns, fails, first)
}

fn note_failure(f: &Rc<RefCell<(u64, Option<String>)>>, e: String) {
    let mut f = f.borrow_mut();
    f.0 += 1;
    if f.1.is_none() {
        f.1 = Some(e);
    }
}

/// The fields every report has.
pub fn base_report(scenario: &str, target: &Target) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("scenario".into(), scenario.into());
    m.insert(
        "transport".into(),
        if target.polling {
            "polling"
        } else {
            "websocket"
        }
        .into(),
    );
    m
}

/// Sleeps until `t` (no-op when it has passed).
pub async fn sleep_until(t: Instant) {
    tokio::time::sleep_until(t.into()).await;
}

/// The measurement window of a closed-loop scenario.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Start of measurement (after the warm-up).
    pub start: Instant,
    /// End of measurement: no new requests after it.
    pub end: Instant,
    /// Every task gives up at this instant.
    pub hard_stop: Instant,
}

impl Window {
    /// Warm-up then measurement, starting now; 10 s grace to drain.
    pub fn new(warmup: Duration, duration: Duration) -> Window {
        let start = Instant::now() + warmup;
        let end = start + duration;
        Window {
            start,
            end,
            hard_stop: end + Duration::from_secs(10),
        }
    }

    /// Whether `t` is inside the measurement window.
    pub fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    /// Samples server and load generator at the window's start and end.
    pub async fn sample(
        &self,
        target: &Target,
    ) -> (
        Option<(ProcSample, ProcSample)>,
        Option<(ProcSample, ProcSample)>,
    ) {
        sleep_until(self.start).await;
        let (s0, o0) = (target.server(), target.own());
        sleep_until(self.end).await;
        let (s1, o1) = (target.server(), target.own());
        (s0.zip(s1), o0.zip(o1))
    }
}
