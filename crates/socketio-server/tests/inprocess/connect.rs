//! Connecting: CONNECT replies, namespaces (static, dynamic, cleanup, hooks), connect
//! middleware, the connect timeout.

use super::*;

#[tokio::test]
async fn connect_reply_has_a_fresh_20_char_sid() {
    let io = SocketIo::new();
    let seen = shared::<Vec<String>>();
    let s2 = seen.clone();
    io.on_connection(move |socket: Socket| {
        let seen = s2.clone();
        async move {
            seen.lock().unwrap().push(socket.id().to_string());
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", None).await;
    assert_eq!(sid.len(), 20);
    assert_ne!(sid, c.engine_sid);
    eventually(|| seen.lock().unwrap().len() == 1).await;
    assert_eq!(seen.lock().unwrap()[0], sid);
}

#[tokio::test]
async fn unknown_namespace_is_refused_and_connection_stays_open() {
    let io = SocketIo::new();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send("40/nope,").await;
    assert_eq!(c.recv().await, r#"4/nope,{"message":"Invalid namespace"}"#);
    c.send("40").await;
    assert!(c.recv().await.starts_with(r#"0{"sid":""#));
}

#[tokio::test]
async fn dynamic_namespace_child_shares_parent_handlers() {
    let io = SocketIo::new();
    let parent =
        io.of_dynamic(|name, auth| name.starts_with("/jobs-") && auth["ok"] == json!(true));
    parent.on_connection(|socket: Socket| async move {
        let _ = socket.emit("hello", (socket.ns().name().to_owned(),));
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send(r#"40/jobs-1,{"ok":false}"#).await;
    assert_eq!(
        c.recv().await,
        r#"4/jobs-1,{"message":"Invalid namespace"}"#
    );
    c.join("/jobs-1", Some(r#"{"ok":true}"#)).await;
    assert_eq!(c.recv().await, r#"2/jobs-1,["hello","/jobs-1"]"#);
    assert_eq!(parent.children().len(), 1);
}

#[tokio::test]
async fn middleware_runs_in_order_and_refusal_is_connect_error() {
    let io = SocketIo::new();
    let order = shared::<Vec<u32>>();
    for i in 1..=3u32 {
        let order = order.clone();
        io.use_middleware(move |socket: Socket| {
            let order = order.clone();
            async move {
                // Force real suspension so the order is not an accident of polling.
                tokio::time::sleep(Duration::from_millis(5 * (4 - i as u64))).await;
                order.lock().unwrap().push(i);
                if i == 3 && socket.handshake().auth_str("token") != Some("good") {
                    return Err(ConnectError::new("not authorized").with_data(json!({"code": 42})));
                }
                Ok(())
            }
        });
    }
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send(r#"40{"token":"bad"}"#).await;
    assert_eq!(
        c.recv().await,
        r#"4{"message":"not authorized","data":{"code":42}}"#
    );
    assert_eq!(*order.lock().unwrap(), vec![1, 2, 3]);
    // Refused: the namespace is not joined, a new CONNECT is allowed.
    let sid = c.join("/", Some(r#"{"token":"good"}"#)).await;
    assert_eq!(sid.len(), 20);
}

#[tokio::test]
async fn connect_timeout_closes_idle_connections() {
    let io = SocketIo::builder()
        .connect_timeout(Duration::from_millis(200))
        .build();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.expect_closed().await;
    // A client that joins in time is not closed.
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.send(r#"42["still here"]"#).await;
    c.send("41").await;
    c.join("/", None).await;
}

#[tokio::test]
async fn empty_dynamic_children_are_cleaned_up_when_asked() {
    let io = SocketIo::builder()
        .cleanup_empty_child_namespaces(true)
        .build();
    let parent = io.of_dynamic(|name, _| name.starts_with("/room-"));
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/room-1", None).await;
    c.join("/room-2", None).await;
    assert_eq!(parent.children().len(), 2);
    c.send("41/room-1,").await;
    eventually(|| parent.children().len() == 1).await;
    assert!(io.namespaces().iter().all(|n| n.name() != "/room-1"));
    // The name can be used again: a fresh child is created.
    c.join("/room-1", None).await;
    assert_eq!(parent.children().len(), 2);
}

#[tokio::test]
async fn new_namespace_hook_sees_static_and_dynamic_namespaces() {
    let io = SocketIo::new();
    let names = shared::<Vec<String>>();
    let n2 = names.clone();
    io.on_new_namespace(move |ns| n2.lock().unwrap().push(ns.name().to_owned()));
    io.of("chat"); // a leading "/" is added, like Node
    io.of("/chat"); // already exists: not announced again
    io.of_dynamic(|name, _| name.starts_with("/dyn-"));
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/dyn-1", None).await;
    assert_eq!(*names.lock().unwrap(), vec!["/chat", "/dyn-1"]);
}
