//! The gateway's word in place of the caller's: the caller's credentials (API key, bearer
//! token) and any `x-xingfu-*` header it sent stop here, and the internal token and the
//! authenticated [`Caller`] (id, scopes, boundary, roles) are stamped instead, so a caller
//! cannot pass as the gateway nor name itself someone else.

use http::Request;
use tonic::body::Body;
use tower::util::MapRequestLayer;
use xingfu_platform::trust::{self, Caller, InternalToken};

use crate::auth::API_KEY_HEADER;

/// Rewrites each call's headers with `internal` and its [`Caller`]. A call without one
/// (the stack out of order) goes on without the token, and the service refuses it.
pub fn layer(
    internal: InternalToken,
) -> MapRequestLayer<impl Fn(Request<Body>) -> Request<Body> + Clone + Send + Sync + 'static> {
    MapRequestLayer::new(move |mut request: Request<Body>| {
        let caller = request.extensions().get::<Caller>().cloned();
        let headers = request.headers_mut();
        headers.remove(API_KEY_HEADER);
        headers.remove(http::header::AUTHORIZATION);
        trust::strip(headers);
        if let Some(caller) = caller {
            internal.stamp(headers);
            caller.stamp(headers);
        }
        request
    })
}
