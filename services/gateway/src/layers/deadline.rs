//! How long a call may take: the caller's deadline (`grpc-timeout`), else the default,
//! never more than the maximum. It is sent on in `grpc-timeout`, kept in the request's
//! extensions as a [`Deadline`], and held: no answer in time is DEADLINE_EXCEEDED.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::limits::{Limits, grpc_timeout};

/// The time a call has, as this layer set it. The transport reads it to tell a service
/// that dropped a call at its deadline from one that is not answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Duration);

/// The answer to a call that had no answer within `deadline`.
pub fn exceeded(deadline: Duration) -> Response<Body> {
    Status::deadline_exceeded(format!("no answer within {} ms", deadline.as_millis())).into_http()
}

/// Gives each call its deadline by [`Limits`].
#[derive(Clone)]
pub struct DeadlineLayer {
    limits: Limits,
}

impl DeadlineLayer {
    /// Deadlines by `limits`' default and maximum.
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadlined<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadlined {
            inner,
            limits: self.limits.clone(),
        }
    }
}

/// A service behind the [`DeadlineLayer`].
#[derive(Clone)]
pub struct Deadlined<S> {
    inner: S,
    limits: Limits,
}

impl<S> Service<Request<Body>> for Deadlined<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let deadline = self.limits.deadline(
            request
                .headers()
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok()),
        );
        if let Ok(value) = http::HeaderValue::from_str(&grpc_timeout(deadline)) {
            request.headers_mut().insert("grpc-timeout", value);
        }
        request.extensions_mut().insert(Deadline(deadline));
        let answer = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(deadline, answer).await {
                Ok(answer) => answer,
                Err(_) => Ok(exceeded(deadline)),
            }
        })
    }
}
