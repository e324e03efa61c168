//! Milestones: planned, their progress reported, a reached one written into the
//! project's history, each change one transaction with its event.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::projects as pb;

use super::{Library, not_found, wrong_state};
use crate::domain::milestone::MAX_MILESTONES;
use crate::domain::{HistoryKind, Milestone, NewMilestone, RecordId};
use crate::storage::{self, Keyed, history, milestones};

impl Library {
    /// Plans a milestone of a project not over yet; a retry returns the first.
    pub async fn plan_milestone(&self, new: NewMilestone) -> Result<Milestone, Error> {
        let mut tx = self.db.begin().await?;
        let project = storage::projects::lock(&mut tx, &new.project_id)
            .await?
            .ok_or_else(|| not_found(&new.project_id))?;
        self.check(&project)?;
        let id = RecordId::generate();
        match milestones::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(milestone) => {
                if project.status.is_final() {
                    return Err(wrong_state(&project, "milestones go to projects not over"));
                }
                if milestones::count(&mut tx, &project.id).await? > MAX_MILESTONES {
                    return Err(Error::FailedPrecondition {
                        kind: "TOO_MANY_MILESTONES",
                        subject: format!("projects/{}", project.id),
                        message: format!("a project plans at most {MAX_MILESTONES} milestones"),
                    });
                }
                let event = pb::MilestonePlanned {
                    milestone_id: milestone.id.to_string(),
                    project_id: project.id.to_string(),
                    title: milestone.title.to_string(),
                    due_date: milestone.due_on.to_string(),
                };
                self.outbox
                    .enqueue(&mut tx, project.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(milestone)
            }
            Keyed::Existing(milestone, asked) if asked == new.fingerprint() => {
                tx.rollback().await?;
                Ok(milestone)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "milestone request",
                new.request_id.as_str(),
                "milestone",
            )),
        }
    }

    /// Reports a milestone's progress: never back (FAILED_PRECONDITION
    /// `PROGRESS_BACKWARDS`), the same figure again changes nothing, 100 reaches it and
    /// writes a MILESTONE entry into the project's history.
    pub async fn report_milestone(&self, id: &RecordId, progress: i64) -> Result<Milestone, Error> {
        let mut tx = self.db.begin().await?;
        let milestone = milestones::get(&mut tx, id)
            .await?
            .ok_or_else(|| milestone_not_found(id))?;
        let project = storage::projects::lock(&mut tx, &milestone.project_id)
            .await?
            .ok_or_else(|| milestone_not_found(id))?;
        // A milestone of a project the caller may not see is as missing as the project.
        self.check(&project).map_err(|e| match e {
            Error::NotFound { .. } => milestone_not_found(id),
            other => other,
        })?;
        if progress == milestone.progress {
            tx.rollback().await?;
            return Ok(milestone);
        }
        if progress < milestone.progress {
            return Err(Error::FailedPrecondition {
                kind: "PROGRESS_BACKWARDS",
                subject: format!("milestones/{id}"),
                message: format!(
                    "milestone {id} stands at {} %; progress is not taken back",
                    milestone.progress
                ),
            });
        }
        if project.status.is_final() {
            return Err(wrong_state(
                &project,
                "milestones progress on projects not over",
            ));
        }
        let now = now_micros();
        if !milestones::progress(&mut tx, id, progress, now).await? {
            // Moved past this figure meanwhile: the stored state answers.
            tx.rollback().await?;
            let mut conn = self.db.pool().acquire().await?;
            return milestones::get(&mut conn, id)
                .await?
                .ok_or_else(|| milestone_not_found(id));
        }
        let reached = progress == 100;
        if reached {
            history::append(
                &mut tx,
                &project.id,
                HistoryKind::Milestone,
                milestone.title.as_str(),
                None,
                now,
            )
            .await?;
        }
        let event = pb::MilestoneProgressed {
            milestone_id: id.to_string(),
            project_id: project.id.to_string(),
            progress_percent: i32::try_from(progress).unwrap_or(100),
            reached,
        };
        self.outbox
            .enqueue(&mut tx, project.id.as_str(), &event)
            .await?;
        let stored = milestones::get(&mut tx, id)
            .await?
            .ok_or_else(|| milestone_not_found(id))?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }

    /// The project's milestones by due day.
    pub async fn milestones(&self, project_id: &RecordId) -> Result<Vec<Milestone>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(milestones::of_project(&mut conn, project_id).await?)
    }
}

fn milestone_not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "milestone",
        id: id.to_string(),
    }
}
