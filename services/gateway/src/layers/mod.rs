//! The gateway as a stack of tower layers, composed here and only here ([`Layers::around`]).
//! A call passes them top to bottom. Each either refuses it, answering at once with a
//! status, or lets it on, putting what it learnt into the request's extensions for the
//! layers below ([`Route`], [`Caller`], [`Credential`], [`Deadline`]); the last hands it to
//! the [`Proxy`], which only routes and transports. The JSON port calls the same stack.
//!
//! The order, and why:
//!
//! 1. [`route`]: which service the path names (UNIMPLEMENTED when none). Everything below
//!    reads it, and a call for nothing should cost nothing.
//! 2. [`shed`]: a place among the calls in flight, held until the answer's body ends
//!    (UNAVAILABLE when all are taken). First of the checks: it costs least, and it
//!    protects the rest, authentication included (hashing keys, verifying tokens).
//! 3. [`authenticate`]: who is calling (UNAUTHENTICATED, one message for every bad
//!    credential). What follows is decided per caller.
//! 4. [`authorise`]: whether the caller holds the scope of the method (PERMISSION_DENIED
//!    naming the scope it lacks).
//! 5. [`rate`]: the caller's rate (RESOURCE_EXHAUSTED with a `RetryInfo`); after
//!    authorisation, so a call refused for its scope spends none of it.
//! 6. [`audit`]: writes, and reads that show personal data to a `pii:read` caller, are
//!    recorded with their outcome. It wraps everything below, so a call refused by the
//!    boundary, one that ran out of time and one whose service did not answer are recorded
//!    too; calls refused above it never reached a service and are not.
//! 7. [`vouch`]: the caller's credentials and any `x-xingfu-*` header stop here; the
//!    internal token and the caller as authenticated go on instead. (On the way back, the
//!    services' `x-xingfu-*` answer headers stop at the top of the stack.)
//! 8. [`trace`]: the trace context becomes the gateway's span, so the trace continues
//!    through it. It and the layers above run in one synchronous pass, while the call's
//!    span is the current one.
//! 9. [`boundary`]: a caller limited to an organisation names only organisations in its
//!    subtree (PERMISSION_DENIED); the first wall, requests naming none go on. It reads the
//!    body, so it waits, and it comes before the deadline: the deadline bounds the
//!    service's answer, not the gateway's own checks.
//! 10. [`deadline`]: the caller's deadline, given a default and clamped to the maximum,
//!     sent on in `grpc-timeout` and held (DEADLINE_EXCEEDED).

pub mod audit;
pub mod authenticate;
pub mod authorise;
pub mod boundary;
pub mod deadline;
pub mod rate;
pub mod route;
pub mod shed;
pub mod trace;
pub mod vouch;

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tonic::body::Body;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceBuilder};
use xingfu_platform::trust::InternalToken;

use crate::audit::Auditor;
use crate::auth::Auth;
use crate::limits::Limits;
use crate::proxy::Upstreams;
use crate::subtree::Subtrees;

#[cfg(doc)]
use {
    crate::proxy::{Proxy, Route},
    authenticate::Credential,
    deadline::Deadline,
    xingfu_platform::trust::Caller,
};

/// The whole gateway as one service: a gRPC call in, its answer out.
pub type Gateway = BoxCloneSyncService<Request<axum::body::Body>, Response<Body>, Infallible>;

/// What the layers need.
pub struct Layers {
    /// The services behind the gateway, to route by.
    pub upstreams: Upstreams,
    /// Keys, tokens and policy.
    pub auth: Auth,
    /// Calls in flight, rates and deadlines.
    pub limits: Limits,
    /// The token that vouches for the gateway to the services.
    pub internal: InternalToken,
    /// Where audited calls are recorded.
    pub auditor: Auditor,
    /// The directory's hierarchy, for the subtree check.
    pub subtrees: Subtrees,
}

impl Layers {
    /// The layers, in the order the module documentation explains, around `proxy` (the
    /// [`Proxy`], or a stand-in in tests).
    pub fn around<S>(self, proxy: S) -> Gateway
    where
        S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let Self {
            upstreams,
            auth,
            limits,
            internal,
            auditor,
            subtrees,
        } = self;
        let stack = ServiceBuilder::new()
            .map_request(|request: Request<axum::body::Body>| request.map(Body::new))
            // What the services tell the gateway (`x-xingfu-*`, read by the audit below)
            // stays inside: the caller gets the answer without it.
            .map_response(|mut response: Response<Body>| {
                xingfu_platform::trust::strip(response.headers_mut());
                response
            })
            .layer(GateLayer(route::Resolve::new(upstreams)))
            .layer(shed::ShedLayer::new(limits.clone()))
            .layer(GateLayer(authenticate::Authenticate::new(auth)))
            .layer(GateLayer(authorise::Authorise))
            .layer(GateLayer(rate::Rate::new(limits.clone())))
            .layer(audit::AuditLayer::new(auditor))
            .layer(vouch::layer(internal))
            .layer(trace::layer())
            .layer(boundary::BoundaryLayer::new(subtrees))
            .layer(deadline::DeadlineLayer::new(limits))
            .service(proxy);
        BoxCloneSyncService::new(stack)
    }
}

/// A check a call must pass: it lets the call on, having put what it learnt into the
/// request's extensions, or refuses it.
pub trait Gate: Clone + Send + Sync + 'static {
    /// `Ok` to let `request` on; the status to answer with otherwise.
    fn check(&self, request: &mut Request<Body>) -> Result<(), Status>;
}

/// A [`Gate`] as a layer: a refused call is answered at once, and the refusal logged.
#[derive(Clone)]
pub struct GateLayer<G>(pub G);

impl<S, G: Clone> Layer<S> for GateLayer<G> {
    type Service = Gated<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Gated {
            inner,
            gate: self.0.clone(),
        }
    }
}

/// A service behind a [`Gate`].
#[derive(Clone)]
pub struct Gated<S, G> {
    inner: S,
    gate: G,
}

impl<S, G> Service<Request<Body>> for Gated<S, G>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
    G: Gate,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        match self.gate.check(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => refuse(&request, status),
        }
    }
}

/// Answers `request` with `status` at once, logging the refusal.
fn refuse(
    request: &Request<Body>,
    status: Status,
) -> BoxFuture<'static, Result<Response<Body>, Infallible>> {
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    tracing::info!(code = ?status.code(), %service, %method, "refused a call");
    let answer = status.into_http();
    Box::pin(async move { Ok(answer) })
}

/// What a layer above learnt of `request`. Missing, the stack was built out of order: the
/// call is refused rather than let through unchecked.
fn learnt<T: Send + Sync + 'static>(request: &Request<Body>) -> Result<&T, Status> {
    request.extensions().get::<T>().ok_or_else(|| {
        Status::internal(format!(
            "the gateway's layers are out of order: no {}",
            std::any::type_name::<T>()
        ))
    })
}

#[cfg(test)]
mod tests;
