//! The response body type of the engine's service.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;

/// Boxed error type used by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project_lite::pin_project! {
    /// Either an engine response (one buffer) or the inner service's body.
    pub struct EngineBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Engine { #[pin] body: Full<Bytes> },
        Inner { #[pin] body: B },
    }
}

impl<B> EngineBody<B> {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        EngineBody {
            kind: Kind::Engine {
                body: Full::new(bytes.into()),
            },
        }
    }

    pub(crate) fn inner(body: B) -> Self {
        EngineBody {
            kind: Kind::Inner { body },
        }
    }
}

impl<B> Body for EngineBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Engine { body } => match body.poll_frame(cx) {
                Poll::Ready(Some(Ok(f))) => Poll::Ready(Some(Ok(f))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            KindProj::Inner { body } => body.poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Engine { body } => body.is_end_stream(),
            Kind::Inner { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Engine { body } => body.size_hint(),
            Kind::Inner { body } => body.size_hint(),
        }
    }
}
