//! Grants (资助): requested, approved (never by the requester; twice above the
//! dual-approval amount), then paid from a fund that can never go below zero.

use sqlx::{Any, Transaction};
use xingfu_platform::Error;
use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::db::Keyed;
use xingfu_platform::principal::normalise;
use xingfu_platform::time::now_micros;
use xingfu_proto::funds as pb;

use super::events::grant_approved;
use super::{Ledger, fund_not_found, insufficient, post};
use crate::domain::ledger::{BENEFICIARIES, Kind, fund_account, transfer};
use crate::domain::{ActorId, Date, Grant, GrantFilter, GrantStatus, NewGrant};
use crate::storage::funds::Movement;
use crate::storage::grants;
use crate::storage::{funds, projects};

impl Ledger {
    /// Requests a grant; a retry returns the first.
    pub async fn request_grant(&self, new: NewGrant) -> Result<Grant, Error> {
        let mut tx = self.db.begin().await?;
        // A retry is answered first, whatever has changed since (a project cancelled, …).
        if let Some((grant, asked)) = grants::by_request(&mut tx, &new.request_id).await? {
            tx.rollback().await?;
            return if asked == new.fingerprint() {
                Ok(grant)
            } else {
                Err(reused_grant_key(&new.request_id))
            };
        }
        let fund = funds::get(&mut tx, &new.fund_id)
            .await?
            .ok_or_else(|| fund_not_found(&new.fund_id))?;
        if !fund.purpose.allows(new.kind) {
            return Err(Error::FailedPrecondition {
                kind: "RESTRICTED_FUND",
                subject: format!("funds/{}", fund.id),
                message: format!(
                    "fund {} is restricted to {} and cannot pay a {} grant",
                    fund.id,
                    fund.purpose.as_str(),
                    new.kind.as_str()
                ),
            });
        }
        if let Some(project_id) = &new.project_id {
            check_project(&mut tx, project_id).await?;
        }
        let required = if new.amount_fen > self.dual_approval_fen {
            2
        } else {
            1
        };
        let id = RecordId::generate();
        match grants::insert(&mut tx, &id, &new, required, now_micros()).await? {
            Keyed::New(grant) => {
                let event = pb::GrantRequested::from(&grant);
                self.outbox
                    .enqueue(&mut tx, grant.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(grant)
            }
            Keyed::Existing(grant, asked) if asked == new.fingerprint() => {
                tx.rollback().await?;
                Ok(grant)
            }
            Keyed::Existing(..) => Err(reused_grant_key(&new.request_id)),
        }
    }

    /// Reads grant `id`.
    pub async fn grant(&self, id: &RecordId) -> Result<Grant, Error> {
        let mut conn = self.db.pool().acquire().await?;
        grants::get(&mut conn, id)
            .await?
            .ok_or_else(|| grant_not_found(id))
    }

    /// Grants newest first matching `filter`, after `after`.
    pub async fn grants(
        &self,
        filter: &GrantFilter<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Grant>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(grants::list(&mut conn, filter, after, limit).await?)
    }

    /// `approver` approves a REQUESTED grant; it is APPROVED once it has the approvals it
    /// needs.
    pub async fn approve_grant(&self, id: &RecordId, approver: &ActorId) -> Result<Grant, Error> {
        let (mut tx, grant) = self
            .change_grant(id, |g| {
                if g.status != GrantStatus::Requested {
                    return Err(grant_state(g, "only REQUESTED grants can be approved"));
                }
                // Ids compare normalised: `ALICE` is the requester `alice`.
                if normalise(g.requested_by.as_str()) == approver.as_str() {
                    return Err(Error::FailedPrecondition {
                        kind: "SELF_APPROVAL",
                        subject: format!("grants/{}", g.id),
                        message: "a grant is not approved by the one who requested it".into(),
                    });
                }
                if g.approved_by
                    .iter()
                    .any(|a| normalise(a.as_str()) == approver.as_str())
                {
                    return Err(Error::AlreadyExists {
                        resource: "approval",
                        id: format!("{}/{approver}", g.id),
                        message: "this approver approved the grant already".into(),
                    });
                }
                let mut next = g.clone();
                next.approved_by.push(approver.clone());
                if i32::try_from(next.approved_by.len()).unwrap_or(i32::MAX) >= g.approvals_required
                {
                    next.status = GrantStatus::Approved;
                }
                Ok(next)
            })
            .await?;
        grants::approve(&mut tx, id, approver, now_micros()).await?;
        let event = grant_approved(&grant, approver);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.grant(id).await
    }

    /// Rejects a REQUESTED grant, or cancels a REQUESTED or APPROVED one.
    pub async fn end_grant(
        &self,
        id: &RecordId,
        status: GrantStatus,
        reason: &str,
    ) -> Result<Grant, Error> {
        let (mut tx, grant) = self
            .change_grant(id, |g| {
                let allowed = match status {
                    GrantStatus::Rejected => g.status == GrantStatus::Requested,
                    _ => matches!(g.status, GrantStatus::Requested | GrantStatus::Approved),
                };
                if !allowed {
                    return Err(grant_state(
                        g,
                        &format!("it cannot become {}", status.as_str()),
                    ));
                }
                let mut next = g.clone();
                next.status = status;
                next.reason = Some(reason.to_owned());
                Ok(next)
            })
            .await?;
        let event = pb::GrantRejected::from(&grant);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.grant(id).await
    }

    /// Pays an APPROVED grant from its fund, if the fund holds the money (and, for a
    /// project grant, the project is not cancelled). Paying a paid grant returns it.
    pub async fn disburse_grant(&self, id: &RecordId) -> Result<Grant, Error> {
        let current = self.grant(id).await?;
        if current.status == GrantStatus::Disbursed {
            return Ok(current);
        }
        let now = now_micros();
        let changed = self
            .change_grant(id, |g| {
                if g.status != GrantStatus::Approved {
                    return Err(grant_state(g, "only APPROVED grants can be paid"));
                }
                let mut next = g.clone();
                next.status = GrantStatus::Disbursed;
                next.disbursed_at = Some(now);
                Ok(next)
            })
            .await;
        let (mut tx, grant) = match changed {
            Ok(changed) => changed,
            // A concurrent call paid it first: a retry gets the paid grant.
            Err(err) => {
                let now_stored = self.grant(id).await?;
                return if now_stored.status == GrantStatus::Disbursed {
                    Ok(now_stored)
                } else {
                    Err(err)
                };
            }
        };
        if let Some(project_id) = &grant.project_id {
            check_project(&mut tx, project_id).await?;
        }
        let movement = Movement {
            balance: -grant.amount_fen,
            raised: 0,
            disbursed: grant.amount_fen,
        };
        if !funds::apply(&mut tx, &grant.fund_id, movement).await? {
            return Err(insufficient(&grant.fund_id, grant.amount_fen));
        }
        let lines = transfer(
            &fund_account(&grant.fund_id),
            BENEFICIARIES,
            grant.amount_fen,
        );
        post(
            &mut tx,
            Kind::Disbursement,
            id,
            &Date::today().to_string(),
            &lines,
        )
        .await?;
        let event = pb::GrantDisbursed::from(&grant);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        tracing::debug!(grant_id = %id, amount_fen = grant.amount_fen, "grant disbursed");
        self.grant(id).await
    }

    async fn change_grant<F>(
        &self,
        id: &RecordId,
        change: F,
    ) -> Result<(Transaction<'static, Any>, Grant), Error>
    where
        F: Fn(&Grant) -> Result<Grant, Error>,
    {
        let mut tx = self.db.begin().await?;
        for _ in 0..5 {
            let stored = grants::get(&mut tx, id)
                .await?
                .ok_or_else(|| grant_not_found(id))?;
            let changed = change(&stored)?;
            if grants::save(&mut tx, &changed).await? {
                return Ok((tx, changed));
            }
        }
        Err(Error::Aborted(format!("grant {id} keeps changing; retry")))
    }
}

/// A project grant needs a project the funds service knows and that is not cancelled.
async fn check_project(
    tx: &mut Transaction<'static, Any>,
    project_id: &RecordId,
) -> Result<(), Error> {
    match projects::status(tx, project_id).await?.as_deref() {
        None => Err(Error::FailedPrecondition {
            kind: "PROJECT_UNKNOWN",
            subject: format!("projects/{project_id}"),
            message: format!("project {project_id} is not known to the funds service (yet)"),
        }),
        Some("CANCELLED") => Err(Error::FailedPrecondition {
            kind: "PROJECT_CANCELLED",
            subject: format!("projects/{project_id}"),
            message: format!("project {project_id} was cancelled; it cannot be funded"),
        }),
        Some(_) => Ok(()),
    }
}

fn reused_grant_key(key: &RequestId) -> Error {
    Error::AlreadyExists {
        resource: "request_id",
        id: key.to_string(),
        message: "was already used for a different grant".into(),
    }
}

fn grant_not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "grant",
        id: id.to_string(),
    }
}

fn grant_state(grant: &Grant, wanted: &str) -> Error {
    Error::FailedPrecondition {
        kind: "GRANT_STATE",
        subject: format!("grants/{}", grant.id),
        message: format!("grant {} is {}; {wanted}", grant.id, grant.status.as_str()),
    }
}
