//! The audit trail: every write call through the gateway is recorded — caller, method,
//! the resource it touched, outcome, time, trace id — in the gateway's own database and,
//! in the same transaction, as a `CallAudited` event. The record is made when the call
//! ends (its outcome is the status in the answer's trailers). Only ids are kept: the
//! resource id is the `id` of the answer, else the first `…_id` field of the request,
//! read with the descriptor set; never a secret, never other fields.
//!
//! Records are written by one [`AuditWriter`], everything queued so far in one
//! transaction: a transaction per call cost as much as the call it audited (creates through
//! the gateway ran at 60 % of direct; see docs/benchmarks.md). The answer never waits for
//! its record, as before. At shutdown the writer writes what is queued and stops taking
//! more; a call that ends after that is written on its own.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage as _, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use xingfu_platform::acting::ON_BEHALF_OF_HEADER;
use xingfu_platform::db::{Database, Filtered, value_rows};
use xingfu_platform::events::Outbox;
use xingfu_platform::time::now_micros;
use xingfu_proto::gateway as pb;

/// The first bytes of a request or answer kept to read its ids: enough for any message
/// that names a resource.
const CAPTURE: usize = 64 * 1024;

/// The most records written in one transaction.
const BATCH: usize = 256;

/// The most characters of a resource id kept in a record.
const RESOURCE_ID_CHARS: usize = 256;

/// How long the writer waits after a record for the ones that follow.
const GATHER: std::time::Duration = std::time::Duration::from_millis(10);

/// Where audit records go: queued for the [`AuditWriter`], and read back from the store.
#[derive(Clone)]
pub struct Auditor {
    store: Store,
    queue: mpsc::UnboundedSender<Record>,
}

/// Writes queued audit records, many to a transaction, until shutdown.
pub struct AuditWriter {
    store: Store,
    queue: mpsc::UnboundedReceiver<Record>,
}

/// The gateway's audit table and outbox.
#[derive(Clone)]
struct Store {
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

/// What is known of a write call while it runs.
pub struct Call {
    auditor: Auditor,
    caller: String,
    credential: String,
    on_behalf_of: String,
    method: String,
    trace_id: String,
    started: Instant,
    request: Arc<Mutex<Vec<u8>>>,
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
        let writer = AuditWriter {
            store,
            queue: receiver,
        };
        (auditor, writer)
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
            request: Arc::default(),
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
        use sqlx::Row as _;
        let mut conn = self.store.db.pool().acquire().await?;
        Filtered::new(
            "SELECT id, at, caller, method, resource_id, outcome, trace_id, duration_ms, \
             credential, on_behalf_of FROM audit_records",
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
                credential: row.try_get("credential")?,
                on_behalf_of: row.try_get("on_behalf_of")?,
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

impl AuditWriter {
    /// Writes what is queued, in batches, until `shutdown`; then stops taking records and
    /// writes what is left.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => break,
                received = self.queue.recv_many(&mut batch, BATCH) => received,
            };
            if received == 0 {
                return;
            }
            // A moment's wait gathers the calls ending close together into the same
            // transaction (and the same relay pass): the records are late by that much,
            // the calls not at all.
            if batch.len() < BATCH {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(GATHER) => {}
                }
            }
            while batch.len() < BATCH {
                match self.queue.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
            self.store.write_retrying(&batch, &shutdown).await;
            batch.clear();
        }
        self.queue.close();
        while self.queue.recv_many(&mut batch, BATCH).await > 0 {
            self.store.write_logged(&batch).await;
            batch.clear();
        }
    }
}

impl Store {
    /// Writes `records` together, retrying with backoff while the database is away or
    /// busy (until `shutdown`); a batch the database refuses, or one still failing at
    /// shutdown, is written record by record, so a bad record costs only itself.
    async fn write_retrying(&self, records: &[Record], shutdown: &CancellationToken) {
        let mut failures = 0;
        loop {
            let err = match self.write(records).await {
                Ok(()) => return,
                Err(err) => err,
            };
            let transient = err
                .downcast_ref::<sqlx::Error>()
                .is_some_and(xingfu_platform::error::is_transient);
            if !transient || shutdown.is_cancelled() {
                tracing::warn!(error = %err, records = records.len(), "a batch of audit records failed; writing them one by one");
                for record in records {
                    self.write_logged(std::slice::from_ref(record)).await;
                }
                return;
            }
            failures += 1;
            tracing::warn!(error = %err, records = records.len(), "could not write audit records; will retry");
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(xingfu_platform::events::backoff(failures)) => {}
            }
        }
    }

    /// Writes `records`; a failure is logged with what was lost.
    async fn write_logged(&self, records: &[Record]) {
        if let Err(err) = self.write(records).await {
            tracing::error!(error = %err, records = records.len(), "could not record audited calls");
        }
    }

    /// Writes `records` and their events in one transaction. A record already stored (a
    /// retry after a commit whose answer was lost) is left as it is, with its event.
    async fn write(&self, records: &[Record]) -> anyhow::Result<()> {
        let mut tx = self.db.begin().await?;
        let sql = format!(
            "INSERT INTO audit_records (id, at, caller, method, resource_id, outcome, trace_id, \
             duration_ms, credential, on_behalf_of) VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
            value_rows(records.len(), 10)
        );
        let mut insert = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for record in records {
            insert = insert
                .bind(&record.id)
                .bind(record.at)
                .bind(&record.caller)
                .bind(&record.method)
                .bind(&record.resource_id)
                .bind(&record.outcome)
                .bind(&record.trace_id)
                .bind(record.duration_ms)
                .bind(&record.credential)
                .bind(&record.on_behalf_of);
        }
        let inserted: std::collections::HashSet<String> =
            insert.fetch_all(&mut *tx).await?.into_iter().collect();
        let records: Vec<&Record> = records
            .iter()
            .filter(|record| inserted.contains(&record.id))
            .collect();
        let events: Vec<pb::CallAudited> = records
            .iter()
            .map(|record| pb::CallAudited {
                audit_id: record.id.clone(),
                caller: record.caller.clone(),
                method: record.method.clone(),
                resource_id: record.resource_id.clone(),
                outcome: record.outcome.clone(),
                trace_id: record.trace_id.clone(),
                time_micros: record.at,
                credential: record.credential.clone(),
                on_behalf_of: record.on_behalf_of.clone(),
            })
            .collect();
        let about: Vec<(&str, &pb::CallAudited)> = records
            .iter()
            .zip(&events)
            .map(|(record, event)| (record.id.as_str(), event))
            .collect();
        self.outbox.enqueue_many(&mut tx, &about).await?;
        self.outbox.commit(tx).await?;
        Ok(())
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
        self.on_behalf_of = response
            .headers()
            .get(ON_BEHALF_OF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
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
        // A caller's own id field: no NUL (PostgreSQL refuses it in text) and bounded.
        let resource_id: String = resource_id(&self.method, &request, response)
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != '\0')
            .take(RESOURCE_ID_CHARS)
            .collect();
        let record = Record {
            id: uuid::Uuid::now_v7().to_string(),
            at: now_micros(),
            caller: self.caller,
            credential: self.credential,
            on_behalf_of: self.on_behalf_of,
            method: self.method,
            resource_id,
            outcome: outcome.to_owned(),
            trace_id: self.trace_id,
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        self.auditor.record(record);
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

/// The name of the gRPC status code numbered `code`, e.g. `INVALID_ARGUMENT`.
pub fn code_name(code: i32) -> &'static str {
    xingfu_platform::grpc::code_name(tonic::Code::from_i32(code))
}

/// The resource a call touched: the answer's `id`, else the request's first `…_id`.
fn resource_id(method: &str, request: &[u8], response: &[u8]) -> Option<String> {
    let (service, name) = method.split_once('/')?;
    let method = crate::descriptors::method(service, name)?;
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
    use xingfu_platform::ServiceName;
    use xingfu_testkit::TestEnv;

    fn record(i: usize) -> Record {
        Record {
            id: format!("audit-{i:04}"),
            at: i as i64,
            caller: "test".into(),
            credential: "key:test".into(),
            on_behalf_of: String::new(),
            method: "xingfu.projects.v1.ProjectsService/CreateProject".into(),
            resource_id: format!("p{i}"),
            outcome: "OK".into(),
            trace_id: String::new(),
            duration_ms: 1,
        }
    }

    /// A record the database refuses (PostgreSQL takes no NUL in text) costs only itself:
    /// the records around it are written, and the writer goes on.
    #[tokio::test]
    async fn a_refused_record_costs_only_itself() {
        let env = TestEnv::postgres();
        let db = Database::open(&env.settings, ServiceName::Gateway)
            .await
            .unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, writer) = Auditor::new(db.clone(), Outbox::new(ServiceName::Gateway));
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(writer.run(shutdown.clone()));
        for i in 0..21 {
            let mut record = record(i);
            if i == 10 {
                record.caller = "bad\0caller".into();
            }
            auditor.record(record);
        }
        let stored = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_records")
                .fetch_one(db.pool())
                .await
                .unwrap()
        };
        for _ in 0..200 {
            if stored().await >= 20 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(stored().await, 20, "all but the refused record");
        auditor.record(record(21));
        shutdown.cancel();
        running.await.unwrap();
        assert_eq!(stored().await, 21, "the writer went on");
        db.close().await;
        env.cleanup().await.unwrap();
    }

    /// Writing a record again (a retry after a commit whose answer was lost) leaves one
    /// record with one event.
    #[tokio::test]
    async fn a_record_written_twice_is_stored_once_with_one_event() {
        let env = TestEnv::embedded();
        let db = Database::open(&env.settings, ServiceName::Gateway)
            .await
            .unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, _writer) = Auditor::new(db.clone(), Outbox::new(ServiceName::Gateway));
        auditor.store.write(&[record(1)]).await.unwrap();
        auditor.store.write(&[record(1), record(2)]).await.unwrap();
        for (sql, expected) in [
            ("SELECT COUNT(*) FROM audit_records", 2),
            ("SELECT COUNT(*) FROM outbox", 2),
        ] {
            let count: i64 = sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap();
            assert_eq!(count, expected, "{sql}");
        }
        db.close().await;
    }

    /// More than a batch is queued when shutdown comes: the writer writes all of it, and
    /// a record made after the writer has stopped is written on its own.
    #[tokio::test]
    async fn what_is_queued_at_shutdown_is_written_and_later_records_too() {
        let env = TestEnv::embedded();
        let db = Database::open(&env.settings, ServiceName::Gateway)
            .await
            .unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, writer) = Auditor::new(db.clone(), Outbox::new(ServiceName::Gateway));
        for i in 0..BATCH + 44 {
            auditor.record(record(i));
        }
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        writer.run(shutdown).await;
        auditor.record(record(BATCH + 44));

        let count = |sql: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(db.pool())
                    .await
                    .unwrap()
            }
        };
        for _ in 0..100 {
            if count("SELECT COUNT(*) FROM audit_records").await > (BATCH + 44) as i64 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_records").await,
            (BATCH + 45) as i64
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM outbox").await,
            (BATCH + 45) as i64,
            "each record with its event"
        );
        let newest = auditor.list(None, None, 1).await.unwrap();
        assert_eq!(newest, [record(BATCH + 44)]);
        db.close().await;
    }

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
