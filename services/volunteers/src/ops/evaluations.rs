//! Two-place evaluation: recording each side's rating, reading results and history.

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::principal::Role;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, require_volunteer_seen};
use crate::domain::evaluations::{Evaluation, EvaluationResult, NewEvaluation, Side};
use crate::domain::register::Volunteer;
use crate::storage::evaluations::{self as store, Recorded};
use crate::storage::{COUNTERS, Keyed};

impl Volunteers {
    /// Records one side's rating for a period; a retry returns the first, another rating
    /// of the same side and period is ALREADY_EXISTS. `new.evaluator` is the actor. No
    /// one rates themself; the caller needs `evaluator` over the side's organisation:
    /// the volunteer's work organisation (WORK), or one linked with their home
    /// community (HOME).
    pub async fn record_evaluation(
        &self,
        caller: &Caller,
        new: NewEvaluation,
    ) -> Result<Evaluation, Error> {
        if caller.is_volunteer(new.volunteer_id.as_str()) {
            return Err(Error::denied(
                "SELF_EVALUATION",
                "the volunteer rated is the caller: no one evaluates themself",
            ));
        }
        let mut tx = self.db.begin().await?;
        let rated = require_volunteer_seen(&mut tx, caller, &new.volunteer_id).await?;
        require_side(&mut tx, caller, &rated.volunteer, new.side).await?;
        match store::insert(&mut tx, &new, now_micros()).await? {
            Recorded::Keyed(Keyed::New(evaluation)) => {
                let event = pb::EvaluationRecorded::from(&evaluation);
                self.outbox
                    .enqueue(&mut tx, evaluation.volunteer_id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "evaluations", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(evaluation)
            }
            Recorded::Keyed(Keyed::Existing(evaluation, fingerprint))
                if fingerprint == new.fingerprint() =>
            {
                tx.rollback().await?;
                Ok(evaluation)
            }
            Recorded::Keyed(Keyed::Existing(..)) => Err(Error::reused_key(
                "evaluation request",
                new.request_id.as_str(),
                "evaluation",
            )),
            Recorded::SideRated => Err(Error::AlreadyExists {
                resource: "evaluation",
                id: format!("{}/{}/{}", new.volunteer_id, new.period, new.side.as_str()),
                message: "this side has rated the volunteer for this period".into(),
            }),
        }
    }

    /// A volunteer's result for one period, if the caller sees the volunteer.
    pub async fn evaluation_result(
        &self,
        caller: &Caller,
        volunteer_id: &RecordId,
        period: &str,
    ) -> Result<EvaluationResult, Error> {
        let mut conn = self.db.pool().acquire().await?;
        require_seen(&mut conn, caller, volunteer_id).await?;
        let ratings = store::of_period(&mut conn, volunteer_id, period).await?;
        Ok(EvaluationResult::of(volunteer_id, period, ratings))
    }

    /// Up to `periods` of a volunteer's results, newest first, of the periods before
    /// `before`.
    pub async fn evaluation_history(
        &self,
        caller: &Caller,
        volunteer_id: &RecordId,
        before: Option<&str>,
        periods: usize,
    ) -> Result<Vec<EvaluationResult>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        require_seen(&mut conn, caller, volunteer_id).await?;
        let limit = i64::try_from(periods).unwrap_or(i64::MAX);
        let ratings = store::of_volunteer(&mut conn, volunteer_id, before, limit).await?;
        let mut order: Vec<String> = Vec::new();
        for rating in &ratings {
            if order.last() != Some(&rating.period) {
                order.push(rating.period.clone());
            }
        }
        // Twice the periods' rows were fetched, so the first `periods` periods are whole.
        order.truncate(periods);
        Ok(order
            .iter()
            .map(|period| EvaluationResult::of(volunteer_id, period, ratings.clone()))
            .collect())
    }
}

/// NOT_FOUND unless the volunteer is registered and the caller sees them.
async fn require_seen(
    conn: &mut AnyConnection,
    caller: &Caller,
    volunteer_id: &RecordId,
) -> Result<(), Error> {
    match boundary::volunteer(conn, caller, volunteer_id).await? {
        Some(_) => Ok(()),
        None => Err(Error::not_found("volunteer", volunteer_id.as_str())),
    }
}

/// PERMISSION_DENIED unless the caller holds `evaluator` over the side's organisation:
/// the work organisation, or any organisation linked with the home community.
async fn require_side(
    conn: &mut AnyConnection,
    caller: &Caller,
    volunteer: &Volunteer,
    side: Side,
) -> Result<(), Error> {
    let (organisations, what) = match side {
        Side::Work => (
            vec![boundary::lineage(conn, volunteer.work_organisation_id.as_str()).await?],
            "a WORK-side evaluation",
        ),
        Side::Home => (
            boundary::community_owners(conn, &volunteer.home_community_id).await?,
            "a HOME-side evaluation",
        ),
    };
    // A programme-wide grant covers a home no organisation is linked with yet.
    if caller.may(Role::Evaluator, &[])
        || organisations
            .iter()
            .any(|lineage| caller.may(Role::Evaluator, lineage))
    {
        return Ok(());
    }
    Err(Error::denied(
        "ROLE_REQUIRED",
        format!(
            "{what} needs the role evaluator over {}, which {:?} does not hold",
            match side {
                Side::Work => format!("organisation {:?}", volunteer.work_organisation_id.as_str()),
                Side::Home => format!(
                    "an organisation linked with community {:?}",
                    volunteer.home_community_id.as_str()
                ),
            },
            caller.id
        ),
    ))
}
