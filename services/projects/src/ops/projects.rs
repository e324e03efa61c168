//! Creating, editing and moving projects through their lifecycle.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::projects as pb;

use super::{Changed, Library, events, transition, wrong_state};
use crate::access::Access;
use crate::domain::project::Filter;
use crate::domain::{HistoryKind, NewProject, Outcome, Patch, Project, Reason, RecordId, Status};
use crate::storage::{self, Keyed, history};

impl Library {
    /// Creates a DRAFT project, or returns the one its request id created before.
    pub async fn create_project(&self, new: NewProject) -> Result<Project, Error> {
        let mut tx = self.db.begin().await?;
        let id = RecordId::generate();
        let now = now_micros();
        match storage::projects::insert(&mut tx, &id, &new, now).await? {
            Keyed::New(project) => {
                history::append(
                    &mut tx,
                    &project.id,
                    HistoryKind::Created,
                    "created",
                    None,
                    now,
                )
                .await?;
                self.outbox
                    .enqueue(
                        &mut tx,
                        project.id.as_str(),
                        &pb::ProjectCreated::from(&project),
                    )
                    .await?;
                self.outbox.commit(tx).await?;
                tracing::debug!(project_id = %project.id, "project created");
                Ok(project)
            }
            Keyed::Existing(project, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(project)
            }
            Keyed::Existing(..) => Err(reused_key("request_id", new.request_id.as_str())),
        }
    }

    /// Projects newest first after `after` as `filter` narrows them, at most `limit`:
    /// those `access` sees.
    pub async fn projects(
        &self,
        access: &Access,
        filter: &Filter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Project>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(storage::projects::list(&mut conn, filter, access.scope(), after, limit).await?)
    }

    /// Edits the fields `patch` names, if the project is still at `version` and editable.
    pub async fn update_project(
        &self,
        id: &RecordId,
        version: i64,
        patch: Patch,
    ) -> Result<Project, Error> {
        let changed = self
            .change(id, version, |project| {
                if !project.status.editable() {
                    return Err(wrong_state(
                        project,
                        "only DRAFT and PUBLISHED projects can be edited",
                    ));
                }
                let mut next = project.clone();
                if let Some(title) = &patch.title {
                    next.title = title.clone();
                }
                if let Some(category) = patch.category {
                    next.category = category;
                }
                if let Some(description) = &patch.description {
                    next.description = description.clone();
                }
                if let Some(communities) = &patch.communities {
                    next.communities = communities.clone();
                }
                if let Some(budget) = patch.planned_budget_fen {
                    next.planned_budget_fen = budget;
                }
                if let Some(start) = patch.start_date {
                    next.start_date = start;
                }
                if let Some(end) = patch.end_date {
                    next.end_date = end;
                }
                crate::domain::project_schedule_ok(&next)?;
                Ok(next)
            })
            .await?;
        let fields = changed_fields(&changed.before, &changed.after);
        let Changed {
            mut tx,
            after,
            now,
            before,
        } = changed;
        history::append(&mut tx, id, HistoryKind::Updated, &fields, None, now).await?;
        self.outbox
            .enqueue(
                &mut tx,
                id.as_str(),
                &events::updated(&after, changed_names(&before, &after)),
            )
            .await?;
        self.outbox.commit(tx).await?;
        self.project(id).await
    }

    /// DRAFT → PUBLISHED.
    pub async fn publish_project(&self, id: &RecordId, version: i64) -> Result<Project, Error> {
        let changed = self
            .change(id, version, |p| transition(p, Status::Published))
            .await?;
        let event = pb::ProjectPublished::from(&changed.after);
        self.finish_transition(changed, "", 0, Some(event)).await
    }

    /// CLAIMED → IN_PROGRESS.
    pub async fn start_project(&self, id: &RecordId, version: i64) -> Result<Project, Error> {
        let changed = self
            .change(id, version, |p| transition(p, Status::InProgress))
            .await?;
        self.finish_transition(changed, "", 0, None).await
    }

    /// IN_PROGRESS → COMPLETED with `outcome`.
    pub async fn complete_project(
        &self,
        id: &RecordId,
        version: i64,
        outcome: Outcome,
    ) -> Result<Project, Error> {
        let beneficiaries = outcome.beneficiaries;
        let changed = self
            .change(id, version, |p| {
                let mut next = transition(p, Status::Completed)?;
                next.outcome = Some(outcome.clone());
                Ok(next)
            })
            .await?;
        self.finish_transition(changed, "", beneficiaries, None)
            .await
    }

    /// Any open state → CANCELLED with `reason`.
    pub async fn cancel_project(
        &self,
        id: &RecordId,
        version: i64,
        reason: Reason,
    ) -> Result<Project, Error> {
        let changed = self
            .change(id, version, |p| {
                let mut next = transition(p, Status::Cancelled)?;
                next.cancel_reason = Some(reason.clone());
                next.pending_dispatch = None;
                Ok(next)
            })
            .await?;
        self.finish_transition(changed, reason.as_str(), 0, None)
            .await
    }

    /// Records a status change in the timeline and as events, then commits.
    async fn finish_transition(
        &self,
        changed: Changed,
        reason: &str,
        beneficiaries: i64,
        published: Option<pb::ProjectPublished>,
    ) -> Result<Project, Error> {
        let Changed {
            mut tx,
            before,
            after,
            now,
        } = changed;
        let detail = format!("{} → {}", before.status.as_str(), after.status.as_str());
        let detail = if reason.is_empty() {
            detail
        } else {
            format!("{detail}: {reason}")
        };
        history::append(
            &mut tx,
            &after.id,
            HistoryKind::StatusChanged,
            &detail,
            None,
            now,
        )
        .await?;
        if let Some(published) = published {
            self.outbox
                .enqueue(&mut tx, after.id.as_str(), &published)
                .await?;
        }
        let event = events::status_changed(&before, &after, reason, beneficiaries);
        self.outbox
            .enqueue(&mut tx, after.id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        tracing::debug!(project_id = %after.id, from = before.status.as_str(), to = after.status.as_str(), "project status changed");
        self.project(&after.id).await
    }
}

fn changed_names(before: &Project, after: &Project) -> Vec<String> {
    let mut changed = Vec::new();
    for (name, differs) in [
        ("title", before.title != after.title),
        ("category", before.category != after.category),
        ("description", before.description != after.description),
        ("communities", before.communities != after.communities),
        (
            "planned_budget",
            before.planned_budget_fen != after.planned_budget_fen,
        ),
        (
            "schedule",
            before.start_date != after.start_date || before.end_date != after.end_date,
        ),
    ] {
        if differs {
            changed.push(name.to_owned());
        }
    }
    changed
}

fn changed_fields(before: &Project, after: &Project) -> String {
    let mut fields = Vec::new();
    if before.title != after.title {
        fields.push("title");
    }
    if before.category != after.category {
        fields.push("category");
    }
    if before.description != after.description {
        fields.push("description");
    }
    if before.communities != after.communities {
        fields.push("communities");
    }
    if before.planned_budget_fen != after.planned_budget_fen {
        fields.push("planned budget");
    }
    if before.start_date != after.start_date || before.end_date != after.end_date {
        fields.push("schedule");
    }
    if fields.is_empty() {
        "nothing changed".into()
    } else {
        format!("edited {}", fields.join(", "))
    }
}

/// ALREADY_EXISTS for an idempotency key reused with a different request.
pub(crate) fn reused_key(field: &'static str, key: &str) -> Error {
    Error::AlreadyExists {
        resource: field,
        id: key.to_owned(),
        message: "was already used for a different request; use a new one".into(),
    }
}
