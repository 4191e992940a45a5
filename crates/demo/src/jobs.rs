//! Background jobs: the "worker" pattern. A job runs in its own task and reports its
//! progress to the room `job:<id>` of `/jobs` through the server handle.

use crate::realtime::job_room;
use socketio_server::SocketIo;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many jobs the demo remembers; the oldest finished ones are forgotten first.
const MAX_JOBS: usize = 1000;

/// The jobs started so far and their progress (0 to 100).
#[derive(Clone, Default)]
pub struct Jobs {
    progress: Arc<Mutex<HashMap<u64, u8>>>,
    next_id: Arc<AtomicU64>,
}

impl Jobs {
    /// The progress of job `id`, if it exists.
    pub fn progress(&self, id: u64) -> Option<u8> {
        self.lock().get(&id).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, u8>> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, id: u64, progress: u8) {
        self.lock().insert(id, progress);
    }

    /// Starts a job and returns its id. The worker emits `progress` `{id, progress}` to
    /// `job:<id>` from 0 to 100 in steps of 10.
    pub fn start(&self, io: &SocketIo) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        {
            let mut jobs = self.lock();
            if jobs.len() >= MAX_JOBS {
                let done: Vec<u64> = jobs
                    .iter()
                    .filter(|(_, p)| **p == 100)
                    .map(|(id, _)| *id)
                    .collect();
                for old in done {
                    jobs.remove(&old);
                }
            }
            jobs.insert(id, 0);
        }
        let jobs = self.clone();
        let room = io.of("/jobs").to(job_room(id));
        tokio::spawn(async move {
            // Give the page a moment to subscribe; late subscribers get the progress in the ack.
            tokio::time::sleep(Duration::from_millis(300)).await;
            for progress in (0..=100u8).step_by(10) {
                jobs.set(id, progress);
                let payload = serde_json::json!({ "id": id, "progress": progress });
                if let Err(err) = room.emit("progress", (payload,)).await {
                    tracing::warn!(%err, job = id, "progress emit failed");
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            tracing::info!(job = id, "job done");
        });
        id
    }
}
