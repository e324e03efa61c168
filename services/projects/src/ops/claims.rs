//! Claim and dispatch (领办 / 派单): one lead organisation at a time, co-organisers
//! allowed, every hand-over in the timeline.

use xingfu_platform::Error;

use super::{Changed, Library, events, wrong_state};
use crate::domain::{DirectoryId, HistoryKind, Project, Status};
use crate::storage::{self, history};

/// Most co-organisers of one project.
pub const MAX_CO_ORGANISERS: usize = 50;

impl Library {
    /// `organisation` claims a PUBLISHED project. Claiming again as its lead is a no-op.
    pub async fn claim_project(
        &self,
        id: &str,
        organisation: &DirectoryId,
    ) -> Result<Project, Error> {
        let org = organisation.as_str();
        let current = self.project(id).await?;
        if current.lead_organisation.as_deref() == Some(org) && current.status.is_led() {
            return Ok(current);
        }
        let changed = self
            .change(id, 0, |p| {
                if p.status != Status::Published {
                    return Err(wrong_state(p, "only PUBLISHED projects can be claimed"));
                }
                if let Some(pending) = &p.pending_dispatch
                    && pending != org
                {
                    return Err(wrong_state(
                        p,
                        &format!("it is dispatched to {pending}, awaiting its answer"),
                    ));
                }
                let mut next = p.clone();
                next.status = Status::Claimed;
                next.lead_organisation = Some(org.to_owned());
                next.pending_dispatch = None;
                Ok(next)
            })
            .await?;
        self.finish_claim(changed, HistoryKind::Claimed, "claimed", "claim", None)
            .await
    }

    /// The programme office dispatches a PUBLISHED project to `organisation`.
    pub async fn dispatch_project(
        &self,
        id: &str,
        organisation: &DirectoryId,
    ) -> Result<Project, Error> {
        let org = organisation.as_str().to_owned();
        let current = self.project(id).await?;
        if current.status == Status::Published
            && current.pending_dispatch.as_deref() == Some(org.as_str())
        {
            return Ok(current);
        }
        let Changed { mut tx, now, .. } = self
            .change(id, 0, |p| {
                if p.status != Status::Published {
                    return Err(wrong_state(p, "only PUBLISHED projects can be dispatched"));
                }
                if let Some(pending) = &p.pending_dispatch {
                    return Err(wrong_state(
                        p,
                        &format!("it is dispatched to {pending}, awaiting its answer"),
                    ));
                }
                let mut next = p.clone();
                next.pending_dispatch = Some(org.clone());
                Ok(next)
            })
            .await?;
        history::append(
            &mut tx,
            id,
            HistoryKind::Dispatched,
            "dispatched",
            Some(&org),
            now,
        )
        .await?;
        self.outbox
            .enqueue(&mut tx, id, &events::dispatched(id, org))
            .await?;
        self.outbox.commit(tx).await?;
        self.project(id).await
    }

    /// The dispatched organisation accepts (and leads) or declines (with `reason`).
    pub async fn respond_to_dispatch(
        &self,
        id: &str,
        organisation: &DirectoryId,
        accept: bool,
        reason: &str,
    ) -> Result<Project, Error> {
        let org = organisation.as_str();
        let changed = self
            .change(id, 0, |p| {
                if p.status != Status::Published || p.pending_dispatch.as_deref() != Some(org) {
                    return Err(Error::FailedPrecondition {
                        kind: "NOT_DISPATCHED",
                        subject: format!("projects/{}", p.id),
                        message: format!(
                            "project {} is {} and not awaiting an answer from {org}",
                            p.id,
                            p.status.as_str()
                        ),
                    });
                }
                let mut next = p.clone();
                next.pending_dispatch = None;
                if accept {
                    next.status = Status::Claimed;
                    next.lead_organisation = Some(org.to_owned());
                }
                Ok(next)
            })
            .await?;
        if accept {
            return self
                .finish_claim(
                    changed,
                    HistoryKind::DispatchAccepted,
                    "accepted the dispatch",
                    "dispatch",
                    None,
                )
                .await;
        }
        let Changed { mut tx, now, .. } = changed;
        history::append(
            &mut tx,
            id,
            HistoryKind::DispatchDeclined,
            reason,
            Some(org),
            now,
        )
        .await?;
        let event = events::dispatch_declined(id, org, reason);
        self.outbox.enqueue(&mut tx, id, &event).await?;
        self.outbox.commit(tx).await?;
        self.project(id).await
    }

    /// Hands the lead of a CLAIMED or IN_PROGRESS project to `organisation`.
    pub async fn hand_over_project(
        &self,
        id: &str,
        organisation: &DirectoryId,
        reason: &str,
    ) -> Result<Project, Error> {
        let org = organisation.as_str();
        let changed = self
            .change(id, 0, |p| {
                if !p.status.is_led() {
                    return Err(wrong_state(
                        p,
                        "only CLAIMED and IN_PROGRESS projects can be handed over",
                    ));
                }
                if p.lead_organisation.as_deref() == Some(org) {
                    return Err(Error::invalid(
                        "organisation_id",
                        "already leads the project",
                    ));
                }
                let mut next = p.clone();
                next.lead_organisation = Some(org.to_owned());
                Ok(next)
            })
            .await?;
        let previous = changed.before.lead_organisation.clone();
        let detail = format!("from {}: {reason}", previous.as_deref().unwrap_or("-"));
        let mut changed = changed;
        // A co-organiser that takes the lead is no longer a co-organiser.
        storage::projects::remove_co_organiser(&mut changed.tx, id, org).await?;
        self.finish_claim(
            changed,
            HistoryKind::HandedOver,
            &detail,
            "hand_over",
            previous,
        )
        .await
    }

    /// Adds a co-organiser to a project that has a lead.
    pub async fn add_co_organiser(
        &self,
        id: &str,
        organisation: &DirectoryId,
    ) -> Result<Project, Error> {
        let org = organisation.as_str();
        let Changed {
            mut tx, now, after, ..
        } = self
            .change(id, 0, |p| {
                if !p.status.is_led() {
                    return Err(wrong_state(
                        p,
                        "co-organisers join CLAIMED or IN_PROGRESS projects",
                    ));
                }
                if p.lead_organisation.as_deref() == Some(org) {
                    return Err(Error::invalid(
                        "organisation_id",
                        "is the lead organisation",
                    ));
                }
                let full = p.co_organisers.len() >= MAX_CO_ORGANISERS;
                if full && !p.co_organisers.iter().any(|o| o == org) {
                    return Err(wrong_state(
                        p,
                        &format!("it has {MAX_CO_ORGANISERS} co-organisers, the most allowed"),
                    ));
                }
                Ok(p.clone())
            })
            .await?;
        if storage::projects::add_co_organiser(&mut tx, id, org, now).await? {
            history::append(
                &mut tx,
                id,
                HistoryKind::CoOrganiserAdded,
                "co-organiser",
                Some(org),
                now,
            )
            .await?;
            let mut now_project = after.clone();
            now_project.co_organisers.push(org.to_owned());
            let event = events::updated(&now_project, vec!["co_organisers".into()]);
            self.outbox.enqueue(&mut tx, id, &event).await?;
            self.outbox.commit(tx).await?;
        } else {
            tx.rollback().await?;
        }
        self.project(id).await
    }

    async fn finish_claim(
        &self,
        changed: Changed,
        kind: HistoryKind,
        detail: &str,
        via: &str,
        previous: Option<String>,
    ) -> Result<Project, Error> {
        let Changed {
            mut tx, after, now, ..
        } = changed;
        let lead = after.lead_organisation.clone().unwrap_or_default();
        history::append(&mut tx, &after.id, kind, detail, Some(&lead), now).await?;
        let event = events::claimed(&after, via, previous);
        self.outbox.enqueue(&mut tx, &after.id, &event).await?;
        self.outbox.commit(tx).await?;
        tracing::debug!(project_id = %after.id, organisation_id = %lead, via, "project lead set");
        self.project(&after.id).await
    }
}
