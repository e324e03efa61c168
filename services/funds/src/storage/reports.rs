//! What reports read: the fund-side entries of the journal, with their transaction's kind.

use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::RecordId;

/// A fund-side journal line.
#[derive(Debug, Clone)]
pub struct FundLine {
    /// The period, YYYY-MM.
    pub period: String,
    /// DONATION, REFUND or DISBURSEMENT.
    pub kind: String,
    /// The donation or grant.
    pub reference_id: RecordId,
    /// The fund (from its account).
    pub fund_id: RecordId,
    /// Signed fen on the fund's account.
    pub amount_fen: i64,
}

/// Fund-side lines with periods from `from` to `to` (inclusive, YYYY-MM).
pub async fn fund_lines(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<FundLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.period, t.kind, t.reference_id, e.account, e.amount_fen \
         FROM journal_entries e JOIN journal_transactions t ON t.id = e.transaction_id \
         WHERE e.account LIKE 'fund:%' AND t.period >= $1 AND t.period <= $2 ORDER BY e.seq",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let account: String = row.try_get("account")?;
            Ok(FundLine {
                period: row.try_get("period")?,
                kind: row.try_get("kind")?,
                reference_id: RecordId::from_stored(row.try_get("reference_id")?),
                fund_id: RecordId::from_stored(account.trim_start_matches("fund:").to_owned()),
                amount_fen: row.try_get("amount_fen")?,
            })
        })
        .collect()
}
