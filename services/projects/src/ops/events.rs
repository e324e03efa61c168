//! The events the operations publish (`xingfu_proto::projects`), built from domain values
//! so the outbox never depends on how the API answers.

use xingfu_platform::time::to_timestamp;
use xingfu_proto::projects as pb;

use crate::domain::{Contract, ContractStatus, HistoryEntry, Need, Project, Visit};
use crate::wire::{
    category_to_proto, channel_to_proto, contract_status_to_proto, need_status_to_proto,
    provider_kind_to_proto, status_to_proto,
};

impl From<&Project> for pb::ProjectCreated {
    fn from(project: &Project) -> Self {
        Self {
            project_id: project.id.clone(),
            title: project.title.clone(),
            category: category_to_proto(project.category) as i32,
            // The first community, for consumers older than `community_ids`.
            community_id: project.communities.first().cloned().unwrap_or_default(),
            create_time: Some(to_timestamp(project.created_at)),
            community_ids: project.communities.clone(),
            planned_budget_fen: project.planned_budget_fen,
        }
    }
}

impl From<&Project> for pb::ProjectPublished {
    fn from(project: &Project) -> Self {
        Self {
            project_id: project.id.clone(),
            title: project.title.clone(),
            category: category_to_proto(project.category) as i32,
            community_ids: project.communities.clone(),
            planned_budget_fen: project.planned_budget_fen,
        }
    }
}

/// An edit: the project as it is now and the names of what changed. `project` is as
/// read before its save, so the version it reports is one on.
pub(super) fn updated(project: &Project, changed: Vec<String>) -> pb::ProjectUpdated {
    pb::ProjectUpdated {
        project_id: project.id.clone(),
        version: project.version + 1,
        changed,
        title: project.title.clone(),
        category: category_to_proto(project.category) as i32,
        community_ids: project.communities.clone(),
        planned_budget_fen: project.planned_budget_fen,
        co_organiser_ids: project.co_organisers.clone(),
    }
}

/// A move through the lifecycle from `before` to `after`.
pub(super) fn status_changed(
    before: &Project,
    after: &Project,
    reason: &str,
    beneficiaries: i64,
) -> pb::ProjectStatusChanged {
    pb::ProjectStatusChanged {
        project_id: after.id.clone(),
        from: status_to_proto(before.status) as i32,
        to: status_to_proto(after.status) as i32,
        reason: reason.to_owned(),
        beneficiaries,
    }
}

/// A dispatch that `organisation` declined: the project stays PUBLISHED.
pub(super) fn dispatch_declined(
    project_id: &str,
    organisation: &str,
    reason: &str,
) -> pb::ProjectStatusChanged {
    pb::ProjectStatusChanged {
        project_id: project_id.to_owned(),
        from: pb::ProjectStatus::Published as i32,
        to: pb::ProjectStatus::Published as i32,
        reason: format!("dispatch declined by {organisation}: {reason}"),
        beneficiaries: 0,
    }
}

/// A project dispatched to `organisation`, awaiting its answer.
pub(super) fn dispatched(project_id: &str, organisation: String) -> pb::ProjectDispatched {
    pb::ProjectDispatched {
        project_id: project_id.to_owned(),
        organisation_id: organisation,
    }
}

/// `project`'s lead set `via` a claim, an accepted dispatch or a hand-over from `previous`.
pub(super) fn claimed(
    project: &Project,
    via: &str,
    previous: Option<String>,
) -> pb::ProjectClaimed {
    pb::ProjectClaimed {
        project_id: project.id.clone(),
        organisation_id: project.lead_organisation.clone().unwrap_or_default(),
        via: via.to_owned(),
        previous_organisation_id: previous.unwrap_or_default(),
    }
}

/// A need recorded; whether it came with a contact, never the contact itself.
pub(super) fn need_submitted(need: &Need, has_contact: bool) -> pb::NeedSubmitted {
    pb::NeedSubmitted {
        need_id: need.id.clone(),
        channel: channel_to_proto(need.channel) as i32,
        community_id: need.community_id.clone(),
        suggested_category: need
            .suggested_category
            .map_or(0, |c| category_to_proto(c) as i32),
        has_contact,
    }
}

impl From<&Need> for pb::NeedReviewed {
    fn from(need: &Need) -> Self {
        Self {
            need_id: need.id.clone(),
            status: need_status_to_proto(need.status) as i32,
            project_id: need.project_id.clone().unwrap_or_default(),
            duplicate_of: need.duplicate_of.clone().unwrap_or_default(),
        }
    }
}

impl From<&Visit> for pb::VisitRecorded {
    fn from(visit: &Visit) -> Self {
        Self {
            visit_id: visit.id.clone(),
            project_id: visit.project_id.clone(),
            community_id: visit.community_id.clone(),
            date: visit.date.to_string(),
            person_times: visit.person_times,
            volunteer_ids: visit.volunteer_ids.clone(),
            kind: visit.kind.clone(),
        }
    }
}

/// A progress update or milestone, `entry` of `project_id`'s timeline.
pub(super) fn progress_recorded(
    project_id: &str,
    entry: &HistoryEntry,
    milestone: bool,
) -> pb::ProgressRecorded {
    pb::ProgressRecorded {
        project_id: project_id.to_owned(),
        sequence: entry.sequence,
        milestone,
        text: entry.detail.clone(),
    }
}

/// A contract signed, or renewed (`renewal`) to its new end.
pub(super) fn contract_signed(contract: &Contract, renewal: bool) -> pb::ContractSigned {
    pb::ContractSigned {
        contract_id: contract.id.clone(),
        provider_kind: provider_kind_to_proto(contract.provider_kind) as i32,
        provider_id: contract.provider_id.clone(),
        community_id: contract.community_id.clone(),
        start_date: contract.start_date.to_string(),
        end_date: contract.end_date.to_string(),
        renewal,
    }
}

/// A contract ended: TERMINATED early or EXPIRED, with why.
pub(super) fn contract_ended(
    id: &str,
    status: ContractStatus,
    reason: String,
) -> pb::ContractEnded {
    pb::ContractEnded {
        contract_id: id.to_owned(),
        status: contract_status_to_proto(status) as i32,
        reason,
    }
}
