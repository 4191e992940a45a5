//! CI smoke run of the load generator against this project's bench server: every
//! scenario with tiny sizes and short windows (seconds in all). Asserts that each run
//! reports success and a nonzero amount of work; no timing assertions.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bench-server"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bench-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Server { child, port }
}

/// Runs the load generator (killed after 60 s) and returns its JSON report.
fn loadgen(server: &Server, args: &[&str]) -> serde_json::Value {
    let port = server.port.to_string();
    let pid = server.child.id().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .args(["--port", &port, "--server-pid", &pid])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start loadgen");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("loadgen {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read report");
    let report: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("loadgen {args:?}: bad report {out:?}: {e}"));
    assert!(status.success(), "loadgen {args:?} failed: {report}");
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["count"].as_u64().unwrap_or(0) > 0, "{report}");
    assert!(report["server_cpu_us"].as_u64().is_some(), "{report}");
    report
}

#[test]
fn every_scenario_runs_against_the_bench_server() {
    let server = start_server();
    let short = ["--warmup", "0.2", "--duration", "0.5"];

    let r = loadgen(
        &server,
        &[
            "connect",
            "--sockets",
            "50",
            "--concurrency",
            "10",
            "--hold",
            "0.2",
        ],
    );
    assert_eq!(r["connected"], 50, "{r}");
    assert!(r["rss_bytes_per_socket"].is_number(), "{r}");

    let cases: [&[&str]; 5] = [
        &["echo", "--clients", "4", "--mode", "ack"],
        &[
            "echo",
            "--clients",
            "4",
            "--mode",
            "event",
            "--pipeline",
            "4",
        ],
        &["echo", "--clients", "2", "--binary", "1024"],
        &[
            "echo",
            "--clients",
            "2",
            "--binary",
            "65536",
            "--mode",
            "event",
        ],
        &["echo", "--clients", "2", "--transport", "polling"],
    ];
    for case in cases {
        let args: Vec<&str> = case.iter().chain(short.iter()).copied().collect();
        let r = loadgen(&server, &args);
        assert!(r["latency_p50_us"].as_u64().unwrap_or(0) > 0, "{r}");
    }

    let args: Vec<&str> = ["broadcast", "--sockets", "20"]
        .iter()
        .chain(short.iter())
        .copied()
        .collect();
    let r = loadgen(&server, &args);
    assert_eq!(r["connected"], 20, "{r}");
    // Every delivery of a completed broadcast reached all 20 clients.
    assert!(r["broadcasts"].as_u64().unwrap_or(0) > 0, "{r}");

    let r = loadgen(
        &server,
        &[
            "connect",
            "--sockets",
            "10",
            "--transport",
            "polling",
            "--hold",
            "0.2",
        ],
    );
    assert_eq!(r["connected"], 10, "{r}");
}
