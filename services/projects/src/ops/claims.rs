//! Claim and dispatch (领办 / 派单): one lead organisation at a time, co-organisers
//! allowed, every hand-over in the timeline.

use xingfu_platform::Error;

use super::{Changed, Library, events, wrong_state};
use crate::domain::{Date, DirectoryId, HistoryKind, Project, Reason, RecordId, Status};
use crate::storage::{self, history};

/// Most co-organisers of one project.
pub const MAX_CO_ORGANISERS: usize = 50;

impl Library {
    /// `organisation` claims a PUBLISHED project. Claiming again as its lead is a no-op.
    pub async fn claim_project(
        &self,
        id: &RecordId,
        organisation: &DirectoryId,
    ) -> Result<Project, Error> {
        let current = self.project(id).await?;
        if current.lead_organisation.as_ref() == Some(organisation) && current.status.is_led() {
            return Ok(current);
        }
        let changed = self
            .change(id, 0, |p| {
                if p.status != Status::Published {
                    return Err(wrong_state(p, "only PUBLISHED projects can be claimed"));
                }
                if let Some(pending) = &p.pending_dispatch
                    && pending != organisation
                {
                    return Err(wrong_state(
                        p,
                        &format!("it is dispatched to {pending}, awaiting its answer"),
                    ));
                }
                let mut next = p.clone();
                next.status = Status::Claimed;
                next.lead_organisation = Some(organisation.clone());
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
        id: &RecordId,
        organisation: &DirectoryId,
        respond_by: Option<Date>,
    ) -> Result<Project, Error> {
        let current = self.project(id).await?;
        if current.status == Status::Published
            && current.pending_dispatch.as_ref() == Some(organisation)
            && current.dispatch_respond_by == respond_by
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
                next.pending_dispatch = Some(organisation.clone());
                next.dispatch_respond_by = respond_by;
                Ok(next)
            })
            .await?;
        history::append(
            &mut tx,
            id,
            HistoryKind::Dispatched,
            "dispatched",
            Some(organisation),
            now,
        )
        .await?;
        self.outbox
            .enqueue(
                &mut tx,
                id.as_str(),
                &events::dispatched(id, organisation, respond_by),
            )
            .await?;
        self.outbox.commit(tx).await?;
        self.project(id).await
    }

    /// The dispatched organisation accepts (and leads), or declines with a reason
    /// (`declined`).
    pub async fn respond_to_dispatch(
        &self,
        id: &RecordId,
        organisation: &DirectoryId,
        declined: Option<&Reason>,
    ) -> Result<Project, Error> {
        let changed = self
            .change(id, 0, |p| {
                if p.status != Status::Published
                    || p.pending_dispatch.as_ref() != Some(organisation)
                {
                    return Err(Error::FailedPrecondition {
                        kind: "NOT_DISPATCHED",
                        subject: format!("projects/{}", p.id),
                        message: format!(
                            "project {} is {} and not awaiting an answer from {organisation}",
                            p.id,
                            p.status.as_str()
                        ),
                    });
                }
                let mut next = p.clone();
                next.pending_dispatch = None;
                next.dispatch_respond_by = None;
                if declined.is_none() {
                    next.status = Status::Claimed;
                    next.lead_organisation = Some(organisation.clone());
                }
                Ok(next)
            })
            .await?;
        let Some(reason) = declined else {
            return self
                .finish_claim(
                    changed,
                    HistoryKind::DispatchAccepted,
                    "accepted the dispatch",
                    "dispatch",
                    None,
                )
                .await;
        };
        let Changed { mut tx, now, .. } = changed;
        history::append(
            &mut tx,
            id,
            HistoryKind::DispatchDeclined,
            reason.as_str(),
            Some(organisation),
            now,
        )
        .await?;
        let event = events::dispatch_declined(id, organisation, reason);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.project(id).await
    }

    /// Hands the lead of a CLAIMED or IN_PROGRESS project to `organisation`.
    pub async fn hand_over_project(
        &self,
        id: &RecordId,
        organisation: &DirectoryId,
        reason: &Reason,
    ) -> Result<Project, Error> {
        let changed = self
            .change(id, 0, |p| {
                if !p.status.is_led() {
                    return Err(wrong_state(
                        p,
                        "only CLAIMED and IN_PROGRESS projects can be handed over",
                    ));
                }
                if p.lead_organisation.as_ref() == Some(organisation) {
                    return Err(Error::invalid(
                        "organisation_id",
                        "already leads the project",
                    ));
                }
                let mut next = p.clone();
                next.lead_organisation = Some(organisation.clone());
                Ok(next)
            })
            .await?;
        let previous = changed.before.lead_organisation.clone();
        let previous_name = previous.as_ref().map_or("-", DirectoryId::as_str);
        let detail = format!("from {previous_name}: {reason}");
        let mut changed = changed;
        // A co-organiser that takes the lead is no longer a co-organiser.
        storage::projects::remove_co_organiser(&mut changed.tx, id, organisation).await?;
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
        id: &RecordId,
        organisation: &DirectoryId,
    ) -> Result<Project, Error> {
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
                if p.lead_organisation.as_ref() == Some(organisation) {
                    return Err(Error::invalid(
                        "organisation_id",
                        "is the lead organisation",
                    ));
                }
                let full = p.co_organisers.len() >= MAX_CO_ORGANISERS;
                if full && !p.co_organisers.iter().any(|o| o == organisation) {
                    return Err(wrong_state(
                        p,
                        &format!("it has {MAX_CO_ORGANISERS} co-organisers, the most allowed"),
                    ));
                }
                Ok(p.clone())
            })
            .await?;
        if storage::projects::add_co_organiser(&mut tx, id, organisation, now).await? {
            history::append(
                &mut tx,
                id,
                HistoryKind::CoOrganiserAdded,
                "co-organiser",
                Some(organisation),
                now,
            )
            .await?;
            let mut now_project = after.clone();
            now_project.co_organisers.push(organisation.clone());
            let event = events::updated(&now_project, vec!["co_organisers".into()]);
            self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
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
        previous: Option<DirectoryId>,
    ) -> Result<Project, Error> {
        let Changed {
            mut tx, after, now, ..
        } = changed;
        let lead = after.lead_organisation.as_ref();
        history::append(&mut tx, &after.id, kind, detail, lead, now).await?;
        let event = events::claimed(&after, via, previous);
        self.outbox
            .enqueue(&mut tx, after.id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        let organisation_id = lead.map_or("", DirectoryId::as_str);
        tracing::debug!(project_id = %after.id, organisation_id, via, "project lead set");
        self.project(&after.id).await
    }
}
