//! Results: latency histograms and the one-line JSON report of a run.

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::time::Duration;

use crate::procfs::ProcSample;

/// A latency histogram in microseconds (1 µs to 60 s, 3 significant digits).
pub fn histogram() -> Histogram<u64> {
    // Constant, valid bounds: this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Records a duration (saturating at the histogram's bounds).
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, 60_000_000);
    h.saturating_record(us);
}

/// p50/p99/p999/max of a histogram, in microseconds, under `prefix_*` keys.
pub fn latency(out: &mut Map<String, Value>, prefix: &str, h: &Histogram<u64>) {
    out.insert(format!("{prefix}_p50_us"), json!(h.value_at_quantile(0.5)));
    out.insert(format!("{prefix}_p99_us"), json!(h.value_at_quantile(0.99)));
    out.insert(
        format!("{prefix}_p999_us"),
        json!(h.value_at_quantile(0.999)),
    );
    out.insert(format!("{prefix}_max_us"), json!(h.max()));
}

/// CPU figures over a measurement window: server CPU µs per unit of work, and the
/// share of a core used by the server and by the load generator.
pub fn cpu(
    out: &mut Map<String, Value>,
    units: u64,
    window: Duration,
    server: Option<(ProcSample, ProcSample)>,
    own: Option<(ProcSample, ProcSample)>,
) {
    let secs = window.as_secs_f64().max(1e-9);
    if let Some((a, b)) = server {
        let cpu = b.cpu_us.saturating_sub(a.cpu_us);
        out.insert("server_cpu_us".into(), json!(cpu));
        out.insert("server_cpu_pct".into(), json!(cpu as f64 / 1e4 / secs));
        let sys = b.sys_us.saturating_sub(a.sys_us);
        if units > 0 {
            out.insert(
                "server_cpu_us_per_unit".into(),
                json!(cpu as f64 / units as f64),
            );
            // The kernel's share (socket syscalls and, on loopback, the peer's receive
            // path run in the sender's context).
            out.insert(
                "server_sys_us_per_unit".into(),
                json!(sys as f64 / units as f64),
            );
        }
    }
    if let Some((a, b)) = own {
        let cpu = b.cpu_us.saturating_sub(a.cpu_us);
        out.insert("loadgen_cpu_pct".into(), json!(cpu as f64 / 1e4 / secs));
    }
}
