//! Donations and their receipt numbers.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{Line, RecordId, RequestId};
use xingfu_platform::db::{Filtered, Keyed};

use super::corrupt;
use crate::domain::{
    Date, Donation, DonationChannel, DonationFilter, DonorKind, NewDonation, Reason,
};

const COLUMNS: &str = "id, receipt_number, fund_id, donor_kind, donor_display, amount_fen, channel, \
    received_on, refunded, refund_reason, created_at";

/// The next receipt number of `year`: "2026-000001", … Taken inside the donation's
/// transaction, so a rolled-back donation gives its number back and there are no gaps.
pub async fn next_receipt(conn: &mut AnyConnection, year: i32) -> Result<String, sqlx::Error> {
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO receipt_counters (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last",
    )
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(format!("{year:04}-{last:06}"))
}

/// Finds the donation recorded under `key`, with its fingerprint.
pub async fn by_key(
    conn: &mut AnyConnection,
    key: &RequestId,
) -> Result<Option<(Donation, String)>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM donations WHERE idempotency_key = $1"
    )))
    .bind(key.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|row| Ok((donation_of(&row)?, row.try_get("request_hash")?)))
        .transpose()
}

/// Records a donation (the caller checked its key is new, under the fund's lock).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewDonation,
    fingerprint: &str,
    receipt: &str,
    donor_sealed: Option<String>,
    now: i64,
) -> Result<Keyed<Donation>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO donations (id, idempotency_key, request_hash, receipt_number, fund_id, donor_kind, \
         donor_sealed, donor_display, amount_fen, channel, received_on, refunded, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.key.as_str())
    .bind(fingerprint)
    .bind(receipt)
    .bind(new.fund_id.as_str())
    .bind(new.donor_kind.as_str())
    .bind(donor_sealed)
    .bind(new.donor_display())
    .bind(new.amount_fen)
    .bind(new.channel.as_str())
    .bind(new.booked_on().to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Keyed::New(
            get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?,
        ));
    }
    let (donation, hash) = by_key(conn, &new.key)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(Keyed::Existing(donation, hash))
}

/// The donation `id`.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Donation>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM donations WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| donation_of(&row))
    .transpose()
}

/// A page of the donations `filter` admits, newest first, after the id `after`.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &DonationFilter<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Donation>, sqlx::Error> {
    // Booking dates are ISO text: a month runs from its 01 to at most its 31.
    let rows = Filtered::new(format!("SELECT {COLUMNS} FROM donations"))
        .and("fund_id =", filter.fund_id.map(RecordId::as_str))
        .and(
            "received_on >=",
            filter.from_period.map(|m| format!("{m}-01")),
        )
        .and(
            "received_on <=",
            filter.to_period.map(|m| format!("{m}-31")),
        )
        .and("donor_kind =", filter.donor_kind.map(DonorKind::as_str))
        .and("channel =", filter.channel.map(DonationChannel::as_str))
        .and("id <", after)
        .and_in(
            "(SELECT f.organisation_id FROM funds f WHERE f.id = donations.fund_id)",
            filter.owners,
        )
        .fetch(&mut *conn, "id DESC", limit)
        .await?;
    rows.iter().map(donation_of).collect()
}

/// Marks a donation refunded unless it was already; false then.
pub async fn mark_refunded(
    conn: &mut AnyConnection,
    id: &RecordId,
    reason: &Reason,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE donations SET refunded = 1, refund_reason = $1 WHERE id = $2 AND refunded = 0",
    )
    .bind(reason.as_str())
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Donations not refunded, for the transparency report.
pub async fn count_kept(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM donations WHERE refunded = 0")
        .fetch_one(conn)
        .await
}

fn donation_of(row: &AnyRow) -> Result<Donation, sqlx::Error> {
    let kind: String = row.try_get("donor_kind")?;
    let channel: String = row.try_get("channel")?;
    let received: String = row.try_get("received_on")?;
    let refunded: i16 = row.try_get("refunded")?;
    let refund_reason: Option<String> = row.try_get("refund_reason")?;
    Ok(Donation {
        id: RecordId::from_stored(row.try_get("id")?),
        receipt_number: row.try_get("receipt_number")?,
        fund_id: RecordId::from_stored(row.try_get("fund_id")?),
        donor_kind: DonorKind::parse(&kind)
            .ok_or_else(|| corrupt("donations", "donor_kind", &kind))?,
        donor_display: row.try_get("donor_display")?,
        amount_fen: row.try_get("amount_fen")?,
        channel: DonationChannel::parse(&channel)
            .ok_or_else(|| corrupt("donations", "channel", &channel))?,
        received_on: Date::parse(&received)
            .ok_or_else(|| corrupt("donations", "received_on", &received))?,
        refunded: refunded != 0,
        refund_reason: refund_reason.map(Line::from_stored),
        created_at: row.try_get("created_at")?,
    })
}
