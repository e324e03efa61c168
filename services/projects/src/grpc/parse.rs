//! Requests into domain values: every bad field of a request is reported at once.

use xingfu_platform::validate::required;
use xingfu_platform::{Error, FieldViolation, Violations, validate};
use xingfu_proto::projects as pb;

use super::convert::{
    category_from_proto, channel_from_proto, date_from_proto, provider_kind_from_proto,
};
use crate::domain::{
    self, Contact, Decision, DirectoryId, NeedKey, NewContract, NewNeed, NewProject, NewVisit,
    Outcome, Patch, parse_reason,
};

/// Every field of `CreateProjectRequest`, under `prefix` (empty, or `values.`).
pub fn new_project(
    request: &pb::CreateProjectRequest,
    v: &mut Violations,
    prefix: &str,
) -> Option<NewProject> {
    let f = |name: &str| format!("{prefix}{name}");
    let request_id = if prefix.is_empty() {
        v.check(
            validate::request_id(&request.request_id, "request_id").and_then(|id| {
                if id.starts_with("need:") {
                    Err(FieldViolation::new(
                        "request_id",
                        "must not start with \"need:\" (reserved)",
                    ))
                } else {
                    Ok(id)
                }
            }),
        )
    } else {
        Some(String::new())
    };
    let title = v.check(domain::project::parse_title(&request.title, &f("title")));
    let category = v.check(required(
        category_from_proto(request.category, &f("category")),
        &f("category"),
    ));
    let communities = v.check(domain::project::parse_communities(
        &request.community_ids,
        &f("community_ids"),
    ));
    let description = v.check(domain::project::parse_description(
        &request.description,
        &f("description"),
    ));
    let budget = v.check(domain::project::parse_fen(
        request.planned_budget_fen,
        &f("planned_budget_fen"),
    ));
    let start = v.check(date_from_proto(
        request.start_date.as_ref(),
        &f("start_date"),
    ));
    let end = v.check(date_from_proto(request.end_date.as_ref(), &f("end_date")));
    if let (Some(start), Some(end)) = (start, end) {
        v.check(domain::project::check_schedule(start, end, &f("end_date")));
    }
    Some(NewProject {
        request_id: request_id?,
        title: title?,
        category: category?,
        communities: communities?,
        description: description?,
        planned_budget_fen: budget?,
        start_date: start?,
        end_date: end?,
    })
}

/// `CreateProjectRequest`.
pub fn create_project(request: &pb::CreateProjectRequest) -> Result<NewProject, Error> {
    let mut v = Violations::default();
    let new = new_project(request, &mut v, "");
    v.finish()?;
    new.ok_or_else(|| Error::invalid("", "invalid request"))
}

/// `UpdateProjectRequest`: only the fields named in the mask are checked and changed.
pub fn update_project(request: &pb::UpdateProjectRequest) -> Result<(String, i64, Patch), Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(&request.id, "id"));
    if request.version <= 0 {
        v.add("version", "must be the version you read (1 or more)");
    }
    let paths = request
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
    let values = request.values.clone().unwrap_or_default();
    let mut patch = Patch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "title" => patch.title = v.check(domain::project::parse_title(&values.title, &field)),
            "category" => {
                patch.category = v.check(required(
                    category_from_proto(values.category, &field),
                    &field,
                ))
            }
            "description" => {
                patch.description = v.check(domain::project::parse_description(
                    &values.description,
                    &field,
                ))
            }
            "community_ids" => {
                patch.communities = v.check(domain::project::parse_communities(
                    &values.community_ids,
                    &field,
                ))
            }
            "planned_budget_fen" => {
                patch.planned_budget_fen = v.check(domain::project::parse_fen(
                    values.planned_budget_fen,
                    &field,
                ))
            }
            "start_date" => {
                patch.start_date = v.check(date_from_proto(values.start_date.as_ref(), &field))
            }
            "end_date" => {
                patch.end_date = v.check(date_from_proto(values.end_date.as_ref(), &field))
            }
            other => v.add("update_mask", format!("{other:?} is not an editable field")),
        }
    }
    v.finish()?;
    Ok((id.unwrap_or_default(), request.version, patch))
}

/// An id field that must be a UUID.
pub fn id(value: &str, field: &str) -> Result<String, Error> {
    Ok(validate::uuid(value, field)?)
}

/// A project id and an optional expected version.
pub fn transition(id: &str, version: i64) -> Result<(String, i64), Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(id, "id"));
    if version < 0 {
        v.add("version", "must not be negative");
    }
    v.finish()?;
    Ok((id.unwrap_or_default(), version))
}

/// A project id and an organisation.
pub fn project_and_organisation(
    id: &str,
    organisation: &str,
) -> Result<(String, DirectoryId), Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(id, "id"));
    let org = v.check(DirectoryId::parse(organisation, "organisation_id"));
    v.finish()?;
    match (id, org) {
        (Some(id), Some(org)) => Ok((id, org)),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `CompleteProjectRequest`.
pub fn complete(request: &pb::CompleteProjectRequest) -> Result<(String, i64, Outcome), Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(&request.id, "id"));
    let outcome = request.outcome.clone().unwrap_or_default();
    if outcome.beneficiaries < 0 {
        v.add("outcome.beneficiaries", "must not be negative");
    }
    let summary = v.check(
        validate::multi_line(&outcome.summary, "outcome.summary", 2000).and_then(|s| {
            if s.is_empty() {
                Err(FieldViolation::new("outcome.summary", "must not be empty"))
            } else {
                Ok(s)
            }
        }),
    );
    if request.version < 0 {
        v.add("version", "must not be negative");
    }
    v.finish()?;
    Ok((
        id.unwrap_or_default(),
        request.version,
        Outcome {
            beneficiaries: outcome.beneficiaries,
            summary: summary.unwrap_or_default(),
        },
    ))
}

/// A project id, an organisation and, when `needs_reason`, a reason: every bad field at once.
pub fn project_organisation_reason(
    id: &str,
    organisation: &str,
    reason: &str,
    needs_reason: bool,
) -> Result<(String, DirectoryId, String), Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(id, "id"));
    let org = v.check(DirectoryId::parse(organisation, "organisation_id"));
    let reason = if needs_reason {
        v.check(parse_reason(reason, "reason"))
    } else {
        Some(String::new())
    };
    v.finish()?;
    match (id, org, reason) {
        (Some(id), Some(org), Some(reason)) => Ok((id, org, reason)),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `SubmitNeedRequest`.
pub fn submit_need(request: &pb::SubmitNeedRequest) -> Result<NewNeed, Error> {
    let mut v = Violations::default();
    let request_id = v.check(validate::request_id(&request.request_id, "request_id"));
    let channel = v.check(required(
        channel_from_proto(request.channel, "channel"),
        "channel",
    ));
    let community = v.check(DirectoryId::parse(&request.community_id, "community_id"));
    let description = v.check(domain::need::parse_need_description(
        &request.description,
        "description",
    ));
    let category = v.check(category_from_proto(
        request.suggested_category,
        "suggested_category",
    ));
    let contact = request.contact.clone().unwrap_or_default();
    let contact = v.check(Contact::parse(&contact.name, &contact.phone, "contact"));
    v.finish()?;
    match (
        request_id,
        channel,
        community,
        description,
        category,
        contact,
    ) {
        (
            Some(request_id),
            Some(channel),
            Some(community),
            Some(description),
            Some(suggested_category),
            Some(contact),
        ) => Ok(NewNeed {
            key: NeedKey::Request(request_id),
            channel,
            community,
            description,
            suggested_category,
            contact,
        }),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `ReviewNeedRequest`.
pub fn review_need(request: &pb::ReviewNeedRequest) -> Result<(String, Decision), Error> {
    use pb::review_need_request::Decision as D;
    let mut v = Violations::default();
    let need_id = v.check(validate::uuid(&request.need_id, "need_id"));
    let decision = match &request.decision {
        None => {
            v.add(
                "decision",
                "must be one of accept, attach, duplicate, decline",
            );
            None
        }
        Some(D::Accept(accept)) => {
            let title = v.check(domain::project::parse_title(&accept.title, "accept.title"));
            let category = v.check(category_from_proto(accept.category, "accept.category"));
            title
                .zip(category)
                .map(|(title, category)| Decision::Accept { title, category })
        }
        Some(D::Attach(attach)) => v
            .check(validate::uuid(&attach.project_id, "attach.project_id"))
            .map(|project_id| Decision::Attach { project_id }),
        Some(D::Duplicate(duplicate)) => v
            .check(validate::uuid(&duplicate.need_id, "duplicate.need_id"))
            .map(|need_id| Decision::Duplicate { need_id }),
        Some(D::Decline(decline)) => v
            .check(parse_reason(&decline.reason, "decline.reason"))
            .map(|reason| Decision::Decline { reason }),
    };
    v.finish()?;
    need_id
        .zip(decision)
        .ok_or_else(|| Error::invalid("", "invalid request"))
}

/// `RecordVisitRequest`.
pub fn record_visit(request: &pb::RecordVisitRequest) -> Result<NewVisit, Error> {
    let mut v = Violations::default();
    let request_id = v.check(validate::request_id(&request.request_id, "request_id"));
    let project_id = v.check(validate::uuid(&request.project_id, "project_id"));
    let community = v.check(DirectoryId::parse(&request.community_id, "community_id"));
    let date = v.check(
        date_from_proto(request.date.as_ref(), "date")
            .and_then(|d| d.ok_or_else(|| FieldViolation::new("date", "must be set"))),
    );
    let kind = v.check(validate::single_line(&request.kind, "kind", 100));
    if !(1..=domain::visit::MAX_PERSON_TIMES).contains(&request.person_times) {
        v.add(
            "person_times",
            format!("must be 1 to {}", domain::visit::MAX_PERSON_TIMES),
        );
    }
    if request.volunteer_ids.len() > domain::visit::MAX_VOLUNTEERS {
        v.add(
            "volunteer_ids",
            format!(
                "must name at most {} volunteers",
                domain::visit::MAX_VOLUNTEERS
            ),
        );
    }
    let volunteers: Vec<_> = request
        .volunteer_ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| v.check(DirectoryId::parse(id, &format!("volunteer_ids[{i}]"))))
        .collect();
    v.finish()?;
    match (request_id, project_id, community, date, kind) {
        (Some(request_id), Some(project_id), Some(community), Some(date), Some(kind)) => {
            Ok(NewVisit {
                request_id,
                project_id,
                community,
                date,
                kind,
                person_times: request.person_times,
                volunteer_ids: volunteers,
            })
        }
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `SignContractRequest`.
pub fn sign_contract(request: &pb::SignContractRequest) -> Result<NewContract, Error> {
    let mut v = Violations::default();
    let request_id = v.check(validate::request_id(&request.request_id, "request_id"));
    let kind = v.check(required(
        provider_kind_from_proto(request.provider_kind, "provider_kind"),
        "provider_kind",
    ));
    let provider = v.check(DirectoryId::parse(&request.provider_id, "provider_id"));
    let community = v.check(DirectoryId::parse(&request.community_id, "community_id"));
    if request.services.is_empty() || request.services.len() > domain::contract::MAX_SERVICES {
        v.add(
            "services",
            format!("must list 1 to {} services", domain::contract::MAX_SERVICES),
        );
    }
    let services: Vec<String> = request
        .services
        .iter()
        .enumerate()
        .filter_map(|(i, s)| v.check(validate::single_line(s, &format!("services[{i}]"), 100)))
        .collect();
    let dates = |d: Option<&xingfu_proto::common::Date>, field: &str| {
        date_from_proto(d, field)
            .and_then(|d| d.ok_or_else(|| FieldViolation::new(field, "must be set")))
    };
    let start = v.check(dates(request.start_date.as_ref(), "start_date"));
    let end = v.check(dates(request.end_date.as_ref(), "end_date"));
    if let (Some(start), Some(end)) = (start, end) {
        v.check(domain::project::check_schedule(
            Some(start),
            Some(end),
            "end_date",
        ));
    }
    let project_id = if request.project_id.is_empty() {
        Some(None)
    } else {
        v.check(validate::uuid(&request.project_id, "project_id"))
            .map(Some)
    };
    v.finish()?;
    match (
        request_id, kind, provider, community, start, end, project_id,
    ) {
        (
            Some(request_id),
            Some(provider_kind),
            Some(provider),
            Some(community),
            Some(start_date),
            Some(end_date),
            Some(project_id),
        ) => Ok(NewContract {
            request_id,
            provider_kind,
            provider,
            community,
            services,
            start_date,
            end_date,
            project_id,
        }),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// An optional directory id filter.
pub fn optional_directory_id(value: &str, field: &str, v: &mut Violations) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        v.check(validate::directory_id(value, field))
    }
}
