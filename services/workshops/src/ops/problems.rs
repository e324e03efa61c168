//! Problems raised at workshops: assigned to a commissioner, escalated, resolved.

use xingfu_platform::Error;
use xingfu_platform::checked::{RecordId, Text};
use xingfu_platform::time::now_micros;
use xingfu_proto::workshops as pb;

use super::{Workshops, workshop};
use crate::access::Scope;
use crate::domain::people::Role;
use crate::domain::problems::{NewProblem, Problem, ProblemCategory, ProblemStatus};
use crate::storage::problems::{self as store, Change};
use crate::storage::{COUNTERS, Keyed, people};

impl Workshops {
    /// Raises a problem at a workshop; a retry returns the first.
    pub async fn raise_problem(&self, new: NewProblem) -> Result<Problem, Error> {
        let mut tx = self.db.begin().await?;
        workshop(&mut tx, &new.workshop_id).await?;
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(problem) => {
                let event = pb::ProblemRaised::from(&problem);
                self.outbox
                    .enqueue(&mut tx, problem.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "problems", "raised", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(problem)
            }
            Keyed::Existing(problem, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(problem)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "problem request",
                new.request_id.as_str(),
                "problem",
            )),
        }
    }

    /// The problem `id`.
    pub async fn problem(&self, id: &RecordId) -> Result<Problem, Error> {
        let mut conn = self.db.pool().acquire().await?;
        problem(&mut conn, id).await
    }

    /// Problems by workshop, status and category, in raising order after `after`.
    pub async fn problems(
        &self,
        workshop_id: Option<&RecordId>,
        status: Option<ProblemStatus>,
        category: Option<ProblemCategory>,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Problem>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let filters = (workshop_id, status, category);
        Ok(store::list(&mut conn, filters, scope, after, limit).await?)
    }

    /// Assigns a problem to a current commissioner; to the one it has, nothing.
    pub async fn assign_problem(
        &self,
        id: &RecordId,
        volunteer_id: &RecordId,
    ) -> Result<Problem, Error> {
        let mut tx = self.db.begin().await?;
        let current = problem(&mut tx, id).await?;
        if current.status == ProblemStatus::Assigned
            && current.assignee_id.as_ref() == Some(volunteer_id)
        {
            tx.rollback().await?;
            return Ok(current);
        }
        if !people::holds(&mut tx, volunteer_id, Role::Commissioner).await? {
            return Err(Error::precondition(
                "NOT_A_COMMISSIONER",
                format!("volunteers/{volunteer_id}"),
                "problems are assigned to current commissioners (共富专员)",
            ));
        }
        self.change(tx, current, Change::Assign(volunteer_id)).await
    }

    /// Escalates a problem that is not resolved.
    pub async fn escalate_problem(
        &self,
        id: &RecordId,
        reason: &Text<1000>,
    ) -> Result<Problem, Error> {
        let mut tx = self.db.begin().await?;
        let current = problem(&mut tx, id).await?;
        self.change(tx, current, Change::Escalate(reason)).await
    }

    /// Resolves a problem; again changes nothing.
    pub async fn resolve_problem(
        &self,
        id: &RecordId,
        resolution: &Text<1000>,
    ) -> Result<Problem, Error> {
        let mut tx = self.db.begin().await?;
        let current = problem(&mut tx, id).await?;
        if current.status == ProblemStatus::Resolved {
            tx.rollback().await?;
            return Ok(current);
        }
        self.change(tx, current, Change::Resolve(resolution, now_micros()))
            .await
    }

    async fn change(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        current: Problem,
        change: Change<'_>,
    ) -> Result<Problem, Error> {
        let resolves = matches!(change, Change::Resolve(..));
        if !store::change(&mut tx, &current.id, change).await? {
            return Err(Error::precondition(
                "PROBLEM_RESOLVED",
                format!("problems/{}", current.id),
                "the problem is resolved",
            ));
        }
        let changed = problem(&mut tx, &current.id).await?;
        let event = pb::ProblemChanged::from(&changed);
        self.outbox
            .enqueue(&mut tx, changed.id.as_str(), &event)
            .await?;
        if resolves {
            COUNTERS.bump(&mut tx, "problems", "resolved", 1).await?;
        }
        self.outbox.commit(tx).await?;
        Ok(changed)
    }
}

async fn problem(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Problem, Error> {
    store::get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("problem", id.as_str()))
}
