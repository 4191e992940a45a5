//! Buffers of large messages are recycled per thread.
//!
//! Every message gets a buffer of its own (a connection keeps none between messages).
//! For large messages that means allocating and freeing tens of kilobytes per message,
//! and with glibc's default trim threshold, freeing such a buffer often shrinks the heap
//! (`brk`) only for the next message to grow it again and fault its pages back in. So
//! the buffer of a message of [`MIN`]..=[`MAX`] bytes is handed out inside a [`Bytes`]
//! whose owner, when the last reference is dropped, gives the buffer to a small free list
//! of the dropping thread (at most [`KEEP`] bytes per thread); the decoder takes its next
//! large buffer from there. Small messages use plain allocations.

use std::cell::RefCell;
use std::collections::TryReserveError;

use bytes::Bytes;

/// The smallest message whose buffer is recycled.
pub(super) const MIN: usize = 16 * 1024;
/// The largest message whose buffer is recycled.
pub(super) const MAX: usize = 1024 * 1024;
/// The most bytes of free buffers one thread keeps.
pub(super) const KEEP: usize = 1024 * 1024;

thread_local! {
    static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `len` bytes: a recycled one that fits (at most twice as
/// large), or a new one of exactly `len`.
pub(super) fn buffer(len: usize) -> Result<Vec<u8>, TryReserveError> {
    if (MIN..=MAX).contains(&len) {
        let reused = FREE.try_with(|free| {
            let mut free = free.try_borrow_mut().ok()?;
            let i = free
                .iter()
                .position(|b| b.capacity() >= len && b.capacity() <= 2 * len)?;
            Some(free.swap_remove(i))
        });
        if let Ok(Some(buf)) = reused {
            return Ok(buf);
        }
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)?;
    Ok(buf)
}

/// The message's bytes. A large buffer returns to a free list when they are dropped.
pub(super) fn freeze(buf: Vec<u8>) -> Bytes {
    if (MIN..=2 * MAX).contains(&buf.capacity()) {
        Bytes::from_owner(Recycled(buf))
    } else {
        Bytes::from(buf)
    }
}

/// A message buffer that goes back to a free list when dropped.
struct Recycled(Vec<u8>);

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        buf.clear();
        // If the thread's free list is gone (thread exit) or full, the buffer is freed.
        let _ = FREE.try_with(move |free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                let held: usize = free.iter().map(Vec::capacity).sum();
                if held + buf.capacity() <= KEEP {
                    free.push(buf);
                }
            }
        });
    }
}

/// Bytes held in this thread's free list.
#[cfg(test)]
pub(super) fn held() -> usize {
    FREE.with(|free| free.borrow().iter().map(Vec::capacity).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_come_back() {
        let mut buf = buffer(64 * 1024).unwrap();
        buf.resize(64 * 1024, 7);
        let ptr = buf.as_ptr();
        let bytes = freeze(buf);
        let copy = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(&copy[..], &[7; 10]);
        drop(copy);
        // The same allocation, empty, for the next message of a similar size.
        let again = buffer(60 * 1024).unwrap();
        assert_eq!(again.as_ptr(), ptr);
        assert!(again.is_empty());
        // Not for a much smaller one (it would waste more than half).
        drop(freeze(again));
        let small = buffer(MIN).unwrap();
        assert_ne!(small.as_ptr(), ptr);
        assert_eq!(small.capacity(), MIN);
    }

    #[test]
    fn small_buffers_are_plain_and_the_free_list_is_bounded() {
        let buf = buffer(100).unwrap();
        assert_eq!(buf.capacity(), 100);
        drop(freeze(buf));
        let before = held();
        let bufs: Vec<Bytes> = (0..40)
            .map(|_| {
                let mut b = buffer(100 * 1024).unwrap();
                b.resize(100 * 1024, 1);
                freeze(b)
            })
            .collect();
        drop(bufs);
        assert!(held() <= KEEP);
        assert!(held() >= before);
    }
}
