//! Checks each call's request against its declared rules before the handler sees it: a
//! request that breaks one is answered INVALID_ARGUMENT with every violation, and the
//! handler never runs. Methods whose request declares no rules pass untouched, unread.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use prost_reflect::DynamicMessage;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

use super::Rules;
use crate::error::Error;

/// The largest request read for checking: tonic's own limit on a decoded message.
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Checks requests against [`Rules`].
#[derive(Debug, Clone)]
pub struct RulesLayer {
    rules: Arc<Rules>,
}

impl RulesLayer {
    /// Checks against `rules`.
    pub fn new(rules: Arc<Rules>) -> Self {
        Self { rules }
    }
}

impl<S> Layer<S> for RulesLayer {
    type Service = RulesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RulesService {
            inner,
            rules: self.rules.clone(),
        }
    }
}

/// See [`RulesLayer`].
#[derive(Debug, Clone)]
pub struct RulesService<S> {
    inner: S,
    rules: Arc<Rules>,
}

impl<S> Service<Request<Body>> for RulesService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let Some(input) = self.rules.method_input(request.uri().path()).cloned() else {
            return Box::pin(self.inner.call(request));
        };
        // The service that was made ready serves this call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rules = self.rules.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                // As tonic answers a message past its decoding limit.
                Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
                    let status = Status::out_of_range("the request is larger than 4 MiB");
                    return Ok(status.into_http());
                }
                Err(_) => {
                    let status = Status::cancelled("the request ended before it was whole");
                    return Ok(status.into_http());
                }
            };
            // Only what is checked reaches the handler: a body that is not one plain
            // message is refused here, not passed on unchecked.
            let message = match framing(&bytes) {
                Framing::One(message) => message,
                Framing::Compressed => {
                    let status = Status::unimplemented("compressed requests are not accepted");
                    return Ok(status.into_http());
                }
                Framing::NotOne => {
                    let status = Status::invalid_argument("a call carries exactly one message");
                    return Ok(status.into_http());
                }
            };
            let decoded = match DynamicMessage::decode(input.clone(), message) {
                Ok(decoded) => decoded,
                Err(_) => {
                    let status = Status::invalid_argument(format!(
                        "the request is not a {}",
                        input.full_name()
                    ));
                    return Ok(status.into_http());
                }
            };
            let violations = rules.check(&decoded);
            if !violations.is_empty() {
                return Ok(Status::from(Error::Invalid(violations)).into_http());
            }
            let request = Request::from_parts(parts, Body::new(Full::new(bytes)));
            inner.call(request).await
        })
    }
}

/// What a gRPC request body holds.
enum Framing {
    /// One uncompressed message.
    One(Bytes),
    /// A compressed message, which no server here accepts.
    Compressed,
    /// Nothing, several messages, or a message cut short.
    NotOne,
}

fn framing(body: &Bytes) -> Framing {
    let Some((&compressed, rest)) = body.split_first() else {
        return Framing::NotOne;
    };
    let length = rest
        .get(..4)
        .and_then(|length| <[u8; 4]>::try_from(length).ok())
        .and_then(|length| usize::try_from(u32::from_be_bytes(length)).ok());
    match length {
        _ if compressed != 0 => Framing::Compressed,
        Some(length) if rest.len() == 4 + length => Framing::One(body.slice(5..)),
        _ => Framing::NotOne,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_plain_frame_is_a_message() {
        let frame = |flag: u8, payload: &[u8]| {
            let mut body = vec![flag];
            body.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(0).to_be_bytes());
            body.extend_from_slice(payload);
            Bytes::from(body)
        };
        let one = |body: &Bytes| match framing(body) {
            Framing::One(message) => Some(message),
            _ => None,
        };
        assert_eq!(one(&frame(0, b"abc")).as_deref(), Some(&b"abc"[..]));
        assert_eq!(one(&frame(0, b"")).as_deref(), Some(&b""[..]));
        assert!(matches!(framing(&frame(1, b"abc")), Framing::Compressed));
        let mut two = frame(0, b"a").to_vec();
        two.extend_from_slice(&frame(0, b"b"));
        assert!(matches!(framing(&Bytes::from(two)), Framing::NotOne));
        assert!(matches!(
            framing(&Bytes::from_static(&[0, 0, 0])),
            Framing::NotOne
        ));
        assert!(matches!(framing(&Bytes::new()), Framing::NotOne));
        let mut cut = frame(0, b"abcdef").to_vec();
        cut.truncate(8);
        assert!(matches!(framing(&Bytes::from(cut)), Framing::NotOne));
    }
}
