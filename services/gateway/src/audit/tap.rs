//! A body that passes every frame through untouched, keeping its first bytes for the
//! audit to read ids from and, for an answer, telling the audit when it ends.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use tonic::body::Body;

/// The first bytes of a request or answer kept to read its ids: enough for any message
/// that names a resource.
const CAPTURE: usize = 64 * 1024;

/// The first bytes a tap has seen, shared with whoever reads them when the call ends.
pub(super) type Captured = Arc<Mutex<Vec<u8>>>;

/// What runs once when an answer ends, with its trailers if they came (not when it was
/// dropped or ended without them).
pub(super) type OnEnd = Box<dyn FnOnce(Option<&HeaderMap>) + Send>;

/// A body tapped for the audit.
pub(super) struct Tap {
    inner: Body,
    captured: Captured,
    on_end: Option<OnEnd>,
}

impl Tap {
    /// `inner`, its first [`CAPTURE`] bytes kept in `captured`, `on_end` run when it ends.
    pub(super) fn new(inner: Body, captured: Captured, on_end: Option<OnEnd>) -> Self {
        Self {
            inner,
            captured,
            on_end,
        }
    }

    fn end(&mut self, trailers: Option<&HeaderMap>) {
        if let Some(on_end) = self.on_end.take() {
            on_end(trailers);
        }
    }
}

impl http_body::Body for Tap {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Ok(mut captured) = self.captured.lock()
                {
                    let room = CAPTURE.saturating_sub(captured.len());
                    captured.extend_from_slice(&data[..data.len().min(room)]);
                }
                if let Some(trailers) = frame.trailers_ref() {
                    self.end(Some(trailers));
                }
            }
            Poll::Ready(None) => self.end(None),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.end(None);
    }
}
