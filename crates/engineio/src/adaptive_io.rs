//! An adaptive read layer under the WebSocket codec.
//!
//! tungstenite reads at most its (small, for idle memory) read buffer size per call, so a
//! large message would cost one syscall per kilobyte. [`AdaptiveIo`] passes small reads
//! straight through; when a read fills the caller's buffer completely (more data is
//! likely pending) the next read goes into a larger buffer, allocated for that burst
//! only, and later reads are served from it. The buffer is freed as soon as it is
//! drained, so an idle connection holds nothing extra. Writes pass through unchanged.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Size of the burst buffer: the most one read of the inner stream may return.
pub(crate) const BURST_CAPACITY: usize = 64 * 1024;

/// Read-side wrapper: small reads pass through, bursts are read in large chunks.
#[derive(Debug)]
pub(crate) struct AdaptiveIo<S> {
    inner: S,
    /// Bytes read ahead in a burst, not yet handed out; `None` when drained.
    spill: Option<Box<[u8]>>,
    /// Unread range of `spill`.
    start: usize,
    end: usize,
    /// The last read from `inner` filled its buffer: read the next one in bulk.
    burst: bool,
}

impl<S> AdaptiveIo<S> {
    /// Wraps `inner`; nothing is allocated until a burst is seen.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            spill: None,
            start: 0,
            end: 0,
            burst: false,
        }
    }

    /// Bytes held in the burst buffer (0 when it is freed). Tests only.
    #[cfg(test)]
    fn buffered_capacity(&self) -> usize {
        self.spill.as_ref().map_or(0, |b| b.len())
    }

    /// Copies buffered bytes into `out`; frees the buffer once it is drained.
    fn serve_spill(&mut self, out: &mut ReadBuf<'_>) -> bool {
        let Some(spill) = &self.spill else {
            return false;
        };
        let n = (self.end - self.start).min(out.remaining());
        out.put_slice(&spill[self.start..self.start + n]);
        self.start += n;
        if self.start == self.end {
            self.spill = None;
            self.start = 0;
            self.end = 0;
        }
        true
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for AdaptiveIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = out.remaining();
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.serve_spill(out) {
            return Poll::Ready(Ok(()));
        }
        if !this.burst || want >= BURST_CAPACITY {
            // Pass-through: the caller's own buffer, no extra memory.
            let before = out.filled().len();
            let res = ready!(Pin::new(&mut this.inner).poll_read(cx, out));
            this.burst = res.is_ok() && out.filled().len() - before == want;
            return Poll::Ready(res);
        }
        // Burst: read as much as is pending, up to the cap, into a fresh buffer.
        let mut spill = vec![0u8; BURST_CAPACITY].into_boxed_slice();
        let mut buf = ReadBuf::new(&mut spill);
        let res = match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
            // Only here does this layer return `Pending`: the inner stream has
            // registered the waker. Leave burst mode so an idle connection's next
            // read allocates nothing.
            Poll::Pending => {
                this.burst = false;
                return Poll::Pending;
            }
            Poll::Ready(res) => res,
        };
        if let Err(err) = res {
            this.burst = false;
            return Poll::Ready(Err(err));
        }
        let n = buf.filled().len();
        this.burst = n == BURST_CAPACITY;
        if n > 0 {
            this.spill = Some(spill);
            this.start = 0;
            this.end = n;
            this.serve_spill(out);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AdaptiveIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// One scripted answer of the mock stream.
    enum Step {
        /// Up to this many bytes of the pending data (fewer if the buffer is smaller).
        Data(usize),
        Pending,
        Error,
    }

    /// A scripted reader over `data`: each `poll_read` takes the next step; reports EOF
    /// once the script and data run out. Records the size of every read buffer.
    struct Mock {
        data: VecDeque<u8>,
        steps: VecDeque<Step>,
        asked: Vec<usize>,
    }

    impl Mock {
        fn new(data: &[u8], steps: Vec<Step>) -> Self {
            Self {
                data: data.iter().copied().collect(),
                steps: steps.into(),
                asked: Vec::new(),
            }
        }
    }

    impl AsyncRead for Mock {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            this.asked.push(buf.remaining());
            match this.steps.pop_front() {
                Some(Step::Pending) => Poll::Pending,
                Some(Step::Error) => Poll::Ready(Err(io::Error::other("boom"))),
                Some(Step::Data(max)) => {
                    let n = max.min(buf.remaining()).min(this.data.len());
                    let chunk: Vec<u8> = this.data.drain(..n).collect();
                    buf.put_slice(&chunk);
                    Poll::Ready(Ok(()))
                }
                None => Poll::Ready(Ok(())),
            }
        }
    }

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// One poll of `poll_read` with a `size`-byte buffer: `None` when pending.
    fn read_once<S: AsyncRead + Unpin>(
        io: &mut AdaptiveIo<S>,
        size: usize,
    ) -> Option<io::Result<Vec<u8>>> {
        let waker = Arc::new(Flag(AtomicBool::new(false))).into();
        let mut cx = Context::from_waker(&waker);
        let mut storage = vec![0u8; size];
        let mut buf = ReadBuf::new(&mut storage);
        match Pin::new(io).poll_read(&mut cx, &mut buf) {
            Poll::Pending => None,
            Poll::Ready(res) => Some(res.map(|()| buf.filled().to_vec())),
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn small_reads_pass_through_without_allocating() {
        let mut io = AdaptiveIo::new(Mock::new(b"hello", vec![Step::Data(5), Step::Pending]));
        assert_eq!(read_once(&mut io, 1024).unwrap().unwrap(), b"hello");
        assert_eq!(io.buffered_capacity(), 0);
        assert!(read_once(&mut io, 1024).is_none());
        assert_eq!(io.buffered_capacity(), 0);
        // Both reads went straight to the caller's buffer.
        assert_eq!(io.inner.asked, vec![1024, 1024]);
    }

    #[test]
    fn full_read_switches_to_one_bulk_read_then_frees() {
        let data = pattern(10_000);
        let mut io = AdaptiveIo::new(Mock::new(
            &data,
            vec![
                Step::Data(usize::MAX),
                Step::Data(usize::MAX),
                Step::Pending,
            ],
        ));
        let mut got = Vec::new();
        got.extend(read_once(&mut io, 1024).unwrap().unwrap());
        // The second read takes everything that is left in one inner read.
        got.extend(read_once(&mut io, 1024).unwrap().unwrap());
        assert_eq!(io.buffered_capacity(), BURST_CAPACITY);
        while got.len() < data.len() {
            let chunk = read_once(&mut io, 1024).unwrap().unwrap();
            assert!(!chunk.is_empty() && chunk.len() <= 1024);
            got.extend(chunk);
        }
        assert_eq!(got, data);
        assert_eq!(io.buffered_capacity(), 0, "freed once drained");
        assert_eq!(io.inner.asked, vec![1024, BURST_CAPACITY]);
        // The bulk read was short, so the next read is a plain one again.
        assert!(read_once(&mut io, 1024).is_none());
        assert_eq!(io.inner.asked, vec![1024, BURST_CAPACITY, 1024]);
        assert_eq!(io.buffered_capacity(), 0);
    }

    #[test]
    fn bulk_reads_never_exceed_the_cap() {
        let data = pattern(1000 + 3 * BURST_CAPACITY + 100);
        let steps = (0..10).map(|_| Step::Data(usize::MAX)).collect();
        let mut io = AdaptiveIo::new(Mock::new(&data, steps));
        let mut got = Vec::new();
        for _ in 0..1000 {
            let chunk = read_once(&mut io, 1000).unwrap().unwrap();
            if chunk.is_empty() {
                break;
            }
            got.extend(chunk);
        }
        assert_eq!(got, data);
        assert!(io.inner.asked.iter().all(|&n| n <= BURST_CAPACITY));
        // One plain read; full bulk reads stay in burst mode; the short last bulk read
        // ends it, so EOF is seen by a plain read.
        let cap = BURST_CAPACITY;
        assert_eq!(io.inner.asked, vec![1000, cap, cap, cap, cap, 1000]);
        assert_eq!(io.buffered_capacity(), 0);
    }

    #[test]
    fn partial_reads_are_served_in_order() {
        let data = pattern(5000);
        let mut io = AdaptiveIo::new(Mock::new(
            &data,
            vec![
                Step::Data(100),
                Step::Pending,
                Step::Data(usize::MAX),
                Step::Data(700),
                Step::Data(usize::MAX),
            ],
        ));
        let mut got = Vec::new();
        got.extend(read_once(&mut io, 100).unwrap().unwrap()); // fills: burst
        assert!(read_once(&mut io, 100).is_none()); // bulk read pending: burst ends
        assert_eq!(io.buffered_capacity(), 0);
        got.extend(read_once(&mut io, 100).unwrap().unwrap()); // plain, fills
        got.extend(read_once(&mut io, 50).unwrap().unwrap()); // bulk: 700 bytes
        assert_eq!(io.buffered_capacity(), BURST_CAPACITY);
        while io.buffered_capacity() > 0 {
            got.extend(read_once(&mut io, 64).unwrap().unwrap());
        }
        got.extend(read_once(&mut io, 8192).unwrap().unwrap()); // plain: the rest
        assert_eq!(got, data);
        assert_eq!(
            io.inner.asked,
            vec![100, BURST_CAPACITY, 100, BURST_CAPACITY, 8192]
        );
    }

    #[test]
    fn eof_and_errors_are_reported() {
        // EOF during a bulk read: an empty read, nothing kept.
        let mut io = AdaptiveIo::new(Mock::new(b"abcd", vec![Step::Data(4), Step::Data(4)]));
        assert_eq!(read_once(&mut io, 4).unwrap().unwrap(), b"abcd");
        assert_eq!(read_once(&mut io, 4).unwrap().unwrap(), b"");
        assert_eq!(io.buffered_capacity(), 0);

        // Error during a bulk read: reported, burst mode left, buffer freed.
        let mut io = AdaptiveIo::new(Mock::new(
            b"abcdef",
            vec![Step::Data(4), Step::Error, Step::Data(4)],
        ));
        assert_eq!(read_once(&mut io, 4).unwrap().unwrap(), b"abcd");
        assert!(read_once(&mut io, 4).unwrap().is_err());
        assert_eq!(io.buffered_capacity(), 0);
        assert_eq!(read_once(&mut io, 4).unwrap().unwrap(), b"ef");
        assert_eq!(io.inner.asked, vec![4, BURST_CAPACITY, 4]);

        // Error on a plain read.
        let mut io = AdaptiveIo::new(Mock::new(b"", vec![Step::Error]));
        assert!(read_once(&mut io, 4).unwrap().is_err());
    }

    #[tokio::test]
    async fn duplex_burst_and_writes_pass_through() {
        let (client, server) = tokio::io::duplex(256 * 1024);
        let mut io = AdaptiveIo::new(server);
        let mut client = client;
        let data = pattern(200_000);
        let writer = {
            let data = data.clone();
            tokio::spawn(async move {
                client.write_all(&data).await?;
                let mut back = [0u8; 5];
                client.read_exact(&mut back).await?;
                client.shutdown().await?;
                io::Result::Ok(back)
            })
        };
        let mut got = Vec::new();
        let mut chunk = [0u8; 1024];
        while got.len() < data.len() {
            let n = io.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, data);
        assert_eq!(io.buffered_capacity(), 0);
        io.write_all(b"reply").await.unwrap();
        io.flush().await.unwrap();
        assert_eq!(&writer.await.unwrap().unwrap(), b"reply");
        // The peer shut down: EOF.
        assert_eq!(io.read(&mut chunk).await.unwrap(), 0);
        assert_eq!(io.buffered_capacity(), 0);
    }

    #[tokio::test]
    async fn pending_bulk_read_is_woken_by_new_data() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut io = AdaptiveIo::new(server);
        client.write_all(&[7u8; 16]).await.unwrap();
        let mut buf = [0u8; 16];
        io.read_exact(&mut buf).await.unwrap(); // filled: next read is a bulk read
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            let n = io.read(&mut buf).await?;
            io::Result::Ok(buf[..n].to_vec())
        });
        tokio::task::yield_now().await;
        client.write_all(b"late").await.unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), reader)
            .await
            .expect("reader woken")
            .unwrap()
            .unwrap();
        assert_eq!(got, b"late");
    }
}
