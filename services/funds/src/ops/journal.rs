//! The journal's periods and balances: closing a past month, a fund's balance as of a
//! moment.

use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::time::now_micros;

use super::Ledger;
use crate::domain::Date;
use crate::domain::ledger::fund_account;
use crate::storage::ledger;

impl Ledger {
    /// A fund's balance over what was recorded up to `at` (microseconds).
    pub async fn balance_at(&self, fund_id: &RecordId, at: i64) -> Result<i64, Error> {
        self.fund(fund_id).await?;
        let mut conn = self.db.pool().acquire().await?;
        Ok(ledger::balance_at(&mut conn, &fund_account(fund_id), at).await?)
    }

    /// Closes a month before the current one; closing it again changes nothing.
    pub async fn close_period(&self, period: &str) -> Result<i64, Error> {
        if period >= Date::today().month_key().as_str() {
            return Err(Error::FailedPrecondition {
                kind: "PERIOD_OPEN",
                subject: format!("periods/{period}"),
                message: format!("{period} is not over yet; only past months can be closed"),
            });
        }
        let mut tx = self.db.begin().await?;
        let (closed, by_this_call) = ledger::close(&mut tx, period, now_micros()).await?;
        if by_this_call {
            // Closed by this call (not before): a fact for the other tools.
            let event = xingfu_proto::funds::PeriodClosed {
                period: period.to_owned(),
            };
            self.outbox.enqueue(&mut tx, period, &event).await?;
        }
        self.outbox.commit(tx).await?;
        Ok(closed)
    }
}
