//! This project's server for the benchmarks (`scripts/bench-compare.sh`).
//!
//! Event contract, shared with the Node and socketioxide peers: `echo` with an ack id is
//! acknowledged with its arguments; `echo` without one is answered by emitting `echo`
//! with the same arguments; `broadcast` is re-emitted to every socket of `/`. Arguments
//! are forwarded unchanged, binary attachments included.
//!
//! One tokio worker (current_thread runtime), 127.0.0.1 only.
//! Usage: `bench-server --port 3000` (0 = ephemeral; prints `listening 127.0.0.1:PORT`).
//! `--ws-read-buffer BYTES` overrides the most bytes one WebSocket read takes (the
//! engine's `ws_read_buffer_size`; only for experiments, the comparison uses the default).

use std::io::Write;

use socketio_server::{AckSender, AnyValue, DynArgs, Socket, SocketIo};

fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next().and_then(|p| p.parse().ok());
        }
    }
    None
}

fn main() -> std::io::Result<()> {
    benches::raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(arg("--port").unwrap_or(3000), arg("--ws-read-buffer")))
}

async fn run(port: u16, ws_read_buffer: Option<usize>) -> std::io::Result<()> {
    let io = match ws_read_buffer {
        Some(n) => SocketIo::builder()
            .configure_engine(|c| c.ws_read_buffer_size = n)
            .build(),
        None => SocketIo::new(),
    };
    io.on_connection(|socket: Socket| async move {
        socket.on(
            "echo",
            |s: Socket, args: Vec<AnyValue>, ack: AckSender| async move {
                if ack.is_requested() {
                    let _ = ack.send(DynArgs(args));
                } else {
                    let _ = s.emit("echo", DynArgs(args));
                }
            },
        );
        socket.on("broadcast", |s: Socket, args: Vec<AnyValue>| async move {
            let _ = s.ns().emit("broadcast", DynArgs(args)).await;
        });
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {}", listener.local_addr()?)?;
        out.flush()?;
    }
    io.serve(listener).await
}
