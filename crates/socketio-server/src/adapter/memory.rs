//! The in-memory adapter (Node's default `Adapter`): one server, rooms in a map.

use super::{
    Adapter, AdapterFactory, BroadcastOptions, BroadcastPacket, LocalNamespace, ServerSideEmit,
    SocketDescriptor,
};
use crate::ack::AckCollector;
use crate::data::{read, write};
use crate::error::AdapterError;
use crate::id::Sid;
use crate::rooms::Room;
use crate::socket::Socket;
use futures_util::future::{ready, BoxFuture};
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

/// Creates a [`MemoryAdapter`] per namespace (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryAdapterFactory;

impl AdapterFactory for MemoryAdapterFactory {
    fn create(&self, nsp: LocalNamespace) -> std::sync::Arc<dyn Adapter> {
        std::sync::Arc::new(MemoryAdapter::new(nsp))
    }
}

/// Room membership, both ways.
///
/// A socket's own room (named by its id, joined at connection) is not stored as a room:
/// it is the `own` flag of the socket's entry. Every socket is in its own room and
/// usually in few others, so a room set per socket would be most of the adapter's memory.
#[derive(Default)]
struct Rooms {
    /// Members of every room other than the sockets' own rooms.
    rooms: HashMap<Room, HashSet<Sid>>,
    /// Every socket of the namespace with its rooms.
    sids: HashMap<Sid, Member>,
}

/// One socket's rooms.
#[derive(Default)]
struct Member {
    /// In its own room (the room named by its id).
    own: bool,
    /// The other rooms, in joining order (a short list).
    rooms: Vec<Room>,
}

impl Rooms {
    /// Calls `f` for every member of `room`.
    fn for_each_member<'a>(&'a self, room: &Room, mut f: impl FnMut(&'a Sid)) {
        if let Some(members) = self.rooms.get(room) {
            members.iter().for_each(&mut f);
        }
        if let Some((sid, m)) = self.sids.get_key_value(room) {
            if m.own && !self.rooms.get(room).is_some_and(|r| r.contains(sid)) {
                f(sid);
            }
        }
    }
}

/// Rooms and broadcasts for a single server.
pub struct MemoryAdapter {
    nsp: LocalNamespace,
    state: RwLock<Rooms>,
}

impl std::fmt::Debug for MemoryAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = read(&self.state);
        f.debug_struct("MemoryAdapter")
            .field("rooms", &st.rooms.len())
            .field("sockets", &st.sids.len())
            .finish()
    }
}

impl MemoryAdapter {
    /// A new, empty adapter for `nsp`.
    pub fn new(nsp: LocalNamespace) -> Self {
        Self {
            nsp,
            state: RwLock::new(Rooms::default()),
        }
    }

    /// Sockets selected by `opts` (ids), each once.
    fn targets(&self, opts: &BroadcastOptions) -> Vec<Sid> {
        let st = read(&self.state);
        let mut excluded: HashSet<&Sid> = HashSet::new();
        for room in &opts.except {
            st.for_each_member(room, |sid| {
                excluded.insert(sid);
            });
        }
        if opts.rooms.is_empty() {
            return st
                .sids
                .keys()
                .filter(|s| !excluded.contains(s))
                .cloned()
                .collect();
        }
        let mut seen: HashSet<&Sid> = HashSet::new();
        let mut out = Vec::new();
        for room in &opts.rooms {
            st.for_each_member(room, |sid| {
                if !excluded.contains(sid) && seen.insert(sid) {
                    out.push(sid.clone());
                }
            });
        }
        out
    }

    fn target_sockets(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        let Some(ns) = self.nsp.namespace() else {
            return Vec::new();
        };
        if opts.rooms.is_empty() && opts.except.is_empty() {
            return ns.local_sockets();
        }
        ns.sockets_by_id(&self.targets(opts))
    }

    fn add_all_sync(&self, sid: &Sid, rooms: &[Room]) {
        let mut guard = write(&self.state);
        let st = &mut *guard;
        let member = st.sids.entry(sid.clone()).or_default();
        for room in rooms {
            if room == sid {
                member.own = true;
            } else if !member.rooms.contains(room) {
                member.rooms.push(room.clone());
                st.rooms
                    .entry(room.clone())
                    .or_default()
                    .insert(sid.clone());
            }
        }
    }

    fn del_sync(&self, sid: &Sid, room: &Room) {
        let mut guard = write(&self.state);
        let st = &mut *guard;
        let Some(member) = st.sids.get_mut(sid) else {
            return;
        };
        if room == sid {
            member.own = false;
            return;
        }
        let Some(pos) = member.rooms.iter().position(|r| r == room) else {
            return;
        };
        member.rooms.swap_remove(pos);
        if let Some(members) = st.rooms.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                st.rooms.remove(room);
            }
        }
    }

    fn del_all_sync(&self, sid: &Sid) {
        let mut st = write(&self.state);
        if let Some(member) = st.sids.remove(sid) {
            for room in member.rooms {
                if let Some(members) = st.rooms.get_mut(&room) {
                    members.remove(sid);
                    if members.is_empty() {
                        st.rooms.remove(&room);
                    }
                }
            }
        }
    }

    fn rooms_of(&self, sid: &Sid) -> Option<Vec<Room>> {
        let st = read(&self.state);
        let member = st.sids.get(sid)?;
        let own = member.own.then(|| sid.clone());
        Some(
            own.into_iter()
                .chain(member.rooms.iter().cloned())
                .collect(),
        )
    }
}

impl Adapter for MemoryAdapter {
    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(ready(Ok(1)))
    }

    fn add_all<'a>(
        &'a self,
        sid: &'a Sid,
        rooms: &'a [Room],
    ) -> BoxFuture<'a, Result<(), AdapterError>> {
        self.add_all_sync(sid, rooms);
        Box::pin(ready(Ok(())))
    }

    fn del<'a>(&'a self, sid: &'a Sid, room: &'a Room) -> BoxFuture<'a, Result<(), AdapterError>> {
        self.del_sync(sid, room);
        Box::pin(ready(Ok(())))
    }

    fn del_all<'a>(&'a self, sid: &'a Sid) -> BoxFuture<'a, Result<(), AdapterError>> {
        self.del_all_sync(sid);
        Box::pin(ready(Ok(())))
    }

    fn broadcast(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        for socket in self.target_sockets(&opts) {
            self.nsp.deliver(&socket, &packet, opts.flags.volatile);
        }
        Box::pin(ready(Ok(())))
    }

    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
        acks: AckCollector,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        let sockets = self.target_sockets(&opts);
        acks.client_count(sockets.len());
        for socket in &sockets {
            self.nsp.expect_ack(socket, &packet, &acks);
            self.nsp.deliver(socket, &packet, opts.flags.volatile);
        }
        Box::pin(ready(Ok(())))
    }

    fn sockets<'a>(&'a self, rooms: &'a [Room]) -> BoxFuture<'a, Result<Vec<Sid>, AdapterError>> {
        let opts = BroadcastOptions {
            rooms: rooms.to_vec(),
            ..Default::default()
        };
        Box::pin(ready(Ok(self.targets(&opts))))
    }

    fn socket_rooms<'a>(&'a self, sid: &'a Sid) -> BoxFuture<'a, Option<Vec<Room>>> {
        Box::pin(ready(self.rooms_of(sid)))
    }

    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        let st = read(&self.state);
        let own = st.sids.iter().filter(|(_, m)| m.own).map(|(sid, _)| sid);
        let mut all: Vec<Room> = st.rooms.keys().chain(own).cloned().collect();
        all.sort_unstable();
        all.dedup();
        Box::pin(ready(Ok(all)))
    }

    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
    ) -> BoxFuture<'_, Result<Vec<SocketDescriptor>, AdapterError>> {
        let out = self
            .target_sockets(&opts)
            .into_iter()
            .map(|s| SocketDescriptor {
                id: s.id().clone(),
                handshake: serde_json::to_value(s.handshake()).unwrap_or_default(),
                rooms: self.rooms_of(s.id()).unwrap_or_default(),
                data: s.data_json(),
            })
            .collect();
        Box::pin(ready(Ok(out)))
    }

    fn add_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        for sid in self.targets(&opts) {
            self.add_all_sync(&sid, &rooms);
        }
        Box::pin(ready(Ok(())))
    }

    fn del_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        for sid in self.targets(&opts) {
            for room in &rooms {
                self.del_sync(&sid, room);
            }
        }
        Box::pin(ready(Ok(())))
    }

    fn disconnect_sockets(
        &self,
        opts: BroadcastOptions,
        close: bool,
    ) -> BoxFuture<'_, Result<(), AdapterError>> {
        for socket in self.target_sockets(&opts) {
            socket.disconnect(close);
        }
        Box::pin(ready(Ok(())))
    }

    fn server_side_emit(
        &self,
        emit: ServerSideEmit,
    ) -> BoxFuture<'_, Result<Vec<serde_json::Value>, AdapterError>> {
        tracing::trace!(event = %emit.event, "server_side_emit: no other server in memory");
        Box::pin(ready(Ok(Vec::new())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Weak};

    fn adapter() -> MemoryAdapter {
        MemoryAdapter::new(LocalNamespace { inner: Weak::new() })
    }

    fn opts(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
        BroadcastOptions {
            rooms: rooms.iter().map(|r| Arc::from(*r)).collect(),
            except: except.iter().map(|r| Arc::from(*r)).collect(),
            ..Default::default()
        }
    }

    fn sorted(mut v: Vec<Sid>) -> Vec<String> {
        let mut out: Vec<String> = v.drain(..).map(|s| s.to_string()).collect();
        out.sort();
        out
    }

    #[test]
    fn targets_are_a_union_minus_except_each_once() {
        let a = adapter();
        let (s1, s2, s3): (Sid, Sid, Sid) = (Arc::from("s1"), Arc::from("s2"), Arc::from("s3"));
        a.add_all_sync(&s1, &[s1.clone(), Arc::from("red")]);
        a.add_all_sync(&s2, &[s2.clone(), Arc::from("red"), Arc::from("blue")]);
        a.add_all_sync(&s3, &[s3.clone(), Arc::from("blue")]);
        assert_eq!(sorted(a.targets(&opts(&[], &[]))), ["s1", "s2", "s3"]);
        assert_eq!(
            sorted(a.targets(&opts(&["red", "blue"], &[]))),
            ["s1", "s2", "s3"]
        );
        assert_eq!(
            sorted(a.targets(&opts(&["red", "blue"], &["blue"]))),
            ["s1"]
        );
        assert_eq!(sorted(a.targets(&opts(&[], &["s2"]))), ["s1", "s3"]);
        assert!(a.targets(&opts(&["nobody"], &[])).is_empty());
        a.del_sync(&s2, &Arc::from("red"));
        assert_eq!(sorted(a.targets(&opts(&["red"], &[]))), ["s1"]);
        a.del_all_sync(&s1);
        assert!(a.targets(&opts(&["red"], &[])).is_empty());
        assert!(a.rooms_of(&s1).is_none());
        // Empty rooms are dropped.
        assert!(!read(&a.state).rooms.contains_key("red"));
    }

    #[test]
    fn own_rooms_are_flags_but_behave_like_rooms() {
        let a = adapter();
        let (s1, s2): (Sid, Sid) = (Arc::from("s1"), Arc::from("s2"));
        a.add_all_sync(&s1, std::slice::from_ref(&s1));
        a.add_all_sync(&s2, &[s2.clone(), Arc::from("red")]);
        // Own rooms are not stored as rooms...
        assert_eq!(read(&a.state).rooms.len(), 1);
        // ...but target, list and leave like any room.
        assert_eq!(sorted(a.targets(&opts(&["s1"], &[]))), ["s1"]);
        assert_eq!(sorted(a.targets(&opts(&["s1", "red"], &[]))), ["s1", "s2"]);
        assert_eq!(sorted(a.targets(&opts(&[], &["s2"]))), ["s1"]);
        assert_eq!(
            a.rooms_of(&s2).unwrap(),
            vec![Arc::<str>::from("s2"), Arc::from("red")]
        );
        // A socket may also join a room named like another socket's id.
        a.add_all_sync(&s2, std::slice::from_ref(&s1));
        assert_eq!(sorted(a.targets(&opts(&["s1"], &[]))), ["s1", "s2"]);
        a.del_sync(&s2, &s1);
        a.del_sync(&s1, &s1);
        assert!(a.targets(&opts(&["s1"], &[])).is_empty());
        assert_eq!(a.rooms_of(&s1).unwrap(), Vec::<Room>::new());
        // Still a socket of the namespace: reached by broadcasts to everyone.
        assert_eq!(sorted(a.targets(&opts(&[], &[]))), ["s1", "s2"]);
        let rooms = futures_util::FutureExt::now_or_never(a.all_rooms())
            .unwrap()
            .unwrap();
        assert_eq!(rooms, vec![Arc::<str>::from("red"), Arc::from("s2")]);
    }
}
