//! The parked WebSocket driver: the one task that is woken (besides the `changed`
//! waiters) when the session's queue goes from empty to non-empty or its state changes.
//!
//! The waker lives under the session lock, next to the queue, so parking and looking at
//! the queue are one atomic step for the driver, and pushing and waking are one atomic
//! step for a sender: a push either happens before the driver looks (it sees the
//! message) or after it parked (the sender wakes it). No wake-up can fall in between.

use std::task::Waker;

use super::SessionState;

/// The driver's waker and whether it is parked (wants to be woken).
#[derive(Debug, Default)]
pub(super) struct DriverPark {
    waker: Option<Waker>,
    parked: bool,
}

impl SessionState {
    /// The WebSocket driver parks: the next change of interest wakes `waker` (once).
    pub(crate) fn park_driver(&mut self, waker: &Waker) {
        let park = &mut self.driver;
        if !park.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            park.waker = Some(waker.clone());
        }
        park.parked = true;
    }

    /// The driver is busy (it will look at the session again before it waits): changes
    /// need not wake it. Keeps the waker, so parking again costs no clone.
    pub(crate) fn unpark_driver(&mut self) {
        self.driver.parked = false;
    }

    /// The waker to wake after a change, if the driver is parked; it is unparked.
    pub(crate) fn wake_driver(&mut self) -> Option<Waker> {
        if std::mem::take(&mut self.driver.parked) {
            self.driver.waker.clone()
        } else {
            None
        }
    }

    /// The driver is gone: forget its waker (which keeps its task's memory alive).
    pub(crate) fn clear_driver(&mut self) {
        self.driver = DriverPark::default();
    }
}
