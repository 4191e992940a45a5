//! Typed per-socket data (Node's `socket.data`), serializable for `fetch_sockets`.

use serde::Serialize;
use std::any::Any;
use std::sync::{Arc, Mutex};

type ToJson = fn(&(dyn Any + Send + Sync)) -> serde_json::Value;

/// One value of any `Serialize` type, replaced as a whole.
#[derive(Default)]
pub(crate) struct DataSlot {
    value: Mutex<Option<(Arc<dyn Any + Send + Sync>, ToJson)>>,
}

fn to_json<T: Serialize + 'static>(v: &(dyn Any + Send + Sync)) -> serde_json::Value {
    v.downcast_ref::<T>()
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(serde_json::Value::Null)
}

impl DataSlot {
    pub(crate) fn set<T: Serialize + Send + Sync + 'static>(&self, value: T) {
        let entry: (Arc<dyn Any + Send + Sync>, ToJson) = (Arc::new(value), to_json::<T>);
        *lock(&self.value) = Some(entry);
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let any = lock(&self.value).as_ref().map(|(v, _)| v.clone())?;
        any.downcast::<T>().ok()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        match lock(&self.value).as_ref() {
            Some((v, f)) => f(v.as_ref()),
            None => serde_json::Value::Object(Default::default()),
        }
    }
}

/// Locks a mutex, recovering from poisoning (a panicking user handler must not wedge the
/// server's bookkeeping).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read lock, recovering from poisoning.
pub(crate) fn read<T>(m: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

/// Write lock, recovering from poisoning.
pub(crate) fn write<T>(m: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}
