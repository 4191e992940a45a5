//! The demo: notifications, background jobs and presence over Socket.IO, in one axum app.
//!
//! `./scripts/demo.sh` (or `cargo run -p demo -- --port 3000`) starts it on
//! `127.0.0.1:3000`; open that address in a browser. `RUST_LOG=debug` shows the
//! server's logs (the counterpart of Node's `DEBUG=socket.io:*`).

mod http;
mod jobs;
mod realtime;
mod token;

use std::net::SocketAddr;
use std::path::PathBuf;

/// Command-line options: `--port N` (or `PORT`), `--client-bundle PATH`.
struct Options {
    port: u16,
    bundle: PathBuf,
}

fn options() -> Result<Options, String> {
    let mut port = std::env::var("PORT")
        .ok()
        .map(|p| p.parse::<u16>())
        .transpose();
    let mut bundle = std::env::var_os("DEMO_CLIENT_BUNDLE").map(PathBuf::from);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().map(|p| p.parse::<u16>()).transpose(),
            "--client-bundle" => bundle = args.next().map(PathBuf::from),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --port N, --client-bundle PATH)"
                ))
            }
        }
    }
    let port = port.map_err(|e| format!("bad port: {e}"))?.unwrap_or(3000);
    let bundle = bundle.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("web/node_modules/socket.io-client/dist/socket.io.min.js")
    });
    Ok(Options { port, bundle })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = options()?;
    let bundle = std::fs::read(&options.bundle).map_err(|e| {
        format!(
            "cannot read the socket.io-client bundle at {}: {e} (run `npm ci` in crates/demo/web, or use ./scripts/demo.sh)",
            options.bundle.display()
        )
    })?;

    let secret = std::env::var("DEMO_SECRET").unwrap_or_else(|_| {
        tracing::warn!("DEMO_SECRET is not set: tokens are signed with a development secret");
        "socketio-rs-demo-development-secret".to_owned()
    });
    let signer = token::TokenSigner::new(secret);
    let jobs = jobs::Jobs::default();
    let io = realtime::socket_server(signer.clone(), jobs.clone());
    let app = http::router(http::AppState {
        io: io.clone(),
        signer,
        jobs,
        bundle: bundle.into(),
    });

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    // The e2e test and scripts wait for this line.
    #[allow(clippy::print_stdout)]
    {
        println!("listening on http://{addr}");
    }
    tracing::info!(%addr, "demo listening");

    let shutdown_io = io.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: disconnecting every socket");
        shutdown_io.close().await;
    })
    .await?;
    tracing::info!("bye");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
