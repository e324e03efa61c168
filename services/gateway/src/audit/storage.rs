//! Where audit records are kept: the gateway's `audit_records` table, each record with
//! its `CallAudited` event in the same transaction, and the one writer that puts them
//! there. Records are written by the [`AuditWriter`], everything queued so far in one
//! transaction: a transaction per call cost as much as the call it audited (creates through
//! the gateway ran at 60 % of direct; see docs/benchmarks.md). At shutdown the writer
//! writes what is queued and stops taking more; a call that ends after that is written on
//! its own.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use xingfu_platform::db::{Database, Filtered, value_rows};
use xingfu_platform::events::Outbox;
use xingfu_proto::gateway as pb;

use super::Record;

/// The most records written in one transaction.
const BATCH: usize = 256;

/// How long the writer waits after a record for the ones that follow.
const GATHER: std::time::Duration = std::time::Duration::from_millis(10);

/// Writes queued audit records, many to a transaction, until shutdown.
pub struct AuditWriter {
    store: Store,
    queue: mpsc::UnboundedReceiver<Record>,
}

/// The gateway's audit table and outbox.
#[derive(Clone)]
pub(super) struct Store {
    pub(super) db: Database,
    pub(super) outbox: Outbox,
}

impl AuditWriter {
    pub(super) fn new(store: Store, queue: mpsc::UnboundedReceiver<Record>) -> Self {
        Self { store, queue }
    }

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
    /// Records newest first, before the record `before`, optionally of one caller.
    pub(super) async fn list(
        &self,
        caller: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Record>, sqlx::Error> {
        use sqlx::Row as _;
        let mut conn = self.db.pool().acquire().await?;
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
    pub(super) async fn write_logged(&self, records: &[Record]) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Auditor;
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
        let db = Database::open(&env.settings, crate::NAME).await.unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, writer) = Auditor::new(db.clone(), Outbox::new(crate::NAME));
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
        let db = Database::open(&env.settings, crate::NAME).await.unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, _writer) = Auditor::new(db.clone(), Outbox::new(crate::NAME));
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
        let db = Database::open(&env.settings, crate::NAME).await.unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let (auditor, writer) = Auditor::new(db.clone(), Outbox::new(crate::NAME));
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
}
