//! The layer that tells a [`super::Connection`] which calls are in flight on it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::transport::server::TlsConnectInfo;
use tower::{Layer, Service};

use super::ConnectionInfo;
use super::connection::CallGuard;
use crate::internal_tls::PeerInfo;

/// Counts each request as in flight on its connection until its answer's body is done,
/// so a long call or a long stream is never taken for an idle connection. Requests that
/// came from no [`super::Connection`] (in-process calls) pass untouched.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActivityLayer;

impl<S> Layer<S> for ActivityLayer {
    type Service = ActivityService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ActivityService { inner }
    }
}

/// See [`ActivityLayer`].
#[derive(Debug, Clone)]
pub struct ActivityService<S> {
    inner: S,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for ActivityService<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    S::Future: Send + 'static,
{
    type Response = Response<CountedBody<ResB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqB>) -> Self::Future {
        let extensions = request.extensions();
        let info = extensions
            .get::<ConnectionInfo>()
            .cloned()
            .or_else(|| {
                extensions
                    .get::<TlsConnectInfo<ConnectionInfo>>()
                    .map(|tls| tls.get_ref().clone())
            })
            .or_else(|| {
                extensions
                    .get::<PeerInfo>()
                    .map(|peer| peer.connection.clone())
            });
        let call = info.map(|info| {
            // tonic's `Request::remote_addr` looks for the plain TCP info.
            request.extensions_mut().insert(info.tcp.clone());
            info.activity.begin()
        });
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            Ok(response.map(|body| CountedBody { body, _call: call }))
        })
    }
}

/// An answer's body that keeps its call counted until it is finished or dropped.
#[derive(Debug)]
pub struct CountedBody<B> {
    body: B,
    _call: Option<CallGuard>,
}

impl<B: Body + Unpin> Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
