//! Creating and reading funds.

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::db::Keyed;
use xingfu_platform::time::now_micros;
use xingfu_platform::{Error, validate};
use xingfu_proto::funds as pb;

use super::{Ledger, fund_not_found};
use crate::domain::{Fund, NewFund};
use crate::storage::funds;

impl Ledger {
    /// Creates a fund, or returns the one its request id created before.
    pub async fn create_fund(&self, request_id: &RequestId, new: &NewFund) -> Result<Fund, Error> {
        let mut tx = self.db.begin().await?;
        let id = RecordId::generate();
        let fingerprint = validate::fingerprint([
            new.name.as_str(),
            new.purpose.as_str(),
            new.organisation_id.as_ref().map_or("", DirectoryId::as_str),
        ]);
        match funds::insert(&mut tx, &id, request_id, &fingerprint, new, now_micros()).await? {
            Keyed::New(fund) => {
                let event = pb::FundCreated::from(&fund);
                self.outbox
                    .enqueue(&mut tx, fund.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                tracing::debug!(fund_id = %fund.id, "fund created");
                Ok(fund)
            }
            Keyed::Existing(fund, asked) if asked == fingerprint => {
                tx.rollback().await?;
                Ok(fund)
            }
            Keyed::Existing(..) => Err(Error::AlreadyExists {
                resource: "request_id",
                id: request_id.to_string(),
                message: "was already used for a different fund".into(),
            }),
        }
    }

    /// Reads fund `id`.
    pub async fn fund(&self, id: &RecordId) -> Result<Fund, Error> {
        let mut conn = self.db.pool().acquire().await?;
        funds::get(&mut conn, id)
            .await?
            .ok_or_else(|| fund_not_found(id))
    }

    /// Funds newest first after `after`, owned by one of `owners` when given.
    pub async fn funds(
        &self,
        owners: Option<&[String]>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Fund>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(funds::list(&mut conn, owners, after, limit).await?)
    }
}
