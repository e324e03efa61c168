//! Workers, their income records and their income per month.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{Note, RecordId, RequestId};
use xingfu_platform::date::Date;
use xingfu_platform::db::Filtered;

use super::{Keyed, corrupt, keyed, named};
use crate::access::Scope;
use crate::domain::workers::{Income, IncomeSource, NewIncome, Uplift, Worker};

const WORKER: &str = "id, workshop_id, name_masked, phone_masked, id_number_masked, birth_year, \
                      background, baseline_fen, joined_on, created_at";

/// A worker as stored: personal data sealed, digested and masked.
#[derive(Debug, Clone)]
pub struct SealedWorker {
    /// Server-assigned id.
    pub id: RecordId,
    /// The idempotency key.
    pub request_id: RequestId,
    /// Keyed digest of the whole request.
    pub request_hash: String,
    /// The workshop.
    pub workshop_id: RecordId,
    /// Name, sealed.
    pub name_sealed: String,
    /// Name, masked.
    pub name_masked: String,
    /// Phone, sealed.
    pub phone_sealed: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// ID number, sealed.
    pub id_number_sealed: String,
    /// ID number, keyed digest.
    pub id_number_digest: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// Year of birth.
    pub birth_year: i64,
    /// What they did before.
    pub background: Note<100>,
    /// Monthly income before joining, fen.
    pub baseline_fen: i64,
    /// The day they joined.
    pub joined_on: Date,
    /// Enrolled, microseconds since the epoch.
    pub created_at: i64,
}

/// What enrolling came to.
#[derive(Debug)]
pub enum Enrolled {
    /// Enrolled now.
    New(Worker),
    /// The key was used before: that worker and what it was asked with.
    KeyUsed(Worker, String),
    /// The ID number is enrolled at the workshop already.
    IdNumberTaken,
}

/// Enrols `w` unless its key or its ID number at the workshop is taken.
pub async fn insert(conn: &mut AnyConnection, w: &SealedWorker) -> Result<Enrolled, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO workers (id, request_id, request_hash, workshop_id, name_sealed, \
         name_masked, phone_sealed, phone_masked, id_number_sealed, id_number_digest, \
         id_number_masked, birth_year, background, baseline_fen, joined_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT DO NOTHING",
    )
    .bind(w.id.as_str())
    .bind(w.request_id.as_str())
    .bind(&w.request_hash)
    .bind(w.workshop_id.as_str())
    .bind(&w.name_sealed)
    .bind(&w.name_masked)
    .bind(&w.phone_sealed)
    .bind(&w.phone_masked)
    .bind(&w.id_number_sealed)
    .bind(&w.id_number_digest)
    .bind(&w.id_number_masked)
    .bind(w.birth_year)
    .bind(w.background.as_str())
    .bind(w.baseline_fen)
    .bind(w.joined_on.to_string())
    .bind(w.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let by_key = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WORKER}, request_hash FROM workers WHERE request_id = $1"
    )))
    .bind(w.request_id.as_str())
    .fetch_optional(conn)
    .await?;
    match by_key {
        Some(row) if inserted == 1 => Ok(Enrolled::New(worker_of(&row)?)),
        Some(row) => Ok(Enrolled::KeyUsed(
            worker_of(&row)?,
            row.try_get("request_hash")?,
        )),
        None => Ok(Enrolled::IdNumberTaken),
    }
}

/// The worker enrolled under `request_id`, with what it was asked with.
pub async fn by_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<(Worker, String)>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WORKER}, request_hash FROM workers WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| Ok((worker_of(&row)?, row.try_get("request_hash")?)))
    .transpose()
}

/// The worker `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Worker>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {WORKER} FROM workers WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| worker_of(&row))
    .transpose()
}

/// A workshop's workers in id order after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    workshop_id: &RecordId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Worker>, sqlx::Error> {
    Filtered::new(format!("SELECT {WORKER} FROM workers"))
        .and("workshop_id =", Some(workshop_id.as_str()))
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(worker_of)
        .collect()
}

/// Stores an income record for `workshop_id`'s worker and adds it to the worker's
/// month, unless its request id is known.
pub async fn insert_income(
    conn: &mut AnyConnection,
    id: &RecordId,
    workshop_id: &RecordId,
    new: &NewIncome,
    now: i64,
) -> Result<Keyed<Income>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO income_records (id, request_id, request_hash, worker_id, workshop_id, \
         month, amount_fen, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.worker_id.as_str())
    .bind(workshop_id.as_str())
    .bind(&new.month)
    .bind(new.amount_fen)
    .bind(new.source.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        sqlx::query(
            "INSERT INTO worker_months (worker_id, month, workshop_id, income_fen) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (worker_id, month) \
             DO UPDATE SET income_fen = worker_months.income_fen + excluded.income_fen",
        )
        .bind(new.worker_id.as_str())
        .bind(&new.month)
        .bind(workshop_id.as_str())
        .bind(new.amount_fen)
        .execute(&mut *conn)
        .await?;
    }
    let row = sqlx::query(
        "SELECT id, worker_id, month, amount_fen, source, created_at, request_hash \
         FROM income_records WHERE request_id = $1",
    )
    .bind(new.request_id.as_str())
    .fetch_one(conn)
    .await?;
    let income = Income {
        id: RecordId::from_stored(row.try_get("id")?),
        worker_id: RecordId::from_stored(row.try_get("worker_id")?),
        month: row.try_get("month")?,
        amount_fen: row.try_get("amount_fen")?,
        source: named(&row, "income_records", "source", IncomeSource::parse)?,
        created_at: row.try_get("created_at")?,
    };
    keyed(inserted, &row, income)
}

/// A worker's income per month of `year`.
pub async fn months(
    conn: &mut AnyConnection,
    worker_id: &RecordId,
    year: i32,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT month, income_fen FROM worker_months WHERE worker_id = $1 \
         AND month >= $2 AND month <= $3 ORDER BY month",
    )
    .bind(worker_id.as_str())
    .bind(format!("{year:04}-01"))
    .bind(format!("{year:04}-12"))
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("month")?, row.try_get("income_fen")?)))
    .collect()
}

/// Each earning worker's months of `year` (all years when `None`), of one workshop or
/// all inside `scope`: the uplift of each, by worker.
pub async fn uplifts(
    conn: &mut AnyConnection,
    workshop_id: Option<&RecordId>,
    year: Option<i32>,
    scope: &Scope,
) -> Result<Vec<Uplift>, sqlx::Error> {
    let (from, to) = year.map_or(("0000-00".to_owned(), "9999-99".to_owned()), |y| {
        (format!("{y:04}-01"), format!("{y:04}-12"))
    });
    let query = Filtered::new(
        "SELECT m.worker_id, m.month, m.income_fen, w.baseline_fen FROM worker_months m \
         JOIN workers w ON w.id = m.worker_id",
    )
    .and("m.workshop_id =", workshop_id.map(RecordId::as_str))
    .and("m.month >=", Some(from))
    .and("m.month <=", Some(to));
    let rows = scope
        .narrow(query, "m")
        .fetch(conn, "m.worker_id, m.month", i64::MAX)
        .await?;
    let mut out: Vec<(String, Uplift)> = Vec::new();
    for row in &rows {
        let worker: String = row.try_get("worker_id")?;
        let month = (row.try_get("month")?, row.try_get("income_fen")?);
        match out.last_mut() {
            Some((id, uplift)) if *id == worker => uplift.months.push(month),
            _ => out.push((
                worker,
                Uplift {
                    months: vec![month],
                    baseline_fen: row.try_get("baseline_fen")?,
                },
            )),
        }
    }
    Ok(out.into_iter().map(|(_, uplift)| uplift).collect())
}

fn worker_of(row: &AnyRow) -> Result<Worker, sqlx::Error> {
    let joined_on: String = row.try_get("joined_on")?;
    Ok(Worker {
        id: RecordId::from_stored(row.try_get("id")?),
        workshop_id: RecordId::from_stored(row.try_get("workshop_id")?),
        name_masked: row.try_get("name_masked")?,
        phone_masked: row.try_get("phone_masked")?,
        id_number_masked: row.try_get("id_number_masked")?,
        birth_year: row.try_get("birth_year")?,
        background: Note::from_stored(row.try_get("background")?),
        baseline_fen: row.try_get("baseline_fen")?,
        joined_on: Date::parse(&joined_on)
            .ok_or_else(|| corrupt("workers", "joined_on", &joined_on))?,
        created_at: row.try_get("created_at")?,
    })
}
