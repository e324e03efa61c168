//! Between the domain and `xingfu.projects.v1`: dates, and resources with the directory
//! ids they mention marked verified or not (the enums are in `crate::wire`).

use xingfu_platform::FieldViolation;
use xingfu_platform::time::to_timestamp;
use xingfu_proto::common::{CommunityRef, Date as PbDate, Money, OrganisationRef};
use xingfu_proto::projects as pb;

use crate::domain::{
    Contract, Date, DirectoryId, HistoryEntry, Milestone, Need, Project, Verified, Visit,
};
use crate::wire::{
    category_to_proto, channel_to_proto, contract_status_to_proto, history_kind_to_proto,
    need_status_to_proto, provider_kind_to_proto, status_to_proto,
};

/// A proto date as a domain date; `None` when absent.
pub(super) fn date_from_proto(
    date: Option<&PbDate>,
    field: &str,
) -> Result<Option<Date>, FieldViolation> {
    xingfu_platform::validate::date(date, field)
}

/// A proto date that must be set, as a domain date.
pub(super) fn required_date(date: Option<&PbDate>, field: &str) -> Result<Date, FieldViolation> {
    date_from_proto(date, field)
        .and_then(|d| d.ok_or_else(|| FieldViolation::new(field, "must be set")))
}

fn date_to_proto(date: Date) -> PbDate {
    date.into()
}

/// Community `id`, marked verified when the directory knows it.
pub(super) fn community_ref(verified: &Verified, id: &DirectoryId) -> CommunityRef {
    CommunityRef {
        id: id.to_string(),
        verified: verified.communities.contains(id.as_str()),
    }
}

fn organisation_ref(verified: &Verified, id: &DirectoryId) -> OrganisationRef {
    OrganisationRef {
        id: id.to_string(),
        verified: verified.organisations.contains(id.as_str()),
    }
}

/// A project's outcome as the API shows it.
pub(super) fn outcome_to_proto(outcome: crate::domain::Outcome) -> pb::Outcome {
    pb::Outcome {
        beneficiaries: outcome.beneficiaries,
        summary: outcome.summary.into_string(),
    }
}

/// A project as the API shows it.
pub(super) fn project_to_proto(project: Project, verified: &Verified) -> pb::Project {
    let organisation = |o: &DirectoryId| organisation_ref(verified, o);
    let dispatch_overdue = project.dispatch_overdue(Date::today());
    pb::Project {
        id: project.id.into_string(),
        title: project.title.into_string(),
        category: category_to_proto(project.category) as i32,
        communities: project
            .communities
            .iter()
            .map(|c| community_ref(verified, c))
            .collect(),
        description: project.description.into_string(),
        status: status_to_proto(project.status) as i32,
        create_time: Some(to_timestamp(project.created_at)),
        update_time: Some(to_timestamp(project.updated_at)),
        version: project.version,
        planned_budget: Some(Money::cny(project.planned_budget_fen)),
        start_date: project.start_date.map(date_to_proto),
        end_date: project.end_date.map(date_to_proto),
        lead_organisation: project.lead_organisation.as_ref().map(organisation),
        co_organisers: project.co_organisers.iter().map(organisation).collect(),
        pending_dispatch: project.pending_dispatch.as_ref().map(organisation),
        need_ids: project.need_ids.into_iter().map(String::from).collect(),
        outcome: project.outcome.map(outcome_to_proto),
        cancel_reason: project.cancel_reason.map(String::from).unwrap_or_default(),
        visits: project.visits,
        person_times: project.person_times,
        funded: Some(Money::cny(project.funded_fen)),
        volunteer_minutes: project.volunteer_minutes,
        dispatch_overdue,
        dispatch_respond_by: project.dispatch_respond_by.map(date_to_proto),
    }
}

/// A milestone as the API shows it, overdue as of today.
pub(super) fn milestone_to_proto(m: Milestone) -> pb::Milestone {
    pb::Milestone {
        overdue: m.overdue(Date::today()),
        id: m.id.into_string(),
        project_id: m.project_id.into_string(),
        title: m.title.into_string(),
        due_date: Some(date_to_proto(m.due_on)),
        progress_percent: i32::try_from(m.progress).unwrap_or(100),
        reach_time: m.reached_at.map(to_timestamp),
        create_time: Some(to_timestamp(m.created_at)),
    }
}

/// A need as the API shows it (the contact masked).
pub(super) fn need_to_proto(need: Need, verified: &Verified) -> pb::Need {
    pb::Need {
        id: need.id.into_string(),
        channel: channel_to_proto(need.channel) as i32,
        community: Some(community_ref(verified, &need.community_id)),
        description: need.description.into_string(),
        suggested_category: need
            .suggested_category
            .map_or(0, |c| category_to_proto(c) as i32),
        contact_masked: need.contact_masked,
        status: need_status_to_proto(need.status) as i32,
        project_id: need.project_id.map(String::from).unwrap_or_default(),
        duplicate_of: need.duplicate_of.map(String::from).unwrap_or_default(),
        decline_reason: need.decline_reason.map(String::from).unwrap_or_default(),
        create_time: Some(to_timestamp(need.created_at)),
        review_time: need.reviewed_at.map(to_timestamp),
    }
}

/// A visit as the API shows it.
pub(super) fn visit_to_proto(visit: Visit, verified: &Verified) -> pb::Visit {
    pb::Visit {
        id: visit.id.into_string(),
        project_id: visit.project_id.into_string(),
        community: Some(community_ref(verified, &visit.community_id)),
        date: Some(date_to_proto(visit.date)),
        kind: visit.kind.into_string(),
        person_times: visit.person_times,
        volunteer_ids: visit.volunteer_ids.into_iter().map(String::from).collect(),
        create_time: Some(to_timestamp(visit.created_at)),
    }
}

/// A contract as the API shows it.
pub(super) fn contract_to_proto(contract: Contract, verified: &Verified) -> pb::Contract {
    pb::Contract {
        id: contract.id.into_string(),
        provider_kind: provider_kind_to_proto(contract.provider_kind) as i32,
        provider_id: contract.provider_id.into_string(),
        community: Some(community_ref(verified, &contract.community_id)),
        services: contract.services.into_iter().map(String::from).collect(),
        start_date: Some(date_to_proto(contract.start_date)),
        end_date: Some(date_to_proto(contract.end_date)),
        status: contract_status_to_proto(contract.status) as i32,
        termination_reason: contract
            .termination_reason
            .map(String::from)
            .unwrap_or_default(),
        project_id: contract.project_id.map(String::from).unwrap_or_default(),
        renewals: contract.renewals,
        create_time: Some(to_timestamp(contract.created_at)),
    }
}

/// A timeline entry as the API shows it.
pub(super) fn history_to_proto(entry: HistoryEntry) -> pb::HistoryEntry {
    pb::HistoryEntry {
        sequence: entry.sequence,
        kind: history_kind_to_proto(entry.kind) as i32,
        detail: entry.detail,
        organisation_id: entry.organisation_id.map(String::from).unwrap_or_default(),
        time: Some(to_timestamp(entry.at)),
    }
}
