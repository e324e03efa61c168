//! Projects of the shared library: created, read, listed and edited.

use xingfu_platform::validate::required;
use xingfu_platform::{Error, FieldViolation, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;

use super::answers;
use super::convert::date_from_proto;
use super::fields::optional;
use crate::access::Access;
use crate::domain::project::{Filter, check_schedule, parse_communities, parse_fen};
use crate::domain::{DirectoryId, Line, NewProject, Note, Patch, RecordId, RequestId};
use crate::ops::Library;
use crate::wire::{category_from_proto, status_from_proto};

/// Longest search text, in characters.
const MAX_SEARCH_CHARS: usize = 100;

/// CreateProject: serving at least one community in the caller's township, if it is
/// limited to one.
pub(super) async fn create(
    library: &Library,
    access: Access,
    r: pb::CreateProjectRequest,
) -> Result<pb::Project, Error> {
    let new = new_project(&r)?;
    access.place_in(new.communities.iter().map(DirectoryId::as_str), "a project")?;
    answers::project(library, library.create_project(new).await?).await
}

/// GetProject.
pub(super) async fn get(
    library: &Library,
    access: Access,
    r: pb::GetProjectRequest,
) -> Result<pb::Project, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    answers::project(library, library.visible_project(&access, &id).await?).await
}

/// ListProjects: those the caller sees.
pub(super) async fn list(
    library: &Library,
    access: Access,
    r: pb::ListProjectsRequest,
) -> Result<pb::ListProjectsResponse, Error> {
    let mut v = Violations::default();
    let text = r.text.trim().to_lowercase();
    if text.chars().count() > MAX_SEARCH_CHARS {
        v.add(
            "text",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        );
    }
    let filter = Filter {
        category: v
            .check(category_from_proto(r.category, "category"))
            .flatten(),
        status: v.check(status_from_proto(r.status, "status")).flatten(),
        community_id: optional(&r.community_id, "community_id", &mut v, DirectoryId::parse),
        lead_organisation: optional(
            &r.lead_organisation_id,
            "lead_organisation_id",
            &mut v,
            DirectoryId::parse,
        ),
        text: (!text.is_empty()).then_some(text),
    };
    v.finish()?;
    let filters = format!("{filter:?}");
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut projects = library
        .projects(&access, &filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut projects, &page, &filters, |p| p.id.as_str());
    Ok(pb::ListProjectsResponse {
        projects: answers::projects(library, projects).await?,
        page: Some(PageResponse { next_page_token }),
    })
}

/// UpdateProject: a project the caller may change, kept where its township caller sees it.
pub(super) async fn update(
    library: &Library,
    access: Access,
    r: pb::UpdateProjectRequest,
) -> Result<pb::Project, Error> {
    let (id, version, patch) = update_of(&r)?;
    if let Some(communities) = &patch.communities {
        access.place_in(communities.iter().map(DirectoryId::as_str), "the project")?;
    }
    let project = library
        .guarded(access.editing())
        .update_project(&id, version, patch)
        .await?;
    answers::project(library, project).await
}

fn new_project(r: &pb::CreateProjectRequest) -> Result<NewProject, Error> {
    let mut v = Violations::default();
    let request_id = v.check(
        RequestId::parse(&r.request_id, "request_id").and_then(|id| {
            if id.as_str().starts_with("need:") {
                Err(FieldViolation::new(
                    "request_id",
                    "must not start with \"need:\" (reserved)",
                ))
            } else {
                Ok(id)
            }
        }),
    );
    let title = v.check(Line::parse(&r.title, "title"));
    let category = v.check(required(
        category_from_proto(r.category, "category"),
        "category",
    ));
    let communities = v.check(parse_communities(&r.community_ids, "community_ids"));
    let description = v.check(Note::parse(&r.description, "description"));
    let budget = v.check(parse_fen(r.planned_budget_fen, "planned_budget_fen"));
    let start = v.check(date_from_proto(r.start_date.as_ref(), "start_date"));
    let end = v.check(date_from_proto(r.end_date.as_ref(), "end_date"));
    if let (Some(start), Some(end)) = (start, end) {
        v.check(check_schedule(start, end, "end_date"));
    }
    let (request_id, title, category, communities, description, planned_budget_fen, start, end) = v
        .finish_with((
            request_id,
            title,
            category,
            communities,
            description,
            budget,
            start,
            end,
        ))?;
    Ok(NewProject {
        request_id,
        title,
        category,
        communities,
        description,
        planned_budget_fen,
        start_date: start,
        end_date: end,
    })
}

/// The project, the version read and the fields the mask names, each checked.
fn update_of(r: &pb::UpdateProjectRequest) -> Result<(RecordId, i64, Patch), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let paths = r
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
    let values = r.values.clone().unwrap_or_default();
    let mut patch = Patch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "title" => patch.title = v.check(Line::parse(&values.title, &field)),
            "category" => {
                patch.category = v.check(required(
                    category_from_proto(values.category, &field),
                    &field,
                ))
            }
            "description" => patch.description = v.check(Note::parse(&values.description, &field)),
            "community_ids" => {
                patch.communities = v.check(parse_communities(&values.community_ids, &field))
            }
            "planned_budget_fen" => {
                patch.planned_budget_fen = v.check(parse_fen(values.planned_budget_fen, &field))
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
    let id = v.finish_with(id)?;
    Ok((id, r.version, patch))
}
