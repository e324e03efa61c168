//! The journal: postings appended to the hash chain, closed periods, and the reads that
//! verify and report on it.

use sqlx::{Any, AnyConnection, Row, Transaction};
use xingfu_platform::checked::RecordId;
use xingfu_platform::db::{Backend, Database};

use crate::domain::ledger::{Entry, Kind, Line, chain_hash};

/// Why a posting was refused.
#[derive(Debug)]
pub enum Refused {
    /// The lines do not balance.
    Unbalanced,
    /// The period is closed.
    PeriodClosed(String),
    /// The database failed.
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Refused {
    fn from(err: sqlx::Error) -> Self {
        Refused::Database(err)
    }
}

/// Takes the chain's head row for the rest of the transaction: postings and period closes
/// take turns here, so the chain has one order and a close cannot slip past a posting.
async fn lock_head(conn: &mut AnyConnection) -> Result<(i64, String), sqlx::Error> {
    sqlx::query("UPDATE ledger_head SET last_seq = last_seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    head(conn).await
}

/// Appends a journal transaction of `lines` booked on `booked_on` (YYYY-MM-DD) to the
/// chain. Its entries are stamped after the head is taken, never earlier than the entry
/// before, so a balance asked "as of" a moment never changes afterwards.
pub async fn post(
    conn: &mut AnyConnection,
    transaction_id: &RecordId,
    kind: Kind,
    reference_id: &RecordId,
    booked_on: &str,
    lines: &[Line],
) -> Result<i64, Refused> {
    if !crate::domain::ledger::balanced(lines) {
        return Err(Refused::Unbalanced);
    }
    let period = booked_on.get(..7).unwrap_or(booked_on).to_owned();
    let (mut seq, mut hash) = lock_head(conn).await?;
    if is_closed(conn, &period).await? {
        return Err(Refused::PeriodClosed(period));
    }
    let last_recorded: Option<i64> =
        sqlx::query_scalar("SELECT recorded_at FROM journal_entries WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?;
    let now = xingfu_platform::time::now_micros().max(last_recorded.unwrap_or(0));
    sqlx::query(
        "INSERT INTO journal_transactions (id, kind, reference_id, period, booked_on, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(transaction_id.as_str())
    .bind(kind.as_str())
    .bind(reference_id.as_str())
    .bind(&period)
    .bind(booked_on)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for line in lines {
        seq += 1;
        let entry = Entry {
            seq,
            transaction_id: transaction_id.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            reference_id: reference_id.as_str().to_owned(),
            booked_on: booked_on.to_owned(),
            account: line.account.clone(),
            amount_fen: line.amount_fen,
            period: period.clone(),
            recorded_at: now,
        };
        let next = chain_hash(&hash, &entry);
        sqlx::query(
            "INSERT INTO journal_entries (seq, transaction_id, account, amount_fen, period, recorded_at, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(transaction_id.as_str())
        .bind(&line.account)
        .bind(line.amount_fen)
        .bind(&period)
        .bind(now)
        .bind(&hash)
        .bind(&next)
        .execute(&mut *conn)
        .await?;
        hash = next;
    }
    sqlx::query("UPDATE ledger_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(conn)
        .await?;
    Ok(now)
}

/// Whether `period` (YYYY-MM) is closed.
pub async fn is_closed(conn: &mut AnyConnection, period: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT closed_at FROM closed_periods WHERE period = $1")
            .bind(period)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Closes `period` (under the head, so no posting into it can be half-way); returns
/// when it was closed (the first time, if it was already) and whether this call closed it.
pub async fn close(
    conn: &mut AnyConnection,
    period: &str,
    now: i64,
) -> Result<(i64, bool), sqlx::Error> {
    lock_head(conn).await?;
    let inserted = sqlx::query("INSERT INTO closed_periods (period, closed_at) VALUES ($1, $2) ON CONFLICT (period) DO NOTHING")
        .bind(period)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let closed_at = sqlx::query_scalar("SELECT closed_at FROM closed_periods WHERE period = $1")
        .bind(period)
        .fetch_one(conn)
        .await?;
    Ok((closed_at, inserted == 1))
}

/// A read-only transaction that sees one snapshot of the whole ledger until it ends.
pub async fn snapshot(db: &Database) -> Result<Transaction<'static, Any>, sqlx::Error> {
    match db.backend() {
        Backend::Postgres => {
            db.pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
        }
        // A read transaction on SQLite (WAL) sees one snapshot until it ends.
        Backend::Sqlite => db.pool().begin().await,
    }
}

/// A stored entry with the hashes it was stored with; `header_missing` when its
/// transaction row is gone.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The entry, with its transaction's header.
    pub entry: Entry,
    /// The previous hash it recorded.
    pub prev_hash: String,
    /// Its hash as stored.
    pub hash: String,
    /// Its transaction's row is missing.
    pub header_missing: bool,
}

/// Entries after `after_seq` up to `until_seq`, in chain order, at most `limit`, each with
/// its transaction's header.
pub async fn entries(
    conn: &mut AnyConnection,
    after_seq: i64,
    until_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.seq, e.transaction_id, e.account, e.amount_fen, e.period, e.recorded_at, e.prev_hash, e.hash, \
         t.id AS header, t.kind, t.reference_id, t.booked_on, t.period AS header_period \
         FROM journal_entries e LEFT JOIN journal_transactions t ON t.id = e.transaction_id \
         WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq LIMIT $3",
    )
    .bind(after_seq)
    .bind(until_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let header: Option<String> = row.try_get("header")?;
            let header_period: Option<String> = row.try_get("header_period")?;
            let period: String = row.try_get("period")?;
            Ok(StoredEntry {
                entry: Entry {
                    seq: row.try_get("seq")?,
                    transaction_id: row.try_get("transaction_id")?,
                    kind: row
                        .try_get::<Option<String>, _>("kind")?
                        .unwrap_or_default(),
                    reference_id: row
                        .try_get::<Option<String>, _>("reference_id")?
                        .unwrap_or_default(),
                    booked_on: row
                        .try_get::<Option<String>, _>("booked_on")?
                        .unwrap_or_default(),
                    account: row.try_get("account")?,
                    amount_fen: row.try_get("amount_fen")?,
                    period: period.clone(),
                    recorded_at: row.try_get("recorded_at")?,
                },
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
                header_missing: header.is_none()
                    || header_period.as_deref() != Some(period.as_str()),
            })
        })
        .collect()
}

/// The chain's head: last sequence number and hash.
pub async fn head(conn: &mut AnyConnection) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok((row.try_get("last_seq")?, row.try_get("last_hash")?))
}

/// Donations, refunds and paid grants whose journal transaction is missing or moves a
/// different amount on the fund's account: one line each.
pub async fn unbooked(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    let mut found = Vec::new();
    for (what, sql) in [
        (
            "donation",
            "SELECT d.id FROM donations d WHERE NOT EXISTS (SELECT 1 FROM journal_transactions t \
             JOIN journal_entries e ON e.transaction_id = t.id AND e.account = 'fund:' || d.fund_id \
             WHERE t.kind = 'DONATION' AND t.reference_id = d.id AND e.amount_fen = d.amount_fen)",
        ),
        (
            "refund",
            "SELECT d.id FROM donations d WHERE d.refunded = 1 AND NOT EXISTS (SELECT 1 FROM journal_transactions t \
             JOIN journal_entries e ON e.transaction_id = t.id AND e.account = 'fund:' || d.fund_id \
             WHERE t.kind = 'REFUND' AND t.reference_id = d.id AND e.amount_fen = -d.amount_fen)",
        ),
        (
            "grant payment",
            "SELECT g.id FROM grants g WHERE g.status = 'DISBURSED' AND NOT EXISTS (SELECT 1 FROM journal_transactions t \
             JOIN journal_entries e ON e.transaction_id = t.id AND e.account = 'fund:' || g.fund_id \
             WHERE t.kind = 'DISBURSEMENT' AND t.reference_id = g.id AND e.amount_fen = -g.amount_fen)",
        ),
    ] {
        let ids: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
        found.extend(
            ids.into_iter()
                .map(|id| format!("the {what} {id} has no matching journal transaction")),
        );
    }
    Ok(found)
}

/// An account's balance over the entries recorded up to `at` (microseconds).
pub async fn balance_at(
    conn: &mut AnyConnection,
    account: &str,
    at: i64,
) -> Result<i64, sqlx::Error> {
    // SUM of BIGINT is NUMERIC on PostgreSQL; the cast keeps it readable through `Any`.
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM journal_entries WHERE account = $1 AND recorded_at <= $2",
    )
    .bind(account)
    .bind(at)
    .fetch_one(conn)
    .await
}
