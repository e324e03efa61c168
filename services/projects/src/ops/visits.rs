//! Visits (幸福敲门), progress updates and the read side of the timeline.

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_proto::projects as pb;

use super::projects::reused_key;
use super::{Library, events, not_found, wrong_state};
use crate::access::Access;
use crate::domain::visit::Filter;
use crate::domain::{
    HistoryEntry, HistoryKind, Need, NewVisit, Project, RecordId, RequestId, Text, Visit,
    need::MAX_NEED_CHARS,
};
use crate::storage::history::Appended;
use crate::storage::{self, Keyed, history};

/// Most needs, claims and visits a trace shows.
const TRACED: i64 = 10_000;

/// The timeline kinds a trace shows as the project's claims.
const CLAIMS: [HistoryKind; 5] = [
    HistoryKind::Claimed,
    HistoryKind::Dispatched,
    HistoryKind::DispatchAccepted,
    HistoryKind::DispatchDeclined,
    HistoryKind::HandedOver,
];

/// A project from the needs it answers to what it delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The project.
    pub project: Project,
    /// The needs it answers, oldest first.
    pub needs: Vec<Need>,
    /// Its claims, dispatches and hand-overs, in order.
    pub claims: Vec<HistoryEntry>,
    /// Its visits, oldest first.
    pub visits: Vec<Visit>,
}

impl Library {
    /// Visits newest first after `after` as `filter` narrows them, at most `limit`: those
    /// of projects `access` sees.
    pub async fn visits(
        &self,
        access: &Access,
        filter: &Filter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Visit>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(storage::visits::list(&mut conn, filter, access.scope(), after, limit).await?)
    }

    /// Entries of project `id`'s timeline after `after_seq`, oldest first, at most `limit`.
    pub async fn history(
        &self,
        id: &RecordId,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(history::list(&mut conn, id, after_seq, limit, &[]).await?)
    }

    /// Project `id`'s trace, if `access` sees the project.
    pub async fn trace(&self, access: &Access, id: &RecordId) -> Result<Trace, Error> {
        let project = self.visible_project(access, id).await?;
        let mut conn = self.db.pool().acquire().await?;
        let needs = storage::needs::of_project(&mut conn, id).await?;
        let claims = history::list(&mut conn, id, 0, TRACED, &CLAIMS).await?;
        let filter = Filter {
            project_id: Some(id.clone()),
            community_id: None,
        };
        let mut visits = storage::visits::list(&mut conn, &filter, None, None, TRACED).await?;
        visits.reverse();
        Ok(Trace {
            project,
            needs,
            claims,
            visits,
        })
    }

    /// Records a visit for a CLAIMED or IN_PROGRESS project; a retry returns the first.
    pub async fn record_visit(&self, new: NewVisit) -> Result<Visit, Error> {
        let mut tx = self.db.begin().await?;
        let project = storage::projects::lock(&mut tx, &new.project_id)
            .await?
            .ok_or_else(|| not_found(&new.project_id))?;
        self.check(&project)?;
        let id = RecordId::generate();
        let now = now_micros();
        match storage::visits::insert(&mut tx, &id, &new, now).await? {
            Keyed::New(visit) => {
                if !project.status.is_led() {
                    return Err(wrong_state(
                        &project,
                        "visits are recorded for CLAIMED or IN_PROGRESS projects",
                    ));
                }
                let detail = format!(
                    "{} in {} on {}: {} person-times",
                    visit.kind, visit.community_id, visit.date, visit.person_times
                );
                history::append(&mut tx, &project.id, HistoryKind::Visit, &detail, None, now)
                    .await?;
                let event = pb::VisitRecorded::from(&visit);
                // The project row was written above (history), so events of one project
                // keep their order.
                self.outbox
                    .enqueue(&mut tx, project.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(visit)
            }
            Keyed::Existing(visit, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(visit)
            }
            Keyed::Existing(..) => Err(reused_key("request_id", new.request_id.as_str())),
        }
    }

    /// Adds a progress update or milestone; a retry with the same request id returns the
    /// entry written first, the same id with another update is ALREADY_EXISTS.
    pub async fn add_progress(
        &self,
        request_id: &RequestId,
        project_id: &RecordId,
        text: &Text<MAX_NEED_CHARS>,
        milestone: bool,
    ) -> Result<HistoryEntry, Error> {
        let mut tx = self.db.begin().await?;
        let project = storage::projects::lock(&mut tx, project_id)
            .await?
            .ok_or_else(|| not_found(project_id))?;
        self.check(&project)?;
        let kind = if milestone {
            HistoryKind::Milestone
        } else {
            HistoryKind::Progress
        };
        let hash = xingfu_platform::validate::fingerprint([
            project_id.as_str(),
            kind.as_str(),
            text.as_str(),
        ]);
        match history::append_requested(
            &mut tx,
            &project.id,
            kind,
            text.as_str(),
            request_id,
            &hash,
            now_micros(),
        )
        .await?
        {
            Appended::New(entry) => {
                if project.status.is_final() {
                    return Err(wrong_state(
                        &project,
                        "updates go to projects that are not over",
                    ));
                }
                let event = events::progress_recorded(&project.id, &entry, milestone);
                self.outbox
                    .enqueue(&mut tx, project.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(entry)
            }
            Appended::Existing(entry, used_for, asked)
                if used_for == *project_id && asked == hash =>
            {
                tx.rollback().await?;
                Ok(entry)
            }
            Appended::Existing(..) => Err(reused_key("request_id", request_id.as_str())),
        }
    }
}
