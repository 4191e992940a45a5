//! Abandoned sessions: 1,000 polling sessions that only handshake and then
//! vanish must all be dropped by the heartbeat within pingInterval +
//! pingTimeout (plus margin), observed from outside via `/__stats`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tokio::sync::Semaphore;

const SESSIONS: usize = 1000;
const CONCURRENCY: usize = 16;
const PING_INTERVAL_MS: u64 = 3000;
const PING_TIMEOUT_MS: u64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_polling_sessions_are_all_dropped() {
    let server = Server::start_with(&[
        "--ping-interval",
        &PING_INTERVAL_MS.to_string(),
        "--ping-timeout",
        &PING_TIMEOUT_MS.to_string(),
    ]);
    let port = server.port;
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        tasks.push(tokio::spawn(async move {
            let sid = handshake_with(port, PING_INTERVAL_MS, PING_TIMEOUT_MS).await;
            drop(permit);
            sid
        }));
    }
    let mut sids = std::collections::HashSet::new();
    for task in tasks {
        sids.insert(task.await.expect("handshake task"));
    }
    let last_created = Instant::now();
    let creation = started.elapsed();
    assert_eq!(sids.len(), SESSIONS, "distinct session ids");
    assert!(
        creation < Duration::from_millis(PING_INTERVAL_MS),
        "creating {SESSIONS} sessions took {creation:?}; the count check below needs them all alive"
    );
    assert_eq!(session_count(port).await, SESSIONS);

    // Everything must be gone by pingInterval + pingTimeout after the last
    // handshake, plus a margin for a loaded machine.
    let limit = Duration::from_millis(PING_INTERVAL_MS + PING_TIMEOUT_MS + 2000);
    match wait_for_sessions(port, 0, limit + Duration::from_secs(1)).await {
        Ok(_) => {
            let since_last = last_created.elapsed();
            assert!(
                since_last <= limit,
                "sessions dropped only after {since_last:?}"
            );
        }
        Err(left) => panic!("{left} sessions still open {limit:?} after the last handshake"),
    }
    assert_still_serving(port).await;
}
