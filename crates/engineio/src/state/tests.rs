//! Unit tests of the session state machine: driven by hand-made instants, no sockets.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::error::TrySendError;
use crate::message::Text;

fn timing() -> Timing {
    Timing {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(1000),
        close_timeout: Duration::from_millis(3000),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn msg(s: &str) -> Message {
    Message::Text(Text::new(s))
}

#[test]
fn first_ping_after_interval_then_timeout() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    assert_eq!(s.next_deadline(), Some(t0 + ms(300)));
    assert_eq!(s.on_timeout(t0 + ms(299), &t), Fired::default());
    assert!(!s.has_output());
    let f = s.on_timeout(t0 + ms(300), &t);
    assert!(f.ping && !f.closed);
    assert_eq!(s.next_deadline(), Some(t0 + ms(500)));
    // the pong deadline is strict: exactly at the deadline the session is gone
    let f = s.on_timeout(t0 + ms(500), &t);
    assert!(f.closed);
    assert_eq!(s.reason(), Some(DisconnectReason::PingTimeout));
    assert_eq!(s.take_finalize(), Some(DisconnectReason::PingTimeout));
    assert_eq!(s.take_finalize(), None);
}

#[test]
fn late_timer_does_not_move_the_deadline() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    // the timer notices the ping 50 ms late: the deadline is still due + pingTimeout
    assert!(s.on_timeout(t0 + ms(350), &t).ping);
    assert_eq!(s.next_deadline(), Some(t0 + ms(500)));
    assert!(s.on_timeout(t0 + ms(500), &t).closed);

    // nothing ran until after the whole deadline: closed at once, no ping queued
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    let f = s.on_timeout(t0 + ms(520), &t);
    assert!(f.closed && !f.ping);
    assert_eq!(s.reason(), Some(DisconnectReason::PingTimeout));
}

#[test]
fn pong_reschedules_from_pong_time() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::WebSocket, &t, 8);
    s.on_timeout(t0 + ms(300), &t);
    let mut out = Vec::new();
    s.drain_into(&mut out);
    assert!(matches!(out[..], [OutPacket::Ping]));
    assert_eq!(
        s.recv(t0 + ms(450), &t, Packet::Pong(Bytes::new())),
        Recv::Ignore
    );
    assert_eq!(s.next_deadline(), Some(t0 + ms(750)));
    assert!(!s.on_timeout(t0 + ms(700), &t).closed);
    assert!(s.is_open());
}

#[test]
fn client_ping_and_close() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::WebSocket, &t, 8);
    assert_eq!(s.recv(t0, &t, Packet::Ping(Bytes::new())), Recv::Closed);
    assert_eq!(s.reason(), Some(DisconnectReason::TransportError));

    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    s.begin_get().unwrap();
    assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
    assert_eq!(s.recv(t0, &t, Packet::Close), Recv::Closed);
    assert_eq!(s.reason(), Some(DisconnectReason::TransportClose));
    // a GET pending when the client closes gets a noop
    assert!(matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop])));
}

#[test]
fn queue_is_bounded_and_refuses_after_close() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 2);
    s.push(msg("a")).unwrap();
    s.push(msg("b")).unwrap();
    assert!(matches!(s.push(msg("c")), Err(TrySendError::Full(_))));
    // control packets do not count against the capacity
    s.on_timeout(t0 + ms(301), &t);
    s.begin_get().unwrap();
    match s.poll_get(t0, &t) {
        GetStep::Reply(v) => assert_eq!(v.len(), 3),
        GetStep::Wait => panic!("expected a reply"),
    }
    s.end_get();
    s.push(msg("c")).unwrap();
    assert!(s.close(DisconnectReason::ForcedClose));
    assert!(!s.close(DisconnectReason::ForcedClose));
    assert!(!s.has_output());
    assert!(matches!(s.push(msg("d")), Err(TrySendError::Closed(_))));
}

fn reply(step: GetStep) -> Vec<OutPacket> {
    match step {
        GetStep::Reply(v) => v,
        GetStep::Wait => panic!("expected a reply"),
    }
}

#[test]
fn batches_are_all_or_nothing() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 3);
    s.push(msg("a")).unwrap();
    s.push_many(vec![msg("b"), msg("c")]).unwrap();
    assert_eq!(s.queued_messages(), 3);
    // does not fit: nothing of it is queued, the batch comes back whole
    s.drain_into(&mut Vec::new());
    s.push(msg("d")).unwrap();
    s.push(msg("e")).unwrap();
    match s.push_many(vec![msg("f"), msg("g")]) {
        Err(TrySendError::Full(v)) => assert_eq!(v, vec![msg("f"), msg("g")]),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(s.queued_messages(), 2);
    // larger than the whole capacity: refused while anything is queued...
    let big: Vec<Message> = (0..5).map(|i| msg(&i.to_string())).collect();
    assert!(matches!(
        s.push_many(big.clone()),
        Err(TrySendError::Full(_))
    ));
    // ...accepted into an empty queue, in order
    let mut out = Vec::new();
    s.drain_into(&mut out);
    s.push_many(big.clone()).unwrap();
    assert_eq!(s.queued_messages(), 5);
    assert!(matches!(s.push(msg("x")), Err(TrySendError::Full(_))));
    out.clear();
    s.drain_into(&mut out);
    let sent: Vec<Message> = out
        .into_iter()
        .filter_map(|p| match p {
            OutPacket::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(sent, big);
    // closing: the batch comes back
    s.close(DisconnectReason::ForcedClose);
    assert!(matches!(s.push_many(vec![msg("z")]), Err(TrySendError::Closed(v)) if v.len() == 1));
}

#[test]
fn graceful_close_flushes_then_sends_close_in_a_later_response() {
    let t = timing();
    let t0 = Instant::now();
    // messages queued, a GET already waiting (not yet woken): like Node, that GET
    // carries the messages only; the close is `6␞1` on the next GET
    for get_waiting in [true, false] {
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        if get_waiting {
            s.begin_get().unwrap();
            assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
        }
        s.push(msg("bye")).unwrap();
        assert!(s.close_gracefully(t0, &t, DisconnectReason::ForcedClose));
        assert!(!s.is_open() && !s.is_closed());
        assert_eq!(s.take_finalize(), None);
        assert!(matches!(s.push(msg("late")), Err(TrySendError::Closed(_))));
        if !get_waiting {
            s.begin_get().unwrap();
        }
        let v = reply(s.poll_get(t0 + ms(100), &t));
        assert!(matches!(&v[..], [OutPacket::Message(m)] if *m == msg("bye")));
        s.end_get();
        assert_eq!(
            s.take_finalize(),
            None,
            "not closed before the close is sent"
        );
        // the wait for the next GET restarts once the queue drained
        assert_eq!(s.next_deadline(), Some(t0 + ms(3100)));
        s.begin_get().unwrap();
        let v = reply(s.poll_get(t0 + ms(200), &t));
        assert!(
            matches!(v[..], [OutPacket::Noop, OutPacket::Close]),
            "{v:?}"
        );
        s.end_get();
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    }
}

#[test]
fn graceful_close_with_nothing_queued() {
    let t = timing();
    let t0 = Instant::now();
    // a GET waiting on an empty queue gets a bare `1` at once
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    s.begin_get().unwrap();
    assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
    s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
    assert!(matches!(reply(s.poll_get(t0, &t))[..], [OutPacket::Close]));
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    // no GET waiting: the next GET gets `6␞1`
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
    s.begin_get().unwrap();
    let v = reply(s.poll_get(t0, &t));
    assert!(matches!(v[..], [OutPacket::Noop, OutPacket::Close]));
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
}

#[test]
fn graceful_close_drained_but_no_next_get_times_out() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    s.push(msg("bye")).unwrap();
    s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
    s.begin_get().unwrap();
    reply(s.poll_get(t0 + ms(1000), &t));
    s.end_get();
    assert!(!s.on_timeout(t0 + ms(3999), &t).closed);
    assert!(s.on_timeout(t0 + ms(4000), &t).closed);
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
}

#[test]
fn graceful_close_times_out_without_a_get() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
    assert_eq!(s.next_deadline(), Some(t0 + ms(3000)));
    assert!(s.on_timeout(t0 + ms(3000), &t).closed);
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
}

#[test]
fn overlapping_requests_are_detected() {
    let t = timing();
    let mut s = SessionState::new(Instant::now(), TransportKind::Polling, &t, 8);
    s.begin_get().unwrap();
    assert!(s.begin_get().is_err());
    s.begin_post().unwrap();
    assert!(s.begin_post().is_err());
    s.end_post();
    s.begin_post().unwrap();
}

#[test]
fn upgrade_flow() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    let e = s.begin_upgrade(t0, &t).unwrap();
    assert!(
        s.begin_upgrade(t0, &t).is_none(),
        "second websocket refused"
    );
    s.begin_get().unwrap();
    // requested but not yet open: polls still wait
    assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
    s.upgrade_established(e);
    assert!(matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop])));
    s.end_get();
    s.begin_get().unwrap();
    assert_eq!(
        s.upgrade_recv(e, &Packet::Ping(Bytes::from_static(b"probe"))),
        UpgradeStep::SendProbe
    );
    // while upgrading, polls are answered with a noop
    assert!(matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop])));
    s.end_get();
    assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Complete);
    assert_eq!(s.transport(), TransportKind::WebSocket);
    assert!(!s.can_upgrade());
    assert!(s.begin_upgrade(t0, &t).is_none());
}

#[test]
fn upgrade_times_out_and_can_be_retried() {
    let t = timing();
    let t0 = Instant::now();
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    let e = s.begin_upgrade(t0, &t).unwrap();
    assert_eq!(s.next_deadline(), Some(t0 + ms(300)));
    s.on_timeout(t0 + ms(300), &t);
    s.recv(t0 + ms(310), &t, Packet::Pong(Bytes::new()));
    s.on_timeout(t0 + ms(610), &t);
    s.recv(t0 + ms(700), &t, Packet::Pong(Bytes::new()));
    assert_eq!(s.upgrade_deadline(e), Some(t0 + ms(1000)));
    let f = s.on_timeout(t0 + ms(1000), &t);
    assert!(f.upgrade_expired && !f.closed);
    assert!(!s.upgrade_pending(e));
    assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Abort);
    assert_eq!(s.transport(), TransportKind::Polling);
    let e2 = s.begin_upgrade(t0 + ms(1000), &t).unwrap();
    assert_ne!(e, e2);
    // anything unexpected aborts the upgrade, the session stays on polling
    assert_eq!(
        s.upgrade_recv(e2, &Packet::Message(msg("x"))),
        UpgradeStep::Abort
    );
    assert!(s.is_open());
}

fn probed(t0: Instant, t: &Timing) -> (SessionState, u32) {
    let mut s = SessionState::new(t0, TransportKind::Polling, t, 8);
    let e = s.begin_upgrade(t0, t).unwrap();
    s.upgrade_established(e);
    let probe = Packet::Ping(Bytes::from_static(b"probe"));
    assert_eq!(s.upgrade_recv(e, &probe), UpgradeStep::SendProbe);
    (s, e)
}

#[test]
fn close_during_probed_upgrade_waits_for_the_switch() {
    let t = timing();
    let t0 = Instant::now();
    // no GET to carry the close: the upgrading WebSocket is kept for the `5`...
    let (mut s, e) = probed(t0, &t);
    assert!(s.close(DisconnectReason::ForcedClose));
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    assert!(s.upgrade_pending(e));
    assert_eq!(s.upgrade_deadline(e), Some(t0 + ms(1000)));
    // ...and closed when it comes (the client has switched to it by then)
    assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Abort);
    assert!(!s.upgrade_pending(e));
    assert_eq!(s.transport(), TransportKind::Polling);

    // bounded by the upgrade deadline
    let (mut s, e) = probed(t0, &t);
    s.close(DisconnectReason::ForcedClose);
    assert!(!s.on_timeout(t0 + ms(999), &t).upgrade_expired);
    assert!(s.on_timeout(t0 + ms(1000), &t).upgrade_expired);
    assert!(!s.upgrade_pending(e));

    // a GET waiting carries the close (`1`): the WebSocket is closed at once
    let (mut s, e) = probed(t0, &t);
    s.begin_get().unwrap();
    s.close(DisconnectReason::ForcedClose);
    assert!(!s.upgrade_pending(e));
    assert!(matches!(reply(s.poll_get(t0, &t))[..], [OutPacket::Close]));

    // not probed yet: the client is still polling, close the WebSocket at once
    let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
    let e = s.begin_upgrade(t0, &t).unwrap();
    s.upgrade_established(e);
    s.close(DisconnectReason::PingTimeout);
    assert!(!s.upgrade_pending(e));
}

#[test]
fn graceful_close_lets_a_probed_upgrade_finish() {
    let t = timing();
    let t0 = Instant::now();
    let (mut s, e) = probed(t0, &t);
    s.push(msg("bye")).unwrap();
    s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
    assert!(s.upgrade_pending(e));
    assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Complete);
    assert_eq!(s.transport(), TransportKind::WebSocket);
    assert!(s.is_closing());
    // the WebSocket driver flushes the queue, then closes
    let mut out = Vec::new();
    s.drain_into(&mut out);
    assert!(matches!(&out[..], [OutPacket::Message(m)] if *m == msg("bye")));
    s.finish_closing();
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
}

#[test]
fn finalize_waits_for_running_handler() {
    let t = timing();
    let mut s = SessionState::new(Instant::now(), TransportKind::WebSocket, &t, 8);
    s.begin_delivery();
    s.close(DisconnectReason::ForcedClose);
    assert_eq!(s.take_finalize(), None);
    s.end_delivery();
    assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    assert!(s.is_finalized());
}
