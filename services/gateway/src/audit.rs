//! The audit trail: every write call through the gateway is recorded — caller, method,
//! the resource it touched, outcome, time, trace id — in the gateway's own database and,
//! in the same transaction, as a `CallAudited` event. The record is made when the call
//! ends (its outcome is the status in the answer's trailers). Only ids are kept: the
//! resource id is the `id` of the answer, else the first `…_id` field of the request,
//! read with the descriptor set; never a secret, never other fields.

use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage as _, Value,
};
use tonic::body::Body;
use xingfu_platform::db::{Database, Filtered};
use xingfu_platform::events::Outbox;
use xingfu_platform::time::now_micros;
use xingfu_proto::gateway as pb;

/// The first bytes of a request or answer kept to read its ids: enough for any message
/// that names a resource.
const CAPTURE: usize = 64 * 1024;

/// Where audit records go.
#[derive(Clone)]
pub struct Auditor {
    db: Database,
    outbox: Outbox,
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

/// What is known of a write call while it runs.
pub struct Call {
    auditor: Auditor,
    caller: String,
    method: String,
    trace_id: String,
    started: Instant,
    request: Arc<Mutex<Vec<u8>>>,
}

impl Auditor {
    /// Records into `db` through `outbox`.
    pub fn new(db: Database, outbox: Outbox) -> Self {
        Self { db, outbox }
    }

    /// Starts auditing a call of `method` (`package.Service/Method`) by `caller`.
    pub fn start(&self, caller: &str, method: &str, trace_id: String) -> Call {
        Call {
            auditor: self.clone(),
            caller: caller.to_owned(),
            method: method.to_owned(),
            trace_id,
            started: Instant::now(),
            request: Arc::default(),
        }
    }

    /// Stores a record and its event in one transaction.
    async fn store(&self, record: &Record) -> anyhow::Result<()> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO audit_records (id, at, caller, method, resource_id, outcome, trace_id, \
             duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.id)
        .bind(record.at)
        .bind(&record.caller)
        .bind(&record.method)
        .bind(&record.resource_id)
        .bind(&record.outcome)
        .bind(&record.trace_id)
        .bind(record.duration_ms)
        .execute(&mut *tx)
        .await?;
        let event = pb::CallAudited {
            audit_id: record.id.clone(),
            caller: record.caller.clone(),
            method: record.method.clone(),
            resource_id: record.resource_id.clone(),
            outcome: record.outcome.clone(),
            trace_id: record.trace_id.clone(),
            time_micros: record.at,
        };
        self.outbox.enqueue(&mut tx, &record.id, &event).await?;
        self.outbox.commit(tx).await?;
        Ok(())
    }

    /// Records newest first, before the record `before`, optionally of one caller.
    pub async fn list(
        &self,
        caller: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Record>, sqlx::Error> {
        use sqlx::Row as _;
        let mut conn = self.db.pool().acquire().await?;
        Filtered::new(
            "SELECT id, at, caller, method, resource_id, outcome, trace_id, duration_ms \
             FROM audit_records",
        )
        .and("caller =", caller)
        .and("id <", before)
        .fetch(&mut conn, "id DESC", limit)
        .await?
        .iter()
        .map(|row| {
            Ok(Record {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                caller: row.try_get("caller")?,
                method: row.try_get("method")?,
                resource_id: row.try_get("resource_id")?,
                outcome: row.try_get("outcome")?,
                trace_id: row.try_get("trace_id")?,
                duration_ms: row.try_get("duration_ms")?,
            })
        })
        .collect()
    }
}

impl Call {
    /// The request body, its first bytes kept.
    pub fn tap_request(&self, body: Body) -> Body {
        Body::new(Tap::new(body, self.request.clone(), None))
    }

    /// The answer: its first bytes and trailers kept, the record made when it ends.
    pub fn tap_response(self, response: http::Response<Body>) -> http::Response<Body> {
        // A trailers-only answer (an error before any message) has its status up front.
        let early = grpc_status(response.headers());
        let call = Arc::new(Mutex::new(Some((self, early))));
        response.map(|body| {
            let captured = Arc::new(Mutex::new(Vec::new()));
            Body::new(Tap::new(
                body,
                captured.clone(),
                Some(Finish { call, captured }),
            ))
        })
    }

    fn finish(self, status: Option<i32>, response: &[u8]) {
        let outcome = code_name(status.unwrap_or(tonic::Code::Unknown as i32));
        let request = self.request.lock().map(|r| r.clone()).unwrap_or_default();
        let resource_id = resource_id(&self.method, &request, response).unwrap_or_default();
        let record = Record {
            id: uuid::Uuid::now_v7().to_string(),
            at: now_micros(),
            caller: self.caller,
            method: self.method,
            resource_id,
            outcome: outcome.to_owned(),
            trace_id: self.trace_id,
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        let auditor = self.auditor;
        tokio::spawn(async move {
            if let Err(err) = auditor.store(&record).await {
                tracing::error!(error = %err, method = %record.method, "could not record an audited call");
            }
        });
    }
}

/// A call waiting for its end, with the status its answer's headers gave, if any.
type Pending = Arc<Mutex<Option<(Call, Option<i32>)>>>;

/// What ends an audited answer.
struct Finish {
    call: Pending,
    captured: Arc<Mutex<Vec<u8>>>,
}

impl Finish {
    fn run(&self, trailers: Option<&HeaderMap>) {
        let taken = self.call.lock().ok().and_then(|mut c| c.take());
        if let Some((call, early)) = taken {
            let status = trailers.and_then(grpc_status).or(early);
            let response = self.captured.lock().map(|r| r.clone()).unwrap_or_default();
            // An answer dropped before its trailers was cut off: the caller went away.
            call.finish(status.or(Some(tonic::Code::Cancelled as i32)), &response);
        }
    }
}

/// A body that passes every frame through, keeping the first [`CAPTURE`] bytes of data
/// and, for an answer, recording the call when the trailers (or the end) pass.
struct Tap {
    inner: Body,
    captured: Arc<Mutex<Vec<u8>>>,
    finish: Option<Finish>,
}

impl Tap {
    fn new(inner: Body, captured: Arc<Mutex<Vec<u8>>>, finish: Option<Finish>) -> Self {
        Self {
            inner,
            captured,
            finish,
        }
    }
}

impl http_body::Body for Tap {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Ok(mut captured) = self.captured.lock()
                {
                    let room = CAPTURE.saturating_sub(captured.len());
                    captured.extend_from_slice(&data[..data.len().min(room)]);
                }
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(finish) = self.finish.take()
                {
                    finish.run(Some(trailers));
                }
            }
            Poll::Ready(None) => {
                if let Some(finish) = self.finish.take() {
                    finish.run(None);
                }
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        if let Some(finish) = self.finish.take() {
            finish.run(None);
        }
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// The name of a gRPC status code, e.g. `INVALID_ARGUMENT`.
pub fn code_name(code: i32) -> &'static str {
    match tonic::Code::from_i32(code) {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET).unwrap_or_default()
    })
}

/// The resource a call touched: the answer's `id`, else the request's first `…_id`.
fn resource_id(method: &str, request: &[u8], response: &[u8]) -> Option<String> {
    let (service, name) = method.split_once('/')?;
    let method = pool()
        .get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == name)?;
    let from_answer = first_message(method.output(), response)
        .and_then(|m| string_field(&m, |field| field == "id"));
    from_answer.or_else(|| {
        first_message(method.input(), request).and_then(|m| {
            string_field(&m, |field| {
                field == "id" || (field.ends_with("_id") && field != "request_id")
            })
        })
    })
}

/// The first message of a gRPC body (uncompressed, whole within the captured bytes).
fn first_message(descriptor: MessageDescriptor, bytes: &[u8]) -> Option<DynamicMessage> {
    let (&compressed, rest) = bytes.split_first()?;
    let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let message = rest.get(4..4 + length)?;
    (compressed == 0)
        .then(|| DynamicMessage::decode(descriptor, message).ok())
        .flatten()
}

fn string_field(message: &DynamicMessage, wanted: impl Fn(&str) -> bool) -> Option<String> {
    message.descriptor().fields().find_map(|field| {
        if !wanted(field.name()) {
            return None;
        }
        match message.get_field(&field).as_ref() {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(message: &impl prost::Message) -> Vec<u8> {
        let body = message.encode_to_vec();
        let mut out = vec![0];
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn the_resource_is_the_answers_id_else_the_requests() {
        use xingfu_proto::{funds, projects};
        let created = framed(&projects::Project {
            id: "p-1".into(),
            ..Default::default()
        });
        let request = framed(&projects::CreateProjectRequest {
            request_id: "key".into(),
            ..Default::default()
        });
        let method = "xingfu.projects.v1.ProjectsService/CreateProject";
        assert_eq!(
            resource_id(method, &request, &created).as_deref(),
            Some("p-1")
        );
        let donate = framed(&funds::DonateRequest {
            idempotency_key: "k".into(),
            fund_id: "fund-1".into(),
            ..Default::default()
        });
        assert_eq!(
            resource_id("xingfu.funds.v1.FundsService/Donate", &donate, &[]).as_deref(),
            Some("fund-1"),
            "an error answer has no id: the request's names the resource"
        );
        assert_eq!(
            resource_id(method, &request, &[]),
            None,
            "request_id is not a resource"
        );
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(9), "FAILED_PRECONDITION");
    }
}
