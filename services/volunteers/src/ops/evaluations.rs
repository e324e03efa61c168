//! Two-place evaluation: recording each side's rating, reading results and history.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, not_found, require_volunteer, reused_key};
use crate::domain::evaluations::{Evaluation, EvaluationResult, NewEvaluation};
use crate::storage::evaluations::{self as store, Recorded};
use crate::storage::{COUNTERS, register};

impl Volunteers {
    /// Records one side's rating for a period; a retry returns the first, another rating
    /// of the same side and period is ALREADY_EXISTS.
    pub async fn record_evaluation(&self, new: NewEvaluation) -> Result<Evaluation, Error> {
        let mut tx = self.db.begin().await?;
        require_volunteer(&mut tx, &new.volunteer_id).await?;
        match store::insert(&mut tx, &new, now_micros()).await? {
            Recorded::New(evaluation) => {
                let event = pb::EvaluationRecorded {
                    volunteer_id: evaluation.volunteer_id.clone(),
                    period: evaluation.period.clone(),
                    side: evaluation.side.as_str().to_owned(),
                    score: i32::try_from(evaluation.score).unwrap_or(0),
                };
                self.outbox
                    .enqueue(&mut tx, &evaluation.volunteer_id, &event)
                    .await?;
                COUNTERS.bump(&mut tx, "evaluations", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(evaluation)
            }
            Recorded::KeyUsed(evaluation, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(evaluation)
            }
            Recorded::KeyUsed(..) => Err(reused_key(
                "evaluation request",
                &new.request_id,
                "evaluation",
            )),
            Recorded::SideRated => Err(Error::AlreadyExists {
                resource: "evaluation",
                id: format!("{}/{}/{}", new.volunteer_id, new.period, new.side.as_str()),
                message: "this side has rated the volunteer for this period".into(),
            }),
        }
    }

    /// A volunteer's result for one period.
    pub async fn evaluation_result(
        &self,
        volunteer_id: &str,
        period: &str,
    ) -> Result<EvaluationResult, Error> {
        let mut conn = self.db.pool().acquire().await?;
        if register::get(&mut conn, volunteer_id).await?.is_none() {
            return Err(not_found("volunteer", volunteer_id));
        }
        let ratings = store::of_period(&mut conn, volunteer_id, period).await?;
        Ok(EvaluationResult::of(volunteer_id, period, ratings))
    }

    /// Up to `periods` of a volunteer's results, newest first, of the periods before
    /// `before`.
    pub async fn evaluation_history(
        &self,
        volunteer_id: &str,
        before: Option<&str>,
        periods: usize,
    ) -> Result<Vec<EvaluationResult>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        if register::get(&mut conn, volunteer_id).await?.is_none() {
            return Err(not_found("volunteer", volunteer_id));
        }
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
