//! The journal: postings appended to the hash chain, closed periods, and the reads that
//! verify and report on it.

use sqlx::{AnyConnection, Row};

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

/// Appends a journal transaction of `lines` booked on `booked_on` (YYYY-MM-DD) to the
/// chain. Postings take turns on the chain's head row, so the chain has one order.
#[allow(clippy::too_many_arguments)]
pub async fn post(
    conn: &mut AnyConnection,
    transaction_id: &str,
    kind: Kind,
    reference_id: &str,
    booked_on: &str,
    lines: &[Line],
    now: i64,
) -> Result<(), Refused> {
    if !crate::domain::ledger::balanced(lines) {
        return Err(Refused::Unbalanced);
    }
    let period = booked_on.get(..7).unwrap_or(booked_on).to_owned();
    if is_closed(conn, &period).await? {
        return Err(Refused::PeriodClosed(period));
    }
    sqlx::query("UPDATE ledger_head SET last_seq = last_seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    let head = sqlx::query("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let mut seq: i64 = head.try_get("last_seq")?;
    let mut hash: String = head.try_get("last_hash")?;
    sqlx::query(
        "INSERT INTO journal_transactions (id, kind, reference_id, period, booked_on, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(transaction_id)
    .bind(kind.as_str())
    .bind(reference_id)
    .bind(&period)
    .bind(booked_on)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for line in lines {
        seq += 1;
        let entry = Entry {
            seq,
            transaction_id: transaction_id.to_owned(),
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
        .bind(transaction_id)
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
    Ok(())
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

/// Closes `period`; returns when it was closed (the first time, if it was already).
pub async fn close(conn: &mut AnyConnection, period: &str, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO closed_periods (period, closed_at) VALUES ($1, $2) ON CONFLICT (period) DO NOTHING")
        .bind(period)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar("SELECT closed_at FROM closed_periods WHERE period = $1")
        .bind(period)
        .fetch_one(conn)
        .await
}

/// A stored entry with the hashes it was stored with.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The entry.
    pub entry: Entry,
    /// The previous hash it recorded.
    pub prev_hash: String,
    /// Its hash as stored.
    pub hash: String,
}

/// Entries after `after_seq`, in chain order, at most `limit`.
pub async fn entries(
    conn: &mut AnyConnection,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, transaction_id, account, amount_fen, period, recorded_at, prev_hash, hash \
         FROM journal_entries WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredEntry {
                entry: Entry {
                    seq: row.try_get("seq")?,
                    transaction_id: row.try_get("transaction_id")?,
                    account: row.try_get("account")?,
                    amount_fen: row.try_get("amount_fen")?,
                    period: row.try_get("period")?,
                    recorded_at: row.try_get("recorded_at")?,
                },
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
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
