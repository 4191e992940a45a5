//! End-to-end test of the demo in real Chromium (Debian's `chromium`, driven by npm's
//! `playwright-core`): two users, a notification from an HTTP endpoint, a background job
//! whose progress bar reaches 100%, a forged token refused with a visible
//! `connect_error`, and a server restart the page recovers from by itself.
//!
//! The steps live in `crates/demo/web/e2e.js`, which owns the demo process (it has to
//! restart it). Screenshots go to `<target>/tmp/demo-e2e/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

#[test]
fn demo_in_chromium() {
    let web = web_dir();
    assert!(
        web.join("node_modules/playwright-core").is_dir()
            && web
                .join("node_modules/socket.io-client/dist/socket.io.min.js")
                .is_file(),
        "npm packages missing: run `npm ci` in {} (./scripts/test.sh does)",
        web.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: `apt-get install -y chromium` (./scripts/test.sh does)"
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-e2e");
    let status = Command::new("node")
        .current_dir(&web)
        .arg("e2e.js")
        .arg(env!("CARGO_BIN_EXE_demo"))
        .arg(free_port().to_string())
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .status()
        .expect("run node (is Node.js installed?)");
    assert!(status.success(), "the browser test failed: {status}");
    for shot in [
        "1-alice-signed-in.png",
        "2-bob-notified.png",
        "3-job-done.png",
        "4-forged-token.png",
        "6-reconnected.png",
    ] {
        assert!(shots.join(shot).is_file(), "missing screenshot {shot}");
    }
}
