//! The events the operations publish (`xingfu_proto::projects`), built from domain values
//! so the outbox never depends on how the API answers.

use xingfu_platform::time::to_timestamp;
use xingfu_proto::projects as pb;

use crate::domain::{
    Contract, ContractStatus, Date, DirectoryId, HistoryEntry, Need, Project, Reason, RecordId,
    Visit,
};
use crate::wire::{
    category_to_proto, channel_to_proto, contract_status_to_proto, need_status_to_proto,
    provider_kind_to_proto, status_to_proto,
};

/// Directory ids as events carry them.
fn id_strings(ids: &[DirectoryId]) -> Vec<String> {
    ids.iter().map(DirectoryId::to_string).collect()
}

impl From<&Project> for pb::ProjectCreated {
    fn from(project: &Project) -> Self {
        Self {
            project_id: project.id.to_string(),
            title: project.title.to_string(),
            category: category_to_proto(project.category) as i32,
            // The first community, for consumers older than `community_ids`.
            community_id: project
                .communities
                .first()
                .map(DirectoryId::to_string)
                .unwrap_or_default(),
            create_time: Some(to_timestamp(project.created_at)),
            community_ids: id_strings(&project.communities),
            planned_budget_fen: project.planned_budget_fen,
        }
    }
}

impl From<&Project> for pb::ProjectPublished {
    fn from(project: &Project) -> Self {
        Self {
            project_id: project.id.to_string(),
            title: project.title.to_string(),
            category: category_to_proto(project.category) as i32,
            community_ids: id_strings(&project.communities),
            planned_budget_fen: project.planned_budget_fen,
        }
    }
}

/// An edit: the project as it is now and the names of what changed. `project` is as
/// read before its save, so the version it reports is one on.
pub(super) fn updated(project: &Project, changed: Vec<String>) -> pb::ProjectUpdated {
    pb::ProjectUpdated {
        project_id: project.id.to_string(),
        version: project.version + 1,
        changed,
        title: project.title.to_string(),
        category: category_to_proto(project.category) as i32,
        community_ids: id_strings(&project.communities),
        planned_budget_fen: project.planned_budget_fen,
        co_organiser_ids: id_strings(&project.co_organisers),
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
        project_id: after.id.to_string(),
        from: status_to_proto(before.status) as i32,
        to: status_to_proto(after.status) as i32,
        reason: reason.to_owned(),
        beneficiaries,
    }
}

/// A dispatch that `organisation` declined: the project stays PUBLISHED.
pub(super) fn dispatch_declined(
    project_id: &RecordId,
    organisation: &DirectoryId,
    reason: &Reason,
) -> pb::ProjectStatusChanged {
    pb::ProjectStatusChanged {
        project_id: project_id.to_string(),
        from: pb::ProjectStatus::Published as i32,
        to: pb::ProjectStatus::Published as i32,
        reason: format!("dispatch declined by {organisation}: {reason}"),
        beneficiaries: 0,
    }
}

/// A project dispatched to `organisation`, awaiting its answer.
pub(super) fn dispatched(
    project_id: &RecordId,
    organisation: &DirectoryId,
    respond_by: Option<Date>,
) -> pb::ProjectDispatched {
    pb::ProjectDispatched {
        project_id: project_id.to_string(),
        organisation_id: organisation.to_string(),
        respond_by: respond_by.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// `project`'s lead set `via` a claim, an accepted dispatch or a hand-over from `previous`.
pub(super) fn claimed(
    project: &Project,
    via: &str,
    previous: Option<DirectoryId>,
) -> pb::ProjectClaimed {
    pb::ProjectClaimed {
        project_id: project.id.to_string(),
        organisation_id: project
            .lead_organisation
            .as_ref()
            .map(DirectoryId::to_string)
            .unwrap_or_default(),
        via: via.to_owned(),
        previous_organisation_id: previous.map(String::from).unwrap_or_default(),
    }
}

/// A need recorded; whether it came with a contact, never the contact itself.
pub(super) fn need_submitted(need: &Need, has_contact: bool) -> pb::NeedSubmitted {
    pb::NeedSubmitted {
        need_id: need.id.to_string(),
        channel: channel_to_proto(need.channel) as i32,
        community_id: need.community_id.to_string(),
        suggested_category: need
            .suggested_category
            .map_or(0, |c| category_to_proto(c) as i32),
        has_contact,
    }
}

impl From<&Need> for pb::NeedReviewed {
    fn from(need: &Need) -> Self {
        Self {
            need_id: need.id.to_string(),
            status: need_status_to_proto(need.status) as i32,
            project_id: need
                .project_id
                .as_ref()
                .map(RecordId::to_string)
                .unwrap_or_default(),
            duplicate_of: need
                .duplicate_of
                .as_ref()
                .map(RecordId::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Visit> for pb::VisitRecorded {
    fn from(visit: &Visit) -> Self {
        Self {
            visit_id: visit.id.to_string(),
            project_id: visit.project_id.to_string(),
            community_id: visit.community_id.to_string(),
            date: visit.date.to_string(),
            person_times: visit.person_times,
            volunteer_ids: id_strings(&visit.volunteer_ids),
            kind: visit.kind.to_string(),
        }
    }
}

/// A progress update or milestone, `entry` of `project_id`'s timeline.
pub(super) fn progress_recorded(
    project_id: &RecordId,
    entry: &HistoryEntry,
    milestone: bool,
) -> pb::ProgressRecorded {
    pb::ProgressRecorded {
        project_id: project_id.to_string(),
        sequence: entry.sequence,
        milestone,
        text: entry.detail.clone(),
    }
}

/// A contract signed, or renewed (`renewal`) to its new end.
pub(super) fn contract_signed(contract: &Contract, renewal: bool) -> pb::ContractSigned {
    pb::ContractSigned {
        contract_id: contract.id.to_string(),
        provider_kind: provider_kind_to_proto(contract.provider_kind) as i32,
        provider_id: contract.provider_id.to_string(),
        community_id: contract.community_id.to_string(),
        start_date: contract.start_date.to_string(),
        end_date: contract.end_date.to_string(),
        renewal,
    }
}

/// A contract ended: TERMINATED early or EXPIRED, with why.
pub(super) fn contract_ended(
    id: &RecordId,
    status: ContractStatus,
    reason: String,
) -> pb::ContractEnded {
    pb::ContractEnded {
        contract_id: id.to_string(),
        status: contract_status_to_proto(status) as i32,
        reason,
    }
}
