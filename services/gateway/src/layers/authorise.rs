//! What the caller may do: the scope of the method it calls (`<service>:read` or
//! `<service>:write`, or `<service>:*`), or PERMISSION_DENIED naming the scope it lacks.

use http::Request;
use tonic::Status;
use tonic::body::Body;
use xingfu_platform::trust::Caller;

use super::{Gate, learnt};
use crate::auth::Auth;
use crate::proxy::Route;

/// Checks the authenticated [`Caller`]'s scopes against the [`Route`].
#[derive(Clone, Copy)]
pub struct Authorise;

impl Gate for Authorise {
    fn check(&self, request: &mut Request<Body>) -> Result<(), Status> {
        let route = learnt::<Route>(request)?;
        let caller = learnt::<Caller>(request)?;
        Auth::authorise(caller, route.scope(), route.method())
    }
}
