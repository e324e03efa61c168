//! The ledger's operations: each write is one transaction holding the change, its journal
//! postings, the funds' kept balances and its outbox event (built from the domain in
//! `events`); the reads the API answers from; and admission, which asks `access`.

mod admission;
mod donations;
mod events;
mod funds;
mod grants;
mod journal;
mod reports;
mod verify;

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;

use crate::domain::ledger::{Kind, Line};
use crate::storage::ledger::{self, Refused};

pub use reports::{Report, ReportFilter, ReportRow, to_csv};
pub use verify::Verification;

/// The charity ledger: its database, its outbox, the key for personal data, and the amount
/// above which a grant needs two approvers.
#[derive(Clone)]
pub struct Ledger {
    db: Database,
    outbox: Outbox,
    pii: Protector,
    dual_approval_fen: i64,
}

impl Ledger {
    /// The ledger on `db`.
    pub fn new(db: Database, outbox: Outbox, pii: Protector, dual_approval_fen: i64) -> Self {
        Self {
            db,
            outbox,
            pii,
            dual_approval_fen,
        }
    }

    /// The database, for reads.
    pub fn db(&self) -> &Database {
        &self.db
    }
}

/// Appends a journal transaction, mapping refusals to the caller's errors; returns when
/// its entries were recorded.
pub(crate) async fn post(
    conn: &mut AnyConnection,
    kind: Kind,
    reference_id: &RecordId,
    booked_on: &str,
    lines: &[Line],
) -> Result<i64, Error> {
    let transaction_id = RecordId::generate();
    match ledger::post(conn, &transaction_id, kind, reference_id, booked_on, lines).await {
        Ok(recorded_at) => Ok(recorded_at),
        Err(Refused::PeriodClosed(period)) => Err(Error::FailedPrecondition {
            kind: "PERIOD_CLOSED",
            subject: format!("periods/{period}"),
            message: format!("the period {period} is closed; nothing can be booked into it"),
        }),
        Err(Refused::Unbalanced) => Err(Error::Unexpected(anyhow::anyhow!(
            "unbalanced posting for {reference_id}"
        ))),
        Err(Refused::Database(err)) => Err(err.into()),
    }
}

/// NOT_FOUND for a fund.
pub(crate) fn fund_not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "fund",
        id: id.to_string(),
    }
}

/// FAILED_PRECONDITION: the fund cannot pay this.
pub(crate) fn insufficient(fund_id: &RecordId, amount: i64) -> Error {
    Error::FailedPrecondition {
        kind: "INSUFFICIENT_FUNDS",
        subject: format!("funds/{fund_id}"),
        message: format!("fund {fund_id} does not hold {amount} fen; a fund never goes below zero"),
    }
}
