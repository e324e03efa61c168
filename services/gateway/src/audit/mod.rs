//! The audit trail: every write call through the gateway, and every read that shows
//! personal data in clear, is recorded — caller, credential, the person acted for, method,
//! the resource it touched, outcome, time, trace id — in the gateway's own database and,
//! in the same transaction, as a `CallAudited` event. The record is made when the call
//! ends (its outcome is the status in the answer's trailers). Only ids are kept: the
//! resource id is the `id` of the answer, else the first `…_id` field of the request
//! ([`resource`]); never a secret, never other fields.
//!
//! A call's bodies pass through a [`tap`] that keeps their first bytes; its record is
//! queued for the one [`AuditWriter`] ([`storage`]), which writes everything queued so far
//! in one transaction. The answer never waits for its record. Which calls are audited is
//! the audit layer's to say (`crate::layers::audit`).

mod resource;
mod storage;
mod tap;

use std::time::Instant;

use http::HeaderMap;
use tokio::sync::mpsc;
use tonic::body::Body;
use xingfu_platform::acting::ON_BEHALF_OF_HEADER;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::time::now_micros;

pub use storage::AuditWriter;
use storage::Store;
use tap::{Captured, Tap};

/// Where audit records go: queued for the [`AuditWriter`], and read back from the store.
#[derive(Clone)]
pub struct Auditor {
    store: Store,
    queue: mpsc::UnboundedSender<Record>,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Server-assigned id.
    pub id: String,
    /// When the call ended, microseconds since the epoch.
    pub at: i64,
    /// The caller.
    pub caller: String,
    /// The credential it used (`key:<id>`, `jwt:<sub>`, `cert:<hash prefix>`).
    pub credential: String,
    /// The person a delegate named as the actor, or empty.
    pub on_behalf_of: String,
    /// The full method.
    pub method: String,
    /// The resource touched, or empty.
    pub resource_id: String,
    /// The gRPC code name.
    pub outcome: String,
    /// The trace id.
    pub trace_id: String,
    /// Duration in milliseconds.
    pub duration_ms: i64,
}

/// What is known of an audited call while it runs.
pub struct Call {
    auditor: Auditor,
    caller: String,
    credential: String,
    on_behalf_of: String,
    method: String,
    trace_id: String,
    started: Instant,
    request: Captured,
}

impl Auditor {
    /// An auditor recording into `db` through `outbox`, and the writer that must run
    /// (as a background task) for its records to be written.
    pub fn new(db: Database, outbox: Outbox) -> (Self, AuditWriter) {
        let store = Store { db, outbox };
        let (sender, receiver) = mpsc::unbounded_channel();
        let auditor = Self {
            store: store.clone(),
            queue: sender,
        };
        (auditor, AuditWriter::new(store, receiver))
    }

    /// Starts auditing a call of `method` (`package.Service/Method`) by `caller` with
    /// `credential`.
    pub fn start(&self, caller: &str, credential: &str, method: &str, trace_id: String) -> Call {
        Call {
            auditor: self.clone(),
            caller: caller.to_owned(),
            credential: credential.to_owned(),
            on_behalf_of: String::new(),
            method: method.to_owned(),
            trace_id,
            started: Instant::now(),
            request: Captured::default(),
        }
    }

    /// Queues `record` for the writer; once the writer has stopped, writes it alone.
    fn record(&self, record: Record) {
        if let Err(mpsc::error::SendError(record)) = self.queue.send(record) {
            let store = self.store.clone();
            tokio::spawn(async move { store.write_logged(&[record]).await });
        }
    }

    /// Records newest first, before the record `before`, optionally of one caller.
    pub async fn list(
        &self,
        caller: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.store.list(caller, before, limit).await
    }
}

impl Call {
    /// The request body, its first bytes kept.
    pub fn tap_request(&self, body: Body) -> Body {
        Body::new(Tap::new(body, self.request.clone(), None))
    }

    /// The answer: its first bytes and trailers kept, the record made when it ends.
    pub fn tap_response(mut self, response: http::Response<Body>) -> http::Response<Body> {
        // A trailers-only answer (an error before any message) has its status up front.
        let early = grpc_status(response.headers());
        // The service names the person a delegate acted for; the gateway only knows the
        // delegate.
        self.on_behalf_of = response
            .headers()
            .get(ON_BEHALF_OF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        response.map(|body| {
            let captured = Captured::default();
            let answer = captured.clone();
            Body::new(Tap::new(
                body,
                captured,
                Some(Box::new(move |trailers: Option<&HeaderMap>| {
                    let status = trailers.and_then(grpc_status).or(early);
                    let response = answer.lock().map(|r| r.clone()).unwrap_or_default();
                    // An answer dropped before its trailers was cut off: the caller went away.
                    self.finish(status.unwrap_or(tonic::Code::Cancelled as i32), &response);
                })),
            ))
        })
    }

    fn finish(self, status: i32, response: &[u8]) {
        let request = self.request.lock().map(|r| r.clone()).unwrap_or_default();
        let resource_id =
            resource::resource_id(&self.method, &request, response).unwrap_or_default();
        let record = Record {
            id: uuid::Uuid::now_v7().to_string(),
            at: now_micros(),
            caller: self.caller,
            credential: self.credential,
            on_behalf_of: self.on_behalf_of,
            method: self.method,
            resource_id,
            outcome: code_name(status).to_owned(),
            trace_id: self.trace_id,
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        self.auditor.record(record);
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// The name of the gRPC status code numbered `code`, e.g. `INVALID_ARGUMENT`.
pub fn code_name(code: i32) -> &'static str {
    xingfu_platform::grpc::code_name(tonic::Code::from_i32(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_code_names() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(9), "FAILED_PRECONDITION");
    }
}
