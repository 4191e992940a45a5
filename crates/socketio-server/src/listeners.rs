//! A socket's listener table.
//!
//! Event listeners live in one flat list in registration order (a socket has a handful,
//! so a linear scan by name beats a map, and an idle socket pays for exactly the
//! listeners it has). The rarer kinds — catch-all, outgoing catch-all, `error`,
//! per-packet middleware, `disconnecting` and `disconnect` handlers — sit in a side
//! table that is allocated when the first of them is added.

use crate::args::EventArgs;
use crate::error::SocketError;
use crate::handler::{DisconnectHandler, DynEventHandler};
use crate::middleware::PacketMiddleware;
use crate::socket::Socket;
use std::sync::Arc;

/// Identifies a listener for removal ([`Socket::off_listener`] and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

pub(crate) type AnyListener = Arc<dyn Fn(&Socket, &EventArgs<'_>) + Send + Sync>;
pub(crate) type OutgoingListener = Arc<dyn Fn(&Socket, &str, &serde_json::Value) + Send + Sync>;
pub(crate) type ErrorListener = Arc<dyn Fn(&Socket, &SocketError) + Send + Sync>;
pub(crate) type EventListener = Arc<dyn DynEventHandler>;

struct Listener {
    id: ListenerId,
    event: Box<str>,
    once: bool,
    handler: EventListener,
}

/// The listener kinds most sockets never use.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) any: Vec<(ListenerId, AnyListener)>,
    pub(crate) outgoing: Vec<(ListenerId, OutgoingListener)>,
    pub(crate) errors: Vec<ErrorListener>,
    pub(crate) middleware: Vec<Arc<dyn PacketMiddleware>>,
    pub(crate) disconnecting: Vec<Arc<dyn DisconnectHandler>>,
    pub(crate) disconnect: Vec<Arc<dyn DisconnectHandler>>,
}

/// Every listener of one socket.
#[derive(Default)]
pub(crate) struct Listeners {
    next_id: u64,
    events: Vec<Listener>,
    extra: Option<Box<Extra>>,
}

impl Listeners {
    /// A fresh listener id.
    pub(crate) fn next_id(&mut self) -> ListenerId {
        self.next_id += 1;
        ListenerId(self.next_id)
    }

    /// Adds an event listener after the existing ones.
    pub(crate) fn add_event(
        &mut self,
        event: &str,
        once: bool,
        handler: EventListener,
    ) -> ListenerId {
        let id = self.next_id();
        // Grow by one: a socket registers a few listeners once, and keeps them.
        self.events.reserve_exact(1);
        self.events.push(Listener {
            id,
            event: Box::from(event),
            once,
            handler,
        });
        id
    }

    /// Removes every listener of `event`.
    pub(crate) fn remove_event(&mut self, event: &str) {
        self.events.retain(|l| &*l.event != event);
    }

    /// Removes one listener of any kind. Returns whether it existed.
    pub(crate) fn remove(&mut self, id: ListenerId) -> bool {
        if let Some(pos) = self.events.iter().position(|l| l.id == id) {
            self.events.remove(pos);
            return true;
        }
        let Some(extra) = self.extra.as_deref_mut() else {
            return false;
        };
        if let Some(pos) = extra.any.iter().position(|x| x.0 == id) {
            extra.any.remove(pos);
            return true;
        }
        if let Some(pos) = extra.outgoing.iter().position(|x| x.0 == id) {
            extra.outgoing.remove(pos);
            return true;
        }
        false
    }

    /// Number of listeners of `event`.
    pub(crate) fn count(&self, event: &str) -> usize {
        self.events.iter().filter(|l| &*l.event == event).count()
    }

    /// The side table, allocated on first use.
    pub(crate) fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// The side table, if anything was ever added to it.
    pub(crate) fn extra(&self) -> Option<&Extra> {
        self.extra.as_deref()
    }

    /// Whether outgoing catch-all listeners exist.
    pub(crate) fn has_outgoing(&self) -> bool {
        self.extra().is_some_and(|e| !e.outgoing.is_empty())
    }

    /// The listeners of `event` in registration order; `once` listeners are removed.
    pub(crate) fn take_for(&mut self, event: &str) -> Matched {
        let mut matched = Matched::None;
        let mut had_once = false;
        for l in self.events.iter().filter(|l| &*l.event == event) {
            had_once |= l.once;
            matched = match matched {
                Matched::None => Matched::One(l.handler.clone()),
                Matched::One(first) => Matched::Many(vec![first, l.handler.clone()]),
                Matched::Many(mut all) => {
                    all.push(l.handler.clone());
                    Matched::Many(all)
                }
            };
        }
        if had_once {
            self.events.retain(|l| !(l.once && &*l.event == event));
        }
        matched
    }

    /// Drops every listener (breaks reference cycles held by user closures).
    pub(crate) fn clear(&mut self) {
        self.events = Vec::new();
        self.extra = None;
    }
}

/// The listeners of one event: usually exactly one, so no `Vec` for that case.
pub(crate) enum Matched {
    None,
    One(EventListener),
    Many(Vec<EventListener>),
}

impl IntoIterator for Matched {
    type Item = EventListener;
    type IntoIter = MatchedIter;

    fn into_iter(self) -> MatchedIter {
        match self {
            Matched::None => MatchedIter::One(None),
            Matched::One(h) => MatchedIter::One(Some(h)),
            Matched::Many(v) => MatchedIter::Many(v.into_iter()),
        }
    }
}

/// Iterator over [`Matched`].
pub(crate) enum MatchedIter {
    One(Option<EventListener>),
    Many(std::vec::IntoIter<EventListener>),
}

impl Iterator for MatchedIter {
    type Item = EventListener;

    fn next(&mut self) -> Option<EventListener> {
        match self {
            MatchedIter::One(h) => h.take(),
            MatchedIter::Many(it) => it.next(),
        }
    }
}
