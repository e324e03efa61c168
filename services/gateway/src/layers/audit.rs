//! Which calls are audited, and the audit around them: every write, and every read that
//! answers with personal data in clear to a caller holding `pii:read`. The request's and
//! the answer's bodies are tapped, and the record is made when the answer ends
//! ([`crate::audit`]), so its outcome is the call's, whatever the layers below answered.

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::body::Body;
use tower::{Layer, Service};
use xingfu_platform::telemetry;
use xingfu_platform::trust::Caller;

use super::authenticate::Credential;
use super::learnt;
use crate::audit::Auditor;
use crate::auth::Access;
use crate::proxy::Route;

/// Audits calls into an [`Auditor`].
#[derive(Clone)]
pub struct AuditLayer {
    auditor: Auditor,
}

impl AuditLayer {
    /// Records audited calls into `auditor`.
    pub fn new(auditor: Auditor) -> Self {
        Self { auditor }
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audit {
            inner,
            auditor: self.auditor.clone(),
        }
    }
}

/// A service behind the [`AuditLayer`].
#[derive(Clone)]
pub struct Audit<S> {
    inner: S,
    auditor: Auditor,
}

impl<S> Service<Request<Body>> for Audit<S>
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
        let learnt = learnt::<Route>(&request).and_then(|route| {
            Ok((
                route,
                learnt::<Caller>(&request)?,
                learnt::<Credential>(&request)?,
            ))
        });
        let (route, caller, credential) = match learnt {
            Ok(learnt) => learnt,
            Err(status) => return super::refuse(&request, status),
        };
        let audited = match Access::of(route.method()) {
            Access::Write => true,
            Access::Read => {
                reveals_personal_data(route.service(), route.method()) && caller.holds("pii:read")
            }
        };
        if !audited {
            return Box::pin(self.inner.call(request));
        }
        let trace_id = telemetry::trace_id_of(&tracing::Span::current()).unwrap_or_default();
        let call = self
            .auditor
            .start(&caller.id, &credential.0, route.path(), trace_id);
        let answer = self.inner.call(request.map(|body| call.tap_request(body)));
        Box::pin(async move { Ok(call.tap_response(answer.await?)) })
    }
}

/// Whether a read of `method` on `service` answers with personal data in clear for a
/// caller holding `pii:read` (the volunteer register's phones and ID numbers).
fn reveals_personal_data(service: &str, method: &str) -> bool {
    service == "xingfu.volunteers.v1.VolunteersService"
        && matches!(
            method,
            "GetVolunteer" | "FindVolunteer" | "ExportServiceRecord" | "ExportNationalRecords"
        )
}
