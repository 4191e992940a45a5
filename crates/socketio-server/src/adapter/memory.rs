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

#[derive(Default)]
struct Rooms {
    rooms: HashMap<Room, HashSet<Sid>>,
    sids: HashMap<Sid, HashSet<Room>>,
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
            if let Some(members) = st.rooms.get(room) {
                excluded.extend(members.iter());
            }
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
            if let Some(members) = st.rooms.get(room) {
                for sid in members {
                    if !excluded.contains(sid) && seen.insert(sid) {
                        out.push(sid.clone());
                    }
                }
            }
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
        let mut st = write(&self.state);
        for room in rooms {
            st.rooms
                .entry(room.clone())
                .or_default()
                .insert(sid.clone());
        }
        st.sids
            .entry(sid.clone())
            .or_default()
            .extend(rooms.iter().cloned());
    }

    fn del_sync(&self, sid: &Sid, room: &Room) {
        let mut st = write(&self.state);
        if let Some(members) = st.rooms.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                st.rooms.remove(room);
            }
        }
        if let Some(rooms) = st.sids.get_mut(sid) {
            rooms.remove(room);
        }
    }

    fn del_all_sync(&self, sid: &Sid) {
        let mut st = write(&self.state);
        if let Some(rooms) = st.sids.remove(sid) {
            for room in rooms {
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
        read(&self.state)
            .sids
            .get(sid)
            .map(|r| r.iter().cloned().collect())
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
        Box::pin(ready(Ok(read(&self.state).rooms.keys().cloned().collect())))
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
}
