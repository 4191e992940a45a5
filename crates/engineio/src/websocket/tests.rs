use super::*;
use crate::engine::Engine;
use crate::message::Message;
use crate::state::TransportKind;
use crate::DisconnectReason;

struct Nop;
impl Handler for Nop {
    type State = ();
    fn on_connect(&self, _: &Socket) {}
    fn on_message(&self, _: &Socket, _: &(), _: Message) {}
    fn on_disconnect(&self, _: &Socket, _: &(), _: DisconnectReason) {}
}

#[test]
fn accept_key_matches_rfc_6455() {
    // The example of RFC 6455 §1.3.
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

/// The connection task's future is what every idle connection keeps (plus tokio's task
/// header): keep it small. It was 1,376 bytes with tokio-tungstenite and `async` fns.
#[tokio::test]
async fn connection_tasks_are_small() {
    let engine = Engine::new(crate::EngineConfig::default(), Nop);
    let info = RequestInfo::new(
        http::Method::GET,
        http::Uri::from_static("/engine.io/?EIO=4&transport=websocket"),
        http::HeaderMap::new(),
        None,
        false,
    );
    let mut req = http::Request::new(());
    let task = Task::handshake(engine.0.clone(), info.clone(), hyper::upgrade::on(&mut req));
    let size = std::mem::size_of_val(&task);
    let (session, socket) = engine.0.create_session(info, TransportKind::Polling);
    drop(Task::upgrade(
        session,
        socket,
        1,
        hyper::upgrade::on(&mut req),
    ));
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "websocket connection task: {size} bytes (connection {}, of which timer {} and \
             decoder {})",
            std::mem::size_of::<conn::Connection<Nop, tokio::net::TcpStream>>(),
            std::mem::size_of::<tokio::time::Sleep>(),
            std::mem::size_of::<crate::ws_frame::Decoder>(),
        );
    }
    assert!(size <= 288, "the connection task's future is {size} bytes");
}
