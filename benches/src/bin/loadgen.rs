//! Socket.IO load generator: `loadgen <connect|echo|broadcast> --port P [options]`.
//!
//! Talks Socket.IO v5 over Engine.IO v4 to 127.0.0.1 (raw WebSocket, or long-polling with
//! `--transport polling`), single-threaded, and prints one JSON line with the results.
//!
//! Common options: `--port` (3000), `--server-pid` (for server CPU and RSS from /proc),
//! `--transport websocket|polling`, `--label TEXT` (copied into the report).
//! - `connect`: `--sockets N` (1000) `--concurrency K` (50) `--hold SECS` (2)
//!   `--timeout SECS` (120).
//! - `echo`: `--clients C` (100) `--mode ack|event` (ack) `--payload BYTES` (16)
//!   `--binary BYTES` (0 = none) `--pipeline P` (1) `--warmup SECS` (1)
//!   `--duration SECS` (4).
//! - `broadcast`: `--sockets N` (1000) `--pipeline P` (1) `--warmup SECS` (1)
//!   `--duration SECS` (4).
//!
//! Exit status 0 when the run succeeded (`"ok": true`), 1 otherwise, 2 on bad usage.

use std::io::Write;
use std::time::Duration;

use benches::opts::Opts;
use benches::procfs;
use benches::scenario::{broadcast, connect, echo, Target};
use serde_json::Value;

fn usage() -> String {
    "usage: loadgen <connect|echo|broadcast> --port P [--server-pid PID] [options] \
     (see the source's header or docs/benchmarks.md)"
        .to_owned()
}

fn main() {
    let code = match real_main() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "loadgen: {e}\n{}", usage());
            2
        }
    };
    std::process::exit(code);
}

fn real_main() -> Result<bool, String> {
    benches::raise_nofile_limit();
    let mut args = std::env::args().skip(1);
    let scenario = args.next().ok_or_else(usage)?;
    let opts = Opts::parse(args)?;
    let target = Target {
        addr: opts.addr()?,
        server_pid: opts.server_pid()?,
        ticks: procfs::clock_ticks(),
        polling: match opts.string("transport", "websocket").as_str() {
            "websocket" => false,
            "polling" => true,
            other => return Err(format!("unknown transport {other:?}")),
        },
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    let mut report = match scenario.as_str() {
        "connect" => {
            let cfg = connect::ConnectCfg {
                sockets: opts.get("sockets", 1000)?,
                concurrency: opts.get("concurrency", 50)?,
                hold: opts.secs("hold", 2.0)?,
                timeout: opts.secs("timeout", 120.0)?,
            };
            local.block_on(&rt, connect::run(&target, &cfg))
        }
        "echo" => {
            let cfg = echo::EchoCfg {
                clients: opts.get("clients", 100)?,
                ack: match opts.string("mode", "ack").as_str() {
                    "ack" => true,
                    "event" => false,
                    other => return Err(format!("unknown mode {other:?}")),
                },
                payload: opts.get("payload", 16)?,
                binary: opts.get("binary", 0)?,
                pipeline: opts.get("pipeline", 1)?,
                warmup: opts.secs("warmup", 1.0)?,
                duration: opts.secs("duration", 4.0)?,
            };
            local.block_on(&rt, echo::run(&target, &cfg))
        }
        "broadcast" => {
            let cfg = broadcast::BroadcastCfg {
                sockets: opts.get("sockets", 1000)?,
                pipeline: opts.get("pipeline", 1)?,
                warmup: opts.secs("warmup", 1.0)?,
                duration: opts.secs("duration", 4.0)?,
            };
            local.block_on(&rt, broadcast::run(&target, &cfg))
        }
        other => return Err(format!("unknown scenario {other:?}")),
    };
    // Drop the held connections without waiting for them.
    drop(local);
    rt.shutdown_timeout(Duration::from_millis(100));
    if let Value::Object(m) = &mut report {
        m.insert("label".into(), opts.string("label", "").into());
    }
    let ok = report.get("ok").and_then(Value::as_bool).unwrap_or(false);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{report}").map_err(|e| e.to_string())?;
    Ok(ok)
}
