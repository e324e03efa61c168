//! Load shedding: a call takes a place among the calls in flight, and keeps it until its
//! answer's body ends (a streamed answer counts for as long as it streams); when every
//! place is taken it is refused at once (UNAVAILABLE) rather than queued.

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::body::Body;
use tower::{Layer, Service};

use crate::limits::{self, Limits};

/// Sheds calls beyond the ceiling of [`Limits`].
#[derive(Clone)]
pub struct ShedLayer {
    limits: Limits,
}

impl ShedLayer {
    /// Sheds by `limits`' ceiling on calls in flight.
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl<S> Layer<S> for ShedLayer {
    type Service = Shed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Shed {
            inner,
            limits: self.limits.clone(),
        }
    }
}

/// A service behind the [`ShedLayer`].
#[derive(Clone)]
pub struct Shed<S> {
    inner: S,
    limits: Limits,
}

impl<S> Service<Request<Body>> for Shed<S>
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

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let permit = match self.limits.admit() {
            Ok(permit) => permit,
            Err(status) => return super::refuse(&request, status),
        };
        let answer = self.inner.call(request);
        Box::pin(async move { Ok(limits::hold(answer.await?, permit)) })
    }
}
