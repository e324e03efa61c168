//! Donations (捐赠) in, refunds out: each a balanced journal transaction.

use xingfu_platform::Error;
use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::db::Keyed;
use xingfu_platform::time::now_micros;
use xingfu_proto::funds as pb;

use super::{Ledger, fund_not_found, insufficient, post};
use crate::domain::ledger::{DONORS, Kind, fund_account, transfer};
use crate::domain::{Date, Donation, DonationFilter, DonorKind, NewDonation, Reason};
use crate::storage::donations;
use crate::storage::funds::{self, Movement};

impl Ledger {
    /// Records a donation with its receipt number; a retry with the same key and body
    /// returns the first, the same key with another body is ALREADY_EXISTS.
    pub async fn donate(&self, new: NewDonation) -> Result<Donation, Error> {
        let parts = new.fingerprint_parts();
        let fingerprint = self.pii.digest(parts.iter().map(String::as_str));
        let mut tx = self.db.begin().await?;
        if let Some((donation, asked)) = donations::by_key(&mut tx, &new.key).await? {
            tx.rollback().await?;
            return if asked == fingerprint {
                Ok(donation)
            } else {
                Err(reused(&new.key))
            };
        }
        let now = now_micros();
        let movement = Movement {
            balance: new.amount_fen,
            raised: new.amount_fen,
            disbursed: 0,
        };
        if !funds::apply(&mut tx, &new.fund_id, movement).await? {
            return Err(fund_not_found(&new.fund_id));
        }
        let receipt = donations::next_receipt(&mut tx, Date::today().year).await?;
        let sealed = match new.donor_kind {
            DonorKind::Person => Some(self.pii.seal(&new.donor_name)),
            DonorKind::Company | DonorKind::Anonymous => None,
        };
        let id = RecordId::generate();
        let donation =
            match donations::insert(&mut tx, &id, &new, &fingerprint, &receipt, sealed, now).await?
            {
                Keyed::New(donation) => donation,
                // A concurrent call with the same key won: answer as a retry.
                Keyed::Existing(donation, asked) => {
                    tx.rollback().await?;
                    return if asked == fingerprint {
                        Ok(donation)
                    } else {
                        Err(reused(&new.key))
                    };
                }
            };
        let lines = transfer(DONORS, &fund_account(&new.fund_id), new.amount_fen);
        post(
            &mut tx,
            Kind::Donation,
            &donation.id,
            &new.booked_on().to_string(),
            &lines,
        )
        .await?;
        let event = pb::DonationReceived::from(&donation);
        self.outbox
            .enqueue(&mut tx, donation.fund_id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        tracing::debug!(donation_id = %donation.id, receipt = %donation.receipt_number, "donation received");
        Ok(donation)
    }

    /// Reads donation `id`.
    pub async fn donation(&self, id: &RecordId) -> Result<Donation, Error> {
        let mut conn = self.db.pool().acquire().await?;
        donations::get(&mut conn, id)
            .await?
            .ok_or_else(|| donation_not_found(id))
    }

    /// A page of the donations `filter` admits, newest first, after the id `after`.
    pub async fn donations(
        &self,
        filter: &DonationFilter<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Donation>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(donations::list(&mut conn, filter, after, limit).await?)
    }

    /// Returns a donation: reversing entries booked today, never an edit.
    pub async fn refund(&self, id: &RecordId, reason: &Reason) -> Result<Donation, Error> {
        let mut tx = self.db.begin().await?;
        let donation = donations::get(&mut tx, id)
            .await?
            .ok_or_else(|| donation_not_found(id))?;
        if !donations::mark_refunded(&mut tx, id, reason).await? {
            return Err(Error::FailedPrecondition {
                kind: "REFUNDED",
                subject: format!("donations/{id}"),
                message: format!("donation {id} was refunded already"),
            });
        }
        let movement = Movement {
            balance: -donation.amount_fen,
            raised: -donation.amount_fen,
            disbursed: 0,
        };
        if !funds::apply(&mut tx, &donation.fund_id, movement).await? {
            return Err(insufficient(&donation.fund_id, donation.amount_fen));
        }
        let lines = transfer(
            &fund_account(&donation.fund_id),
            DONORS,
            donation.amount_fen,
        );
        post(
            &mut tx,
            Kind::Refund,
            id,
            &Date::today().to_string(),
            &lines,
        )
        .await?;
        let event = pb::RefundIssued::from(&donation);
        self.outbox
            .enqueue(&mut tx, donation.fund_id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        self.donation(id).await
    }
}

fn donation_not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "donation",
        id: id.to_string(),
    }
}

fn reused(key: &RequestId) -> Error {
    Error::AlreadyExists {
        resource: "idempotency_key",
        id: key.to_string(),
        message: "was already used for a different donation".into(),
    }
}
