//! Names the call: the [`Route`] its path resolves to, for every layer below; a path no
//! service behind the gateway serves is answered UNIMPLEMENTED before anything else.

use http::Request;
use tonic::Status;
use tonic::body::Body;

use super::Gate;
use crate::proxy::{Route, Upstreams, no_such_service};

/// Resolves each call's path into a [`Route`] extension.
#[derive(Clone)]
pub struct Resolve {
    upstreams: Upstreams,
}

impl Resolve {
    /// Routes by the services in `upstreams` and the gateway's own API.
    pub fn new(upstreams: Upstreams) -> Self {
        Self { upstreams }
    }
}

impl Gate for Resolve {
    fn check(&self, request: &mut Request<Body>) -> Result<(), Status> {
        let route: Route = self
            .upstreams
            .route(request.uri().path())
            .ok_or_else(|| no_such_service(request.uri().path()))?;
        request.extensions_mut().insert(route);
        Ok(())
    }
}
