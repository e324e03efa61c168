//! Between the domain and `xingfu.projects.v1`: enums, dates, and resources with their
//! directory references marked verified or not.

use std::collections::HashSet;

use xingfu_platform::FieldViolation;
use xingfu_platform::time::to_timestamp;
use xingfu_proto::common::{CommunityRef, Date as PbDate, Money, OrganisationRef};
use xingfu_proto::projects as pb;

use crate::domain::{Contract, Date, HistoryEntry, Need, Project, Visit};
pub use crate::wire::*;

/// A proto date as a domain date; `None` when absent.
pub fn date_from_proto(date: Option<&PbDate>, field: &str) -> Result<Option<Date>, FieldViolation> {
    xingfu_platform::validate::date(date, field)
}

/// A domain date as a proto date.
pub fn date_to_proto(date: Date) -> PbDate {
    date.into()
}

/// Amount in fen as `Money` (CNY).
pub fn money(fen: i64) -> Money {
    Money::cny(fen)
}

/// Directory ids the volunteers service has confirmed.
#[derive(Debug, Default)]
pub struct Verified {
    /// Known organisations.
    pub organisations: HashSet<String>,
    /// Known communities.
    pub communities: HashSet<String>,
}

impl Verified {
    fn community(&self, id: &str) -> CommunityRef {
        CommunityRef {
            id: id.to_owned(),
            verified: self.communities.contains(id),
        }
    }

    fn organisation(&self, id: &str) -> OrganisationRef {
        OrganisationRef {
            id: id.to_owned(),
            verified: self.organisations.contains(id),
        }
    }
}

/// A project as the API shows it.
pub fn project_to_proto(project: Project, verified: &Verified) -> pb::Project {
    pb::Project {
        id: project.id,
        title: project.title,
        category: category_to_proto(project.category) as i32,
        communities: project
            .communities
            .iter()
            .map(|c| verified.community(c))
            .collect(),
        description: project.description,
        status: status_to_proto(project.status) as i32,
        create_time: Some(to_timestamp(project.created_at)),
        update_time: Some(to_timestamp(project.updated_at)),
        version: project.version,
        planned_budget: Some(money(project.planned_budget_fen)),
        start_date: project.start_date.map(date_to_proto),
        end_date: project.end_date.map(date_to_proto),
        lead_organisation: project
            .lead_organisation
            .as_deref()
            .map(|o| verified.organisation(o)),
        co_organisers: project
            .co_organisers
            .iter()
            .map(|o| verified.organisation(o))
            .collect(),
        pending_dispatch: project
            .pending_dispatch
            .as_deref()
            .map(|o| verified.organisation(o)),
        need_ids: project.need_ids,
        outcome: project.outcome.map(|o| pb::Outcome {
            beneficiaries: o.beneficiaries,
            summary: o.summary,
        }),
        cancel_reason: project.cancel_reason.unwrap_or_default(),
        visits: project.visits,
        person_times: project.person_times,
        funded: Some(money(project.funded_fen)),
        volunteer_minutes: project.volunteer_minutes,
    }
}

/// A need as the API shows it (the contact masked).
pub fn need_to_proto(need: Need, verified: &Verified) -> pb::Need {
    pb::Need {
        id: need.id,
        channel: channel_to_proto(need.channel) as i32,
        community: Some(verified.community(&need.community_id)),
        description: need.description,
        suggested_category: need
            .suggested_category
            .map_or(0, |c| category_to_proto(c) as i32),
        contact_masked: need.contact_masked,
        status: need_status_to_proto(need.status) as i32,
        project_id: need.project_id.unwrap_or_default(),
        duplicate_of: need.duplicate_of.unwrap_or_default(),
        decline_reason: need.decline_reason.unwrap_or_default(),
        create_time: Some(to_timestamp(need.created_at)),
        review_time: need.reviewed_at.map(to_timestamp),
    }
}

/// A visit as the API shows it.
pub fn visit_to_proto(visit: Visit, verified: &Verified) -> pb::Visit {
    pb::Visit {
        id: visit.id,
        project_id: visit.project_id,
        community: Some(verified.community(&visit.community_id)),
        date: Some(date_to_proto(visit.date)),
        kind: visit.kind,
        person_times: visit.person_times,
        volunteer_ids: visit.volunteer_ids,
        create_time: Some(to_timestamp(visit.created_at)),
    }
}

/// A contract as the API shows it.
pub fn contract_to_proto(contract: Contract, verified: &Verified) -> pb::Contract {
    pb::Contract {
        id: contract.id,
        provider_kind: provider_kind_to_proto(contract.provider_kind) as i32,
        provider_id: contract.provider_id,
        community: Some(verified.community(&contract.community_id)),
        services: contract.services,
        start_date: Some(date_to_proto(contract.start_date)),
        end_date: Some(date_to_proto(contract.end_date)),
        status: contract_status_to_proto(contract.status) as i32,
        termination_reason: contract.termination_reason.unwrap_or_default(),
        project_id: contract.project_id.unwrap_or_default(),
        renewals: contract.renewals,
        create_time: Some(to_timestamp(contract.created_at)),
    }
}

/// A timeline entry as the API shows it.
pub fn history_to_proto(entry: HistoryEntry) -> pb::HistoryEntry {
    pb::HistoryEntry {
        sequence: entry.sequence,
        kind: history_kind_to_proto(entry.kind) as i32,
        detail: entry.detail,
        organisation_id: entry.organisation_id.unwrap_or_default(),
        time: Some(to_timestamp(entry.at)),
    }
}
