//! Workers and their income. Personal data is sealed, digested and masked here, before
//! anything is stored, exactly as the volunteers service does.

use xingfu_platform::Error;
use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::pii::{birth_year, mask_id_number, mask_name, mask_phone};
use xingfu_platform::time::now_micros;
use xingfu_proto::workshops as pb;

use super::{Workshops, events, workshop};
use crate::access::Scope;
use crate::domain::workers::{Income, IncomeSource, NewIncome, NewWorker, Uplift, Worker};
use crate::domain::workshops::WorkshopStatus;
use crate::storage::workers::{self as store, Enrolled, SealedWorker};
use crate::storage::{COUNTERS, Keyed, workshops as workshop_store};

impl Workshops {
    /// Enrols a worker at a workshop that is not closed; a retry returns the first.
    pub async fn enrol_worker(&self, new: NewWorker) -> Result<Worker, Error> {
        let mut tx = self.db.begin().await?;
        let sealed = self.seal(&new);
        // A retry answers as the first call did, whatever has happened since.
        if let Some((worker, hash)) = store::by_request(&mut tx, &new.request_id).await? {
            tx.rollback().await?;
            return if hash == sealed.request_hash {
                Ok(worker)
            } else {
                Err(Error::reused_key(
                    "worker request",
                    new.request_id.as_str(),
                    "enrolment",
                ))
            };
        }
        let at = workshop(&mut tx, &new.workshop_id).await?;
        if at.status == WorkshopStatus::Closed {
            return Err(Error::precondition(
                "WORKSHOP_CLOSED",
                format!("workshops/{}", at.id),
                "a closed workshop enrols nobody",
            ));
        }
        match store::insert(&mut tx, &sealed).await? {
            Enrolled::New(worker) => {
                let event = pb::WorkerEnrolled::from(&worker);
                self.outbox
                    .enqueue(&mut tx, worker.id.as_str(), &event)
                    .await?;
                workshop_store::count_worker(&mut tx, &worker.workshop_id).await?;
                COUNTERS.bump(&mut tx, "beneficiaries", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(worker)
            }
            Enrolled::KeyUsed(worker, hash) if hash == sealed.request_hash => {
                tx.rollback().await?;
                Ok(worker)
            }
            Enrolled::KeyUsed(..) => Err(Error::reused_key(
                "worker request",
                new.request_id.as_str(),
                "enrolment",
            )),
            Enrolled::IdNumberTaken => Err(Error::AlreadyExists {
                resource: "worker",
                id: mask_id_number(&new.id_number),
                message: "a worker with this ID number is enrolled at the workshop".into(),
            }),
        }
    }

    fn seal(&self, new: &NewWorker) -> SealedWorker {
        let baseline = new.baseline_fen.to_string();
        let joined = new.joined_on.to_string();
        SealedWorker {
            id: RecordId::generate(),
            request_id: new.request_id.clone(),
            request_hash: self.pii.digest([
                "worker",
                new.workshop_id.as_str(),
                new.name.as_str(),
                new.phone.as_str(),
                new.id_number.as_str(),
                new.background.as_str(),
                baseline.as_str(),
                joined.as_str(),
            ]),
            workshop_id: new.workshop_id.clone(),
            name_sealed: self.pii.seal(&new.name),
            name_masked: mask_name(&new.name),
            phone_sealed: self.pii.seal(&new.phone),
            phone_masked: mask_phone(&new.phone),
            id_number_sealed: self.pii.seal(&new.id_number),
            id_number_digest: self.pii.digest(["id_number", new.id_number.as_str()]),
            id_number_masked: mask_id_number(&new.id_number),
            birth_year: i64::from(birth_year(&new.id_number).unwrap_or(0)),
            background: new.background.clone(),
            baseline_fen: new.baseline_fen,
            joined_on: new.joined_on,
            created_at: now_micros(),
        }
    }

    /// The worker `id`.
    pub async fn worker(&self, id: &RecordId) -> Result<Worker, Error> {
        let mut conn = self.db.pool().acquire().await?;
        worker(&mut conn, id).await
    }

    /// A workshop's workers in id order after `after`.
    pub async fn workers(
        &self,
        workshop_id: &RecordId,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Worker>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        workshop(&mut conn, workshop_id).await?;
        Ok(store::list(&mut conn, workshop_id, after, limit).await?)
    }

    /// Records a worker's income for a month from joining on; a retry changes nothing.
    pub async fn record_income(&self, new: NewIncome) -> Result<Income, Error> {
        let mut tx = self.db.begin().await?;
        let earner = worker(&mut tx, &new.worker_id).await?;
        let income = self.add_income(&mut tx, &earner, &new).await?;
        match income {
            Keyed::New(income) => {
                self.outbox.commit(tx).await?;
                Ok(income)
            }
            Keyed::Existing(income, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(income)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "income request",
                new.request_id.as_str(),
                "income record",
            )),
        }
    }

    /// Stores income for `earner` with its event and counter, in the caller's
    /// transaction: recording income and delivering a take both end here.
    pub(super) async fn add_income(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        earner: &Worker,
        new: &NewIncome,
    ) -> Result<Keyed<Income>, Error> {
        if new.month < earner.joined_on.month_key() {
            return Err(Error::precondition(
                "BEFORE_JOINING",
                format!("workers/{}", earner.id),
                format!(
                    "the worker joined in {}; income before that is the baseline",
                    earner.joined_on.month_key()
                ),
            ));
        }
        let id = RecordId::generate();
        let income = store::insert_income(tx, &id, &earner.workshop_id, new, now_micros()).await?;
        if let Keyed::New(income) = &income {
            let event = events::income_recorded(income, &earner.workshop_id);
            self.outbox
                .enqueue(tx, income.worker_id.as_str(), &event)
                .await?;
            COUNTERS
                .bump(tx, "income", "total", income.amount_fen)
                .await?;
        }
        Ok(income)
    }

    /// A worker's income per month of `year` against their income before joining.
    pub async fn worker_income(&self, id: &RecordId, year: i32) -> Result<(Worker, Uplift), Error> {
        let mut conn = self.db.pool().acquire().await?;
        let earner = worker(&mut conn, id).await?;
        let months = store::months(&mut conn, id, year).await?;
        let uplift = Uplift {
            months,
            baseline_fen: earner.baseline_fen,
        };
        Ok((earner, uplift))
    }

    /// A workshop's workers enrolled, and the uplift of each who earned in `year`.
    pub async fn workshop_income(
        &self,
        workshop_id: &RecordId,
        year: i32,
    ) -> Result<(i64, Vec<Uplift>), Error> {
        let mut conn = self.db.pool().acquire().await?;
        let at = workshop(&mut conn, workshop_id).await?;
        let uplifts = store::uplifts(&mut conn, Some(workshop_id), Some(year), &Scope::ALL).await?;
        Ok((at.workers, uplifts))
    }
}

/// The worker `id`, NOT_FOUND when there is none.
pub(super) async fn worker(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Worker, Error> {
    store::get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("worker", id.as_str()))
}

/// Piecework income for a delivered take.
pub(super) fn piecework(
    take_id: &RecordId,
    worker_id: &RecordId,
    month: String,
    pay_fen: i64,
) -> Result<NewIncome, Error> {
    Ok(NewIncome {
        // The take names the record: delivering again cannot pay twice. A record id is 36
        // visible characters, so the key always passes its rule.
        request_id: RequestId::parse(&format!("take:{take_id}"), "request_id")?,
        worker_id: worker_id.clone(),
        month,
        amount_fen: pay_fen,
        source: IncomeSource::Piecework,
    })
}
