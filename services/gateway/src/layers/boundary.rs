//! The subtree check, the first wall: a caller limited to an organisation may name only
//! organisations at or below its own ([`crate::subtree`]), or the call is refused
//! (PERMISSION_DENIED). A request naming no organisation (a list without that filter, a
//! create the service places itself) goes on: the service judges it by the vouched
//! boundary. The body is read whole to check, then handed on; streamed imports, which
//! cannot be read whole, are refused to limited callers.

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use http_body_util::BodyExt as _;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};
use xingfu_platform::trust::Caller;

use super::learnt;
use crate::proxy::Route;
use crate::subtree::{self, Subtrees};

/// The most of a request read to check it: a message at the services' limit, framed.
const MAX_CHECKED: usize = 4 * 1024 * 1024 + 5;

/// Checks limited callers' calls against the directory's hierarchy.
#[derive(Clone)]
pub struct BoundaryLayer {
    subtrees: Subtrees,
}

impl BoundaryLayer {
    /// Checks against the hierarchy `subtrees` holds.
    pub fn new(subtrees: Subtrees) -> Self {
        Self { subtrees }
    }
}

impl<S> Layer<S> for BoundaryLayer {
    type Service = Boundary<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Boundary {
            inner,
            subtrees: self.subtrees.clone(),
        }
    }
}

/// A service behind the [`BoundaryLayer`].
#[derive(Clone)]
pub struct Boundary<S> {
    inner: S,
    subtrees: Subtrees,
}

impl<S> Service<Request<Body>> for Boundary<S>
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let limited = learnt::<Route>(&request).and_then(|route| {
            let caller = learnt::<Caller>(&request)?;
            Ok(caller
                .organisation
                .clone()
                .map(|root| (root, route.clone())))
        });
        let (root, route) = match limited {
            Ok(Some(limited)) => limited,
            Ok(None) => return Box::pin(self.inner.call(request)),
            Err(status) => return super::refuse(&request, status),
        };
        // The service made ready is this one; a fresh clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let subtrees = self.subtrees.clone();
        Box::pin(async move {
            match within_subtree(request, &root, &subtrees, &route).await {
                Ok(request) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// The request, once every organisation it names is `root` or below it; its body is read
/// whole to check, then handed on.
async fn within_subtree(
    request: Request<Body>,
    root: &str,
    subtrees: &Subtrees,
    route: &Route,
) -> Result<Request<Body>, Status> {
    let denied = |why: String| Status::permission_denied(why);
    let Some(descriptor) = crate::descriptors::method(route.service(), route.method()) else {
        return Ok(request);
    };
    if descriptor.is_client_streaming() {
        return Err(denied(format!(
            "this caller is limited to organisation {root}: streamed imports are not open to it"
        )));
    }
    let input = descriptor.input();
    if !subtree::has_organisation_field(&input) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = http_body_util::Limited::new(body, MAX_CHECKED)
        .collect()
        .await
        .map_err(|_| Status::resource_exhausted("the request is too large to check"))?
        .to_bytes();
    let message = bytes
        .get(5..)
        .and_then(|m| prost_reflect::DynamicMessage::decode(input, m).ok())
        .ok_or_else(|| Status::invalid_argument("the request could not be read"))?;
    for id in &subtree::named_organisations(&message) {
        let inside = subtrees
            .contains(root, id)
            .await
            .map_err(|_| Status::unavailable("the directory could not be read"))?;
        if !inside {
            return Err(denied(format!(
                "organisation {id} is outside this caller's organisation {root}"
            )));
        }
    }
    Ok(Request::from_parts(
        parts,
        Body::new(http_body_util::Full::new(bytes)),
    ))
}
