//! Activities: creating them, signing volunteers up within capacity, their arrival and
//! leaving, and the organiser's verification that turns service into HoursVerified.

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::principal::Role;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{
    Volunteers, boundary, require_community, require_organisation, require_serving_volunteer,
    require_volunteer, require_volunteer_seen,
};
use crate::domain::activities::{
    Activity, ActivityKind, ActivityPatch, ActivityStatus, CancelReason, NewActivity,
    Participation, Stage, minutes_served,
};
use crate::domain::records::NewRecord;
use crate::events;
use crate::storage::activities as store;
use crate::storage::records;
use crate::storage::{COUNTERS, Keyed};

impl Volunteers {
    /// Creates an activity in a community of the directory; a retry returns the first. A
    /// limited caller creates only activities inside its boundary: of an organisation of
    /// its subtree, in a community of its township.
    pub async fn create_activity(
        &self,
        caller: &Caller,
        new: NewActivity,
    ) -> Result<Activity, Error> {
        let mut tx = self.db.begin().await?;
        require_community(&mut tx, &new.community_id).await?;
        let mut owner = Vec::new();
        if let Some(organisation) = &new.organisation_id {
            require_organisation(&mut tx, organisation).await?;
            owner = boundary::lineage(&mut tx, organisation.as_str()).await?;
        }
        for co_organiser in &new.co_organiser_ids {
            require_organisation(&mut tx, co_organiser).await?;
        }
        let place = boundary::location(&mut tx, &new.community_id).await?;
        // The lead decides: a caller creates only what its own organisation leads.
        boundary::require_inside(caller, &[owner], &place, "an activity of this organisation")?;
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(activity) => {
                let event = pb::ActivityCreated::from(&activity);
                self.outbox
                    .enqueue(&mut tx, activity.id.as_str(), &event)
                    .await?;
                COUNTERS
                    .bump(&mut tx, "activities", activity.kind.as_str(), 1)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(activity)
            }
            Keyed::Existing(activity, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(activity)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "activity request",
                new.request_id.as_str(),
                "activity",
            )),
        }
    }

    /// The activity `id`, if the caller sees it.
    pub async fn activity(&self, caller: &Caller, id: &RecordId) -> Result<Activity, Error> {
        let mut conn = self.db.pool().acquire().await?;
        seen(&mut conn, caller, id).await
    }

    /// Signs a volunteer up while places are free; activity and volunteer inside the
    /// caller's boundary.
    pub async fn sign_up(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
    ) -> Result<Participation, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, activity_id).await?;
        require_open(&activity)?;
        require_serving_volunteer(&mut tx, caller, volunteer_id).await?;
        if !store::insert_participation(&mut tx, activity_id, volunteer_id, now_micros()).await? {
            return Err(Error::AlreadyExists {
                resource: "participation",
                id: format!("{activity_id}/{volunteer_id}"),
                message: "the volunteer is signed up already".into(),
            });
        }
        if !store::take_place(&mut tx, activity_id).await? {
            return Err(Error::FailedPrecondition {
                kind: "ACTIVITY_FULL",
                subject: format!("activities/{activity_id}"),
                message: format!("activity {activity_id} has no free place"),
            });
        }
        self.changed(tx, activity_id, volunteer_id, Stage::SignedUp)
            .await
    }

    /// Records arrival at `at`; arriving again changes nothing.
    pub async fn check_in(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
        at: i64,
    ) -> Result<Participation, Error> {
        let mut tx = self.db.begin().await?;
        let current = self
            .signed_up(&mut tx, caller, activity_id, volunteer_id)
            .await?;
        if current.check_in_at.is_some() {
            tx.rollback().await?;
            return Ok(current);
        }
        // A concurrent retry may have checked in since the read: then it changes nothing.
        if !store::check_in(&mut tx, activity_id, volunteer_id, at).await? {
            return self.unchanged(tx, activity_id, volunteer_id).await;
        }
        self.changed(tx, activity_id, volunteer_id, Stage::CheckedIn)
            .await
    }

    /// Records leaving at `at`, after arrival; leaving again changes nothing.
    pub async fn check_out(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
        at: i64,
    ) -> Result<Participation, Error> {
        let mut tx = self.db.begin().await?;
        let current = self
            .signed_up(&mut tx, caller, activity_id, volunteer_id)
            .await?;
        if current.check_out_at.is_some() {
            tx.rollback().await?;
            return Ok(current);
        }
        let Some(arrived) = current.check_in_at else {
            return Err(Error::FailedPrecondition {
                kind: "NOT_CHECKED_IN",
                subject: format!("activities/{activity_id}"),
                message: format!("volunteer {volunteer_id} has not checked in"),
            });
        };
        let minutes = minutes_served(arrived, at).ok_or_else(|| {
            Error::invalid("time", "must be after the check-in time, within seven days")
        })?;
        if !store::check_out(&mut tx, activity_id, volunteer_id, at, minutes).await? {
            return self.unchanged(tx, activity_id, volunteer_id).await;
        }
        self.changed(tx, activity_id, volunteer_id, Stage::CheckedOut)
            .await
    }

    /// Verifies every checked-out, unverified participation of the activity: each becomes
    /// a HoursVerified event, all in one transaction. `verifier` is the actor (the caller,
    /// or whom a delegate named); the caller needs `activity_organiser` over the
    /// activity's organisation, and may not be among the volunteers verified.
    pub async fn verify_hours(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        verifier: &str,
    ) -> Result<Vec<Participation>, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, activity_id).await?;
        let owners = boundary::activity_owners(&mut tx, &activity).await?;
        boundary::require_over_any(caller, Role::ActivityOrganiser, &owners, "verifying hours")?;
        let pending = store::unverified(&mut tx, activity_id).await?;
        // The whole call is refused rather than the others verified: a verifier who
        // served must hand the activity to another organiser, visibly.
        if let Some(own) = pending
            .iter()
            .find(|p| caller.is_volunteer(p.volunteer_id.as_str()))
        {
            return Err(Error::denied(
                "SELF_VERIFICATION",
                format!(
                    "volunteer {} is the caller: no one verifies their own hours; \
                     another organiser verifies this activity",
                    own.volunteer_id
                ),
            ));
        }
        let mut verified = Vec::new();
        let now = now_micros();
        for mut part in pending {
            let record_id = RecordId::generate();
            // A concurrent call may have verified it since the read: skip it then.
            if !store::verify(
                &mut tx,
                activity_id,
                &part.volunteer_id,
                &record_id,
                verifier,
            )
            .await?
            {
                continue;
            }
            let organisation_id = require_volunteer(&mut tx, &part.volunteer_id).await?;
            let minutes = part.minutes.unwrap_or(0);
            let record = NewRecord {
                record_id: &record_id,
                volunteer_id: &part.volunteer_id,
                organisation_id: &organisation_id,
                community_id: &activity.community_id,
                activity_id: &activity.id,
                served_at: part.check_in_at.unwrap_or(activity.start_at),
                minutes,
                verified_by: verifier,
                verified_at: now,
            };
            records::insert(&mut tx, &record).await?;
            let event = events::hours_verified(&activity, &record);
            self.outbox
                .enqueue(&mut tx, activity.id.as_str(), &event)
                .await?;
            let kind = activity.kind.as_str();
            COUNTERS.bump(&mut tx, "volunteer_times", kind, 1).await?;
            COUNTERS.bump(&mut tx, "service", "records", 1).await?;
            COUNTERS
                .bump(&mut tx, "service", "minutes", minutes)
                .await?;
            part.record_id = Some(record_id);
            part.verified_by = Some(verifier.to_owned());
            verified.push(part);
        }
        if verified.is_empty() {
            tx.rollback().await?;
        } else {
            self.outbox.commit(tx).await?;
        }
        Ok(verified)
    }

    /// Completes the activity with the people it served (bounded by
    /// `CompleteActivityRequest.people_served` in the proto); again with the same figure
    /// returns it unchanged. Needs `activity_organiser` over the activity's organisation.
    pub async fn complete_activity(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        people_served: i64,
    ) -> Result<Activity, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, activity_id).await?;
        let owners = boundary::activity_owners(&mut tx, &activity).await?;
        boundary::require_over_any(
            caller,
            Role::ActivityOrganiser,
            &owners,
            "completing an activity",
        )?;
        if activity.cancelled_at.is_some() {
            return Err(cancelled(activity_id));
        }
        // A concurrent completion may land between the read and the update: then the
        // update changes nothing and the stored figure decides.
        if activity.completed_at.is_some()
            || !store::complete(&mut tx, activity_id, people_served, now_micros()).await?
        {
            tx.rollback().await?;
            let stored = self.activity(caller, activity_id).await?;
            return if stored.people_served == Some(people_served) {
                Ok(stored)
            } else {
                Err(completed(activity_id))
            };
        }
        let stored = store::activity(&mut tx, activity_id)
            .await?
            .ok_or_else(|| Error::not_found("activity", activity_id.as_str()))?;
        let event = pb::ActivityCompleted::from(&stored);
        self.outbox
            .enqueue(&mut tx, activity.id.as_str(), &event)
            .await?;
        let kind = activity.kind.as_str();
        COUNTERS.bump(&mut tx, "completed", kind, 1).await?;
        COUNTERS
            .bump(&mut tx, "people_served", kind, people_served)
            .await?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }

    /// Ends a volunteer's sign-up before arrival and frees the place; one that does not
    /// exist changes nothing. The volunteer themself, an organiser of the activity or a
    /// delegate; the activity and volunteer inside the caller's boundary.
    pub async fn cancel_sign_up(
        &self,
        caller: &Caller,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
    ) -> Result<Activity, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, activity_id).await?;
        require_volunteer_seen(&mut tx, caller, volunteer_id).await?;
        if !caller.is_volunteer(volunteer_id.as_str()) && !caller.holds_role(Role::Delegate) {
            let owners = boundary::activity_owners(&mut tx, &activity).await?;
            boundary::require_over_any(
                caller,
                Role::ActivityOrganiser,
                &owners,
                "cancelling another volunteer's sign-up",
            )?;
        }
        let Some(part) = store::participation(&mut tx, activity_id, volunteer_id).await? else {
            tx.rollback().await?;
            return Ok(activity);
        };
        require_open(&activity)?;
        if part.check_in_at.is_some()
            || !store::cancel_participation(&mut tx, activity_id, volunteer_id).await?
        {
            return Err(Error::FailedPrecondition {
                kind: "ALREADY_CHECKED_IN",
                subject: format!("activities/{activity_id}"),
                message: format!(
                    "volunteer {volunteer_id} has arrived: their service is recorded, not cancelled"
                ),
            });
        }
        let event = events::participation_changed(&part, Stage::Cancelled);
        self.outbox
            .enqueue(&mut tx, activity_id.as_str(), &event)
            .await?;
        let stored = store::activity(&mut tx, activity_id)
            .await?
            .ok_or_else(|| Error::not_found("activity", activity_id.as_str()))?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }

    /// Changes what `patch` sets on the open activity `id` at `version`. Needs
    /// `activity_organiser` over one of its organisations; a limited caller cannot move it
    /// outside its boundary. A change that changes nothing returns it as it is.
    pub async fn update_activity(
        &self,
        caller: &Caller,
        id: &RecordId,
        version: i64,
        patch: ActivityPatch,
    ) -> Result<Activity, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, id).await?;
        let owners = boundary::activity_owners(&mut tx, &activity).await?;
        boundary::require_over_any(
            caller,
            Role::ActivityOrganiser,
            &owners,
            "changing an activity",
        )?;
        require_open(&activity)?;
        if activity.version != version {
            return Err(Error::Aborted(format!(
                "activity {id} is at version {}, not {version}; read it again",
                activity.version
            )));
        }
        let mut next = activity.clone();
        let mut changed = Vec::new();
        if let Some(title) = patch.title
            && title != next.title
        {
            next.title = title;
            changed.push("title");
        }
        if let Some(start_at) = patch.start_at
            && start_at != next.start_at
        {
            next.start_at = start_at;
            changed.push("start_time");
        }
        if let Some(capacity) = patch.capacity
            && capacity != next.capacity
        {
            if capacity < next.signed_up {
                return Err(Error::FailedPrecondition {
                    kind: "CAPACITY_BELOW_SIGN_UPS",
                    subject: format!("activities/{id}"),
                    message: format!(
                        "{} volunteers are signed up: cancel sign-ups before taking fewer",
                        next.signed_up
                    ),
                });
            }
            next.capacity = capacity;
            changed.push("capacity");
        }
        if let Some(community_id) = patch.community_id
            && community_id != next.community_id
        {
            require_community(&mut tx, &community_id).await?;
            let place = boundary::location(&mut tx, &community_id).await?;
            boundary::require_inside(caller, &owners, &place, "an activity in this community")?;
            next.community_id = community_id;
            changed.push("community_id");
        }
        if let Some(project_id) = patch.project_id
            && project_id != next.project_id
        {
            next.project_id = project_id;
            changed.push("project_id");
        }
        if let Some(co_organisers) = patch.co_organiser_ids
            && co_organisers != next.co_organiser_ids
        {
            require_lead(&next, &co_organisers)?;
            for co_organiser in &co_organisers {
                require_organisation(&mut tx, co_organiser).await?;
            }
            next.co_organiser_ids = co_organisers;
            changed.push("co_organiser_ids");
        }
        if changed.is_empty() {
            tx.rollback().await?;
            return Ok(activity);
        }
        if !store::save(&mut tx, &next, version).await? {
            return Err(Error::Aborted(format!(
                "activity {id} changed meanwhile; read it again"
            )));
        }
        next.version = version + 1;
        let volunteer_ids = store::signed_up_volunteers(&mut tx, id).await?;
        let event = pb::ActivityUpdated {
            changed: changed.iter().map(|field| (*field).to_owned()).collect(),
            volunteer_ids,
            ..pb::ActivityUpdated::from(&next)
        };
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        Ok(next)
    }

    /// Cancels the open activity `id` nobody has arrived at, with `reason`; again returns
    /// it unchanged. Needs `activity_organiser` over one of its organisations.
    pub async fn cancel_activity(
        &self,
        caller: &Caller,
        id: &RecordId,
        reason: &CancelReason,
    ) -> Result<Activity, Error> {
        let mut tx = self.db.begin().await?;
        let activity = seen(&mut tx, caller, id).await?;
        let owners = boundary::activity_owners(&mut tx, &activity).await?;
        boundary::require_over_any(
            caller,
            Role::ActivityOrganiser,
            &owners,
            "cancelling an activity",
        )?;
        match activity.status() {
            ActivityStatus::Cancelled => {
                tx.rollback().await?;
                return Ok(activity);
            }
            ActivityStatus::Completed => return Err(completed(id)),
            ActivityStatus::Open => {}
        }
        if !store::cancel(&mut tx, id, reason.as_str(), now_micros()).await? {
            return Err(Error::FailedPrecondition {
                kind: "ACTIVITY_UNDER_WAY",
                subject: format!("activities/{id}"),
                message: format!("volunteers have arrived at activity {id}: complete it instead"),
            });
        }
        let stored = store::activity(&mut tx, id)
            .await?
            .ok_or_else(|| Error::not_found("activity", id.as_str()))?;
        let event = pb::ActivityCancelled {
            activity_id: id.to_string(),
            kind: stored.kind.as_str().to_owned(),
            community_id: stored.community_id.to_string(),
            reason: reason.to_string(),
            volunteer_ids: store::signed_up_volunteers(&mut tx, id).await?,
        };
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        // The figures count activities held or to be held.
        COUNTERS
            .bump(&mut tx, "activities", stored.kind.as_str(), -1)
            .await?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }

    /// Activities by community, kind and completion, in creation order after `after`;
    /// only those inside the caller's boundary.
    pub async fn activities(
        &self,
        caller: &Caller,
        filters: ActivityFilters<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Activity>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let inside = boundary::inside(&mut conn, caller).await?;
        let (community_id, kind, status) = filters;
        Ok(store::list(&mut conn, community_id, kind, status, &inside, after, limit).await?)
    }

    /// The participation a check changes: the activity seen, the volunteer themself or
    /// an organiser of the activity (or a delegate) checking.
    async fn signed_up(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        caller: &Caller,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
    ) -> Result<Participation, Error> {
        let activity = seen(tx, caller, activity_id).await?;
        if activity.cancelled_at.is_some() {
            return Err(cancelled(activity_id));
        }
        if !caller.is_volunteer(volunteer_id.as_str()) && !caller.holds_role(Role::Delegate) {
            let owners = boundary::activity_owners(tx, &activity).await?;
            boundary::require_over_any(
                caller,
                Role::ActivityOrganiser,
                &owners,
                "checking another volunteer in or out",
            )?;
        }
        store::participation(tx, activity_id, volunteer_id)
            .await?
            .ok_or_else(|| Error::FailedPrecondition {
                kind: "NOT_SIGNED_UP",
                subject: format!("activities/{activity_id}"),
                message: format!("volunteer {volunteer_id} is not signed up"),
            })
    }

    /// Rolls back a change another call made first; returns the participation as stored.
    async fn unchanged(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
    ) -> Result<Participation, Error> {
        tx.rollback().await?;
        let mut conn = self.db.pool().acquire().await?;
        store::participation(&mut conn, activity_id, volunteer_id)
            .await?
            .ok_or_else(|| Error::not_found("activity", activity_id.as_str()))
    }

    /// Enqueues the participation's change and commits; returns it as stored.
    async fn changed(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        activity_id: &RecordId,
        volunteer_id: &RecordId,
        stage: Stage,
    ) -> Result<Participation, Error> {
        let stored = store::participation(&mut tx, activity_id, volunteer_id)
            .await?
            .ok_or_else(|| Error::not_found("activity", activity_id.as_str()))?;
        let event = events::participation_changed(&stored, stage);
        self.outbox
            .enqueue(&mut tx, activity_id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }
}

/// Filters of a list of activities: community, kind and status.
pub type ActivityFilters<'a> = (
    Option<&'a DirectoryId>,
    Option<ActivityKind>,
    Option<ActivityStatus>,
);

/// The activity `id` as the caller sees it: NOT_FOUND when missing or outside.
async fn seen(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Activity, Error> {
    boundary::activity(conn, caller, id)
        .await?
        .ok_or_else(|| Error::not_found("activity", id.as_str()))
}

/// FAILED_PRECONDITION unless the activity is open: completed or cancelled, it takes no
/// more sign-ups or changes.
fn require_open(activity: &Activity) -> Result<(), Error> {
    match activity.status() {
        ActivityStatus::Open => Ok(()),
        ActivityStatus::Completed => Err(completed(&activity.id)),
        ActivityStatus::Cancelled => Err(cancelled(&activity.id)),
    }
}

/// FAILED_PRECONDITION: the activity is cancelled.
fn cancelled(activity_id: &RecordId) -> Error {
    Error::FailedPrecondition {
        kind: "ACTIVITY_CANCELLED",
        subject: format!("activities/{activity_id}"),
        message: format!("activity {activity_id} is cancelled"),
    }
}

/// FAILED_PRECONDITION: the activity is completed.
fn completed(activity_id: &RecordId) -> Error {
    Error::FailedPrecondition {
        kind: "ACTIVITY_COMPLETED",
        subject: format!("activities/{activity_id}"),
        message: format!("activity {activity_id} is completed"),
    }
}

/// FAILED_PRECONDITION (`LEAD_REQUIRED`) unless co-organisers run it with a lead other
/// than any of them.
pub(crate) fn require_lead(
    activity: &Activity,
    co_organisers: &[DirectoryId],
) -> Result<(), Error> {
    if co_organisers.is_empty() {
        return Ok(());
    }
    match &activity.organisation_id {
        Some(lead) if !co_organisers.contains(lead) => Ok(()),
        _ => Err(Error::FailedPrecondition {
            kind: "LEAD_REQUIRED",
            subject: format!("activities/{}", activity.id),
            message: "co-organisers run an activity with a lead organisation, not in \
                      their number"
                .into(),
        }),
    }
}
