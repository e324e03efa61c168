//! Problems: requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{RecordId, RequestId, Text};
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::workshops as pb;

use super::fields::optional_id;
use crate::access::Scope;
use crate::domain::problems::{NewProblem, Problem, ProblemCategory, ProblemStatus};
use crate::ops::Workshops;

enum_map!(category_to_proto, category_from_proto, ProblemCategory, pb::ProblemCategory, "problem category", {
    Construction <=> Construction,
    FirmMatching <=> FirmMatching,
    InternalManagement <=> InternalManagement,
    Other <=> Other,
});

enum_map!(status_to_proto, status_from_proto, ProblemStatus, pb::ProblemStatus, "problem status", {
    Open <=> Open,
    Assigned <=> Assigned,
    Escalated <=> Escalated,
    Resolved <=> Resolved,
});

/// RaiseProblem.
pub(super) async fn raise(
    workshops: &Workshops,
    r: pb::RaiseProblemRequest,
) -> Result<pb::Problem, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let workshop = v.check(RecordId::parse(&r.workshop_id, "workshop_id"));
    let category = v.check(validate::required(
        category_from_proto(r.category, "category"),
        "category",
    ));
    let description = v.check(Text::parse(&r.description, "description"));
    let (request_id, workshop_id, category, description) =
        v.finish_with((request_id, workshop, category, description))?;
    let problem = workshops
        .raise_problem(NewProblem {
            request_id,
            workshop_id,
            category,
            description,
        })
        .await?;
    Ok(problem_to_proto(problem))
}

/// GetProblem.
pub(super) async fn get(
    workshops: &Workshops,
    r: pb::GetProblemRequest,
) -> Result<pb::Problem, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(problem_to_proto(workshops.problem(&id).await?))
}

/// ListProblems.
pub(super) async fn list(
    workshops: &Workshops,
    r: pb::ListProblemsRequest,
    scope: &Scope,
) -> Result<pb::ListProblemsResponse, Error> {
    let mut v = Violations::default();
    let workshop = optional_id(&r.workshop_id, "workshop_id", RecordId::parse, &mut v);
    let status = v.check(status_from_proto(r.status, "status")).flatten();
    let category = v
        .check(category_from_proto(r.category, "category"))
        .flatten();
    v.finish()?;
    let key = format!(
        "{:?}/{status:?}/{category:?}",
        workshop.as_ref().map(RecordId::as_str)
    );
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let mut found = workshops
        .problems(
            workshop.as_ref(),
            status,
            category,
            scope,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |p| p.id.as_str());
    Ok(pb::ListProblemsResponse {
        problems: found.into_iter().map(problem_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// AssignProblem.
pub(super) async fn assign(
    workshops: &Workshops,
    r: pb::AssignProblemRequest,
) -> Result<pb::Problem, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.problem_id, "problem_id"));
    let volunteer = v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"));
    let (id, volunteer) = v.finish_with((id, volunteer))?;
    let problem = workshops.assign_problem(&id, &volunteer).await?;
    Ok(problem_to_proto(problem))
}

/// ResolveProblem.
pub(super) async fn resolve(
    workshops: &Workshops,
    r: pb::ResolveProblemRequest,
) -> Result<pb::Problem, Error> {
    let (id, text) = id_and_text(&r.problem_id, &r.resolution, "resolution")?;
    Ok(problem_to_proto(
        workshops.resolve_problem(&id, &text).await?,
    ))
}

/// EscalateProblem.
pub(super) async fn escalate(
    workshops: &Workshops,
    r: pb::EscalateProblemRequest,
) -> Result<pb::Problem, Error> {
    let (id, text) = id_and_text(&r.problem_id, &r.reason, "reason")?;
    Ok(problem_to_proto(
        workshops.escalate_problem(&id, &text).await?,
    ))
}

fn id_and_text(id: &str, text: &str, field: &str) -> Result<(RecordId, Text<1000>), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(id, "problem_id"));
    let text = v.check(Text::parse(text, field));
    v.finish_with((id, text))
}

fn problem_to_proto(p: Problem) -> pb::Problem {
    let age_days = p.age_days(now_micros());
    pb::Problem {
        id: p.id.into_string(),
        workshop_id: p.workshop_id.into_string(),
        category: category_to_proto(p.category) as i32,
        description: p.description.into_string(),
        status: status_to_proto(p.status) as i32,
        assignee_id: p.assignee_id.map(String::from).unwrap_or_default(),
        resolution: p.resolution.map(String::from).unwrap_or_default(),
        escalation_reason: p.escalation_reason.map(String::from).unwrap_or_default(),
        create_time: Some(to_timestamp(p.created_at)),
        resolve_time: p.resolved_at.map(to_timestamp),
        age_days,
    }
}
