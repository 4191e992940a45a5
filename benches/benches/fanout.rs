//! End-to-end fan-out: one event encoded once and broadcast through the real
//! `socketio-server` path (`SocketIo::emit` → in-memory adapter → 1,000 engine sessions
//! → WebSocket writes) to 1,000 loopback WebSocket clients that just drain.
//!
//! - `fanout/emit_1000`: the `emit` call alone (encode + enqueue to every socket); the
//!   wait until every client has the event is outside the timing.
//! - `fanout/delivered_1000`: from the `emit` call until all 1,000 clients have read the
//!   frame (includes the server's socket writes and, on the same thread, the clients'
//!   reads).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use benches::sio::{Msg, SioConn};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use socketio_server::SocketIo;
use tokio::sync::Notify;

const SOCKETS: usize = 1000;

struct Counter {
    received: Cell<u64>,
    target: Cell<u64>,
    reached: Notify,
}

async fn drain(mut c: SioConn, counter: Rc<Counter>) {
    loop {
        match c.recv().await {
            Ok(Msg::Text(r)) if c.ws.payload(r.clone()).starts_with(b"2[\"tick\"") => {
                let n = counter.received.get() + 1;
                counter.received.set(n);
                if n == counter.target.get() {
                    counter.reached.notify_one();
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

async fn wait_for(counter: &Counter, target: u64) {
    counter.target.set(target);
    if counter.received.get() >= target {
        return;
    }
    // Bounded: a lost client fails the bench instead of hanging it.
    tokio::time::timeout(Duration::from_secs(10), counter.reached.notified())
        .await
        .expect("every client receives the broadcast within 10 s");
}

fn fanout(c: &mut Criterion) {
    benches::raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    let counter = Rc::new(Counter {
        received: Cell::new(0),
        target: Cell::new(u64::MAX),
        reached: Notify::new(),
    });
    let io = local.block_on(&rt, async {
        let io = SocketIo::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = io.clone();
        tokio::spawn(async move { server.serve(listener).await });
        for _ in 0..SOCKETS {
            let conn = SioConn::connect(addr).await.expect("connect");
            tokio::task::spawn_local(drain(conn, counter.clone()));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while io.sockets().socket_count() < SOCKETS && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(io.sockets().socket_count(), SOCKETS);
        io
    });

    let mut group = c.benchmark_group("fanout");
    group.throughput(Throughput::Elements(SOCKETS as u64));
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(20);
    group.bench_function("emit_1000", |b| {
        b.iter_custom(|iters| {
            local.block_on(&rt, async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let target = counter.received.get() + SOCKETS as u64;
                    let t = Instant::now();
                    io.emit("tick", ("hello world", 42)).await.expect("emit");
                    total += t.elapsed();
                    wait_for(&counter, target).await;
                }
                total
            })
        })
    });
    group.bench_function("delivered_1000", |b| {
        b.iter_custom(|iters| {
            local.block_on(&rt, async {
                let t = Instant::now();
                for _ in 0..iters {
                    let target = counter.received.get() + SOCKETS as u64;
                    io.emit("tick", ("hello world", 42)).await.expect("emit");
                    wait_for(&counter, target).await;
                }
                t.elapsed()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
