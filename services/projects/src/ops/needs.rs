//! Residents' needs: submitted, imported from questionnaires, reviewed into projects.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::projects as pb;

use super::projects::reused_key;
use super::{Library, events, not_found};
use crate::access::Access;
use crate::domain::NeedKey;
use crate::domain::need::Filter;
use crate::domain::{
    Decision, HistoryKind, Need, NeedStatus, NewNeed, NewProject, Note, RecordId, RequestId,
};
use crate::storage::{self, Keyed, history};

/// What an import came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// New needs.
    pub imported: i64,
    /// Rows imported before.
    pub already_imported: i64,
    /// (line, reason) of refused rows.
    pub rejected: Vec<(i64, String)>,
}

impl Library {
    /// Records a need, or returns the one its key recorded before.
    pub async fn submit_need(&self, new: NewNeed) -> Result<Need, Error> {
        let mut tx = self.db.begin().await?;
        let (need, fresh) = self.insert_need(&mut tx, &new).await?;
        if fresh {
            self.outbox.commit(tx).await?;
        } else {
            tx.rollback().await?;
        }
        Ok(need)
    }

    /// Imports parsed rows: all new ones in one transaction, each with its event.
    pub async fn import_needs(
        &self,
        rows: Vec<(i64, NewNeed)>,
        mut report: ImportReport,
    ) -> Result<ImportReport, Error> {
        let mut tx = self.db.begin().await?;
        for (line, new) in rows {
            match self.insert_need(&mut tx, &new).await {
                Ok((_, true)) => report.imported += 1,
                Ok((_, false)) => report.already_imported += 1,
                Err(Error::AlreadyExists { .. }) => report
                    .rejected
                    .push((line, "its id was imported before with other content".into())),
                Err(other) => return Err(other),
            }
        }
        self.outbox.commit(tx).await?;
        tracing::debug!(
            imported = report.imported,
            already = report.already_imported,
            rejected = report.rejected.len(),
            "needs imported"
        );
        Ok(report)
    }

    async fn insert_need(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        new: &NewNeed,
    ) -> Result<(Need, bool), Error> {
        let id = RecordId::generate();
        let sealed = new.contact.as_ref().map(|c| self.pii.seal(&c.to_clear()));
        let parts = new.fingerprint_parts();
        let fingerprint = self.pii.digest(parts.iter().map(String::as_str));
        let key = match &new.key {
            NeedKey::Request(request_id) => format!("req:{request_id}"),
            NeedKey::FileRow(row_id) => format!("csv:id:{row_id}"),
            NeedKey::Content => format!("csv:sha:{fingerprint}"),
        };
        match storage::needs::insert(tx, &id, new, &key, &fingerprint, sealed, now_micros()).await?
        {
            Keyed::New(need) => {
                let event = events::need_submitted(&need, new.contact.is_some());
                self.outbox.enqueue(tx, need.id.as_str(), &event).await?;
                Ok((need, true))
            }
            Keyed::Existing(need, asked) if asked == fingerprint => Ok((need, false)),
            Keyed::Existing(..) => Err(match &new.key {
                NeedKey::Request(request_id) => reused_key("request_id", request_id.as_str()),
                NeedKey::FileRow(row_id) => reused_key("id", row_id),
                // The key is the digest of the content: the same key means the same content.
                NeedKey::Content => {
                    Error::Unexpected(anyhow::anyhow!("need content key collision"))
                }
            }),
        }
    }

    /// Reads need `id`.
    pub async fn need(&self, id: &RecordId) -> Result<Need, Error> {
        let mut conn = self.db.pool().acquire().await?;
        storage::needs::get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: "need",
                id: id.to_string(),
            })
    }

    /// Needs newest first after `after` as `filter` narrows them, at most `limit`: those
    /// `access` sees.
    pub async fn needs(
        &self,
        access: &Access,
        filter: &Filter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Need>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(storage::needs::list(&mut conn, filter, access.scope(), after, limit).await?)
    }

    /// Decides a SUBMITTED need.
    pub async fn review_need(&self, id: &RecordId, decision: Decision) -> Result<Need, Error> {
        let mut tx = self.db.begin().await?;
        let need = storage::needs::get(&mut tx, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: "need",
                id: id.to_string(),
            })?;
        if need.status != NeedStatus::Submitted {
            return Err(Error::FailedPrecondition {
                kind: "NEED_DECIDED",
                subject: format!("needs/{id}"),
                message: format!("need {id} is {} already", need.status.as_str()),
            });
        }
        let now = now_micros();
        let mut decided = need.clone();
        decided.reviewed_at = Some(now);
        let mut project_event = None;
        match decision {
            Decision::Accept { title, category } => {
                let category = category.or(need.suggested_category).ok_or_else(|| {
                    Error::invalid(
                        "accept.category",
                        "must be set: the need suggests no category",
                    )
                })?;
                // Neither parse fails: `need:` and a UUID is a valid key, and a need's
                // description (1 to MAX_NEED_CHARS) a valid project description.
                let new = NewProject {
                    request_id: RequestId::parse(&format!("need:{id}"), "request_id")?,
                    title,
                    category,
                    communities: vec![need.community_id.clone()],
                    description: Note::parse(need.description.as_str(), "description")?,
                    planned_budget_fen: 0,
                    start_date: None,
                    end_date: None,
                };
                let project_id = RecordId::generate();
                let project =
                    match storage::projects::insert(&mut tx, &project_id, &new, now).await? {
                        Keyed::New(project) => project,
                        // `need:` keys are reserved (CreateProject refuses them) and a need
                        // is accepted once, so this cannot happen.
                        Keyed::Existing(..) => {
                            return Err(Error::Unexpected(anyhow::anyhow!(
                                "a project for need {id} exists already"
                            )));
                        }
                    };
                history::append(
                    &mut tx,
                    &project.id,
                    HistoryKind::Created,
                    "created from a need",
                    None,
                    now,
                )
                .await?;
                project_event = Some(pb::ProjectCreated::from(&project));
                decided.status = NeedStatus::Accepted;
                decided.project_id = Some(project.id);
            }
            Decision::Attach { project_id } => {
                let project = storage::projects::lock(&mut tx, &project_id)
                    .await?
                    .ok_or_else(|| not_found(&project_id))?;
                self.check(&project)?;
                if project.status.is_final() {
                    return Err(super::wrong_state(
                        &project,
                        "needs attach to open projects only",
                    ));
                }
                decided.status = NeedStatus::Attached;
                decided.project_id = Some(project_id);
            }
            Decision::Duplicate { need_id } => {
                if need_id == *id {
                    return Err(Error::invalid(
                        "duplicate.need_id",
                        "must name another need",
                    ));
                }
                if storage::needs::get(&mut tx, &need_id).await?.is_none() {
                    return Err(Error::NotFound {
                        resource: "need",
                        id: need_id.into_string(),
                    });
                }
                decided.status = NeedStatus::Duplicate;
                decided.duplicate_of = Some(need_id);
            }
            Decision::Decline { reason } => {
                decided.status = NeedStatus::Declined;
                decided.decline_reason = Some(reason);
            }
        }
        if !storage::needs::decide(&mut tx, &decided).await? {
            // Another review won; report what it decided.
            let now_decided = self.need(id).await?;
            return Err(Error::FailedPrecondition {
                kind: "NEED_DECIDED",
                subject: format!("needs/{id}"),
                message: format!("need {id} is {} already", now_decided.status.as_str()),
            });
        }
        if let Some(project_id) = &decided.project_id {
            history::append(
                &mut tx,
                project_id,
                HistoryKind::NeedAttached,
                id.as_str(),
                None,
                now,
            )
            .await?;
        }
        if let Some(event) = project_event {
            self.outbox
                .enqueue(&mut tx, &event.project_id.clone(), &event)
                .await?;
        }
        self.outbox
            .enqueue(&mut tx, id.as_str(), &pb::NeedReviewed::from(&decided))
            .await?;
        self.outbox.commit(tx).await?;
        self.need(id).await
    }
}
