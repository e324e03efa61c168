//! Service contracts (服务契约), and their expiry by date.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use xingfu_platform::Error;
use xingfu_platform::time::now_micros;

use super::projects::reused_key;
use super::{Library, events, not_found};
use crate::access::Access;
use crate::domain::contract::Filter;
use crate::domain::{Contract, ContractStatus, Date, NewContract, Reason, RecordId};
use crate::storage::{self, Keyed};

/// How often the expiry sweep looks for contracts past their end.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Library {
    /// Signs a contract; a retry returns the first.
    pub async fn sign_contract(&self, new: NewContract) -> Result<Contract, Error> {
        let mut tx = self.db.begin().await?;
        if let Some(project_id) = &new.project_id {
            let project = storage::projects::lock(&mut tx, project_id)
                .await?
                .ok_or_else(|| not_found(project_id))?;
            self.check(&project)?;
        }
        let id = RecordId::generate();
        match storage::contracts::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(mut contract) => {
                self.outbox
                    .enqueue(
                        &mut tx,
                        contract.id.as_str(),
                        &events::contract_signed(&contract, false),
                    )
                    .await?;
                self.outbox.commit(tx).await?;
                contract.status = contract.status_on(Date::today());
                Ok(contract)
            }
            Keyed::Existing(mut contract, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                contract.status = contract.status_on(Date::today());
                Ok(contract)
            }
            Keyed::Existing(..) => Err(reused_key("request_id", new.request_id.as_str())),
        }
    }

    /// Reads contract `id`, with its status as of today.
    pub async fn contract(&self, id: &RecordId) -> Result<Contract, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut contract = storage::contracts::get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: "contract",
                id: id.to_string(),
            })?;
        contract.status = contract.status_on(Date::today());
        Ok(contract)
    }

    /// Contracts newest first after `after` as `filter` narrows them on `today`, at most
    /// `limit`, each with its status on `today`: those `access` sees.
    pub async fn contracts(
        &self,
        access: &Access,
        filter: &Filter,
        today: Date,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Contract>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut contracts =
            storage::contracts::list(&mut conn, filter, access.scope(), today, after, limit)
                .await?;
        for contract in &mut contracts {
            contract.status = contract.status_on(today);
        }
        Ok(contracts)
    }

    /// Extends an ACTIVE or EXPIRED contract to `end_date` (today or later).
    pub async fn renew_contract(&self, id: &RecordId, end_date: Date) -> Result<Contract, Error> {
        let today = Date::today();
        let (mut tx, renewed) = self
            .change_contract(id, |stored| {
                if stored.status == ContractStatus::Terminated {
                    return Err(contract_state(
                        stored,
                        "a terminated contract cannot be renewed",
                    ));
                }
                if end_date <= stored.end_date || end_date < today {
                    return Err(Error::invalid(
                        "end_date",
                        format!(
                            "must be after the current end, {}, and not before today",
                            stored.end_date
                        ),
                    ));
                }
                let mut renewed = stored.clone();
                renewed.end_date = end_date;
                renewed.status = ContractStatus::Active;
                renewed.renewals += 1;
                Ok(renewed)
            })
            .await?;
        self.outbox
            .enqueue(
                &mut tx,
                id.as_str(),
                &events::contract_signed(&renewed, true),
            )
            .await?;
        self.outbox.commit(tx).await?;
        self.contract(id).await
    }

    /// Ends an ACTIVE contract early.
    pub async fn terminate_contract(
        &self,
        id: &RecordId,
        reason: Reason,
    ) -> Result<Contract, Error> {
        let today = Date::today();
        let (mut tx, _) = self
            .change_contract(id, |stored| {
                let current = stored.status_on(today);
                if current != ContractStatus::Active {
                    let shown = Contract {
                        status: current,
                        ..stored.clone()
                    };
                    return Err(contract_state(
                        &shown,
                        "only ACTIVE contracts can be terminated",
                    ));
                }
                let mut ended = stored.clone();
                ended.status = ContractStatus::Terminated;
                ended.termination_reason = Some(reason.clone());
                Ok(ended)
            })
            .await?;
        let event = events::contract_ended(id, ContractStatus::Terminated, reason.into_string());
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.contract(id).await
    }

    /// Reads contract `id`, applies `change` and saves it if nobody changed it meanwhile;
    /// after a concurrent change the rules judge the new state.
    async fn change_contract<F>(
        &self,
        id: &RecordId,
        change: F,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Any>, Contract), Error>
    where
        F: Fn(&Contract) -> Result<Contract, Error>,
    {
        let mut tx = self.db.begin().await?;
        for _ in 0..5 {
            let stored =
                storage::contracts::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| Error::NotFound {
                        resource: "contract",
                        id: id.to_string(),
                    })?;
            let changed = change(&stored)?;
            if storage::contracts::save(&mut tx, &changed, now_micros()).await? {
                return Ok((tx, changed));
            }
        }
        Err(Error::Aborted(format!(
            "contract {id} keeps changing; retry"
        )))
    }

    /// Records every ACTIVE contract past its last day as EXPIRED, with its event; returns
    /// how many. Readers already see such contracts as EXPIRED; this makes it a fact.
    pub async fn expire_contracts(&self, today: Date) -> Result<usize, Error> {
        let mut expired = 0;
        loop {
            let mut tx = self.db.begin().await?;
            let overdue = storage::contracts::overdue(&mut tx, today, 100).await?;
            if overdue.is_empty() {
                tx.rollback().await?;
                return Ok(expired);
            }
            for contract in &overdue {
                // Only if it is still ACTIVE and past its end: a renewal in between wins.
                if storage::contracts::expire(&mut tx, &contract.id, today, now_micros()).await? {
                    let reason = format!("ended on {}", contract.end_date);
                    let event =
                        events::contract_ended(&contract.id, ContractStatus::Expired, reason);
                    self.outbox
                        .enqueue(&mut tx, contract.id.as_str(), &event)
                        .await?;
                    expired += 1;
                }
            }
            self.outbox.commit(tx).await?;
        }
    }

    /// Runs [`Library::expire_contracts`] every minute until `shutdown`.
    pub async fn sweep_expired_contracts(self, shutdown: CancellationToken) {
        loop {
            match self.expire_contracts(Date::today()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(contracts = n, "service contracts expired"),
                Err(err) => tracing::warn!(error = %err, "expiring contracts failed; will retry"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
            }
        }
    }
}

fn contract_state(contract: &Contract, wanted: &str) -> Error {
    Error::FailedPrecondition {
        kind: "CONTRACT_STATE",
        subject: format!("contracts/{}", contract.id),
        message: format!(
            "contract {} is {}; {wanted}",
            contract.id,
            contract.status.as_str()
        ),
    }
}
