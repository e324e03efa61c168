//! The trace continues through the gateway: the caller's trace context is replaced by the
//! gateway's own span's (itself a child of the caller's), so the service's spans hang
//! under the gateway's.

use http::Request;
use tonic::body::Body;
use tower::util::MapRequestLayer;
use xingfu_platform::telemetry;

/// Injects the current span's trace context into each call's headers.
pub fn layer() -> MapRequestLayer<fn(Request<Body>) -> Request<Body>> {
    MapRequestLayer::new(inject)
}

fn inject(mut request: Request<Body>) -> Request<Body> {
    telemetry::inject_into_headers(&tracing::Span::current(), request.headers_mut());
    request
}
