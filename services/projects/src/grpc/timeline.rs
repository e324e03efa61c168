//! A project's timeline: progress updates added, the timeline read page by page, and the
//! trace from needs to what was delivered.

use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;

use super::answers;
use super::convert::{history_to_proto, outcome_to_proto};
use crate::access::Access;
use crate::domain::{RecordId, RequestId, Text};
use crate::ops::{Library, Trace};

/// AddProgressUpdate: the lead's or a co-organiser's work.
pub(super) async fn add_progress(
    library: &Library,
    access: Access,
    r: pb::AddProgressUpdateRequest,
) -> Result<pb::HistoryEntry, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let project_id = v.check(RecordId::parse(&r.project_id, "project_id"));
    let text = v.check(Text::parse(&r.text, "text"));
    let (request_id, project_id, text) = v.finish_with((request_id, project_id, text))?;
    let entry = library
        .guarded(access.guard(Access::owner_work, "adding a progress update"))
        .add_progress(&request_id, &project_id, &text, r.milestone)
        .await?;
    Ok(history_to_proto(entry))
}

/// ListProjectHistory: of a project the caller sees; the page token is a sequence number.
pub(super) async fn history(
    library: &Library,
    access: Access,
    r: pb::ListProjectHistoryRequest,
) -> Result<pb::ListProjectHistoryResponse, Error> {
    let project_id = RecordId::parse(&r.project_id, "project_id")?;
    let page = paging::parse(r.page.as_ref(), project_id.as_str(), "page")?;
    let after: i64 = match page.after.as_deref().map(str::parse) {
        None => 0,
        Some(Ok(seq)) => seq,
        Some(Err(_)) => {
            return Err(Error::invalid(
                "page.page_token",
                "is not a token this query returned",
            ));
        }
    };
    let project = library.visible_project(&access, &project_id).await?;
    let mut entries = library
        .history(&project.id, after, page.fetch_limit())
        .await?;
    let next_page_token = if entries.len() > page.size {
        entries.truncate(page.size);
        entries
            .last()
            .map(|e| paging::next_token(&e.sequence.to_string(), project_id.as_str()))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::ListProjectHistoryResponse {
        entries: entries.into_iter().map(history_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// TraceProject: of a project the caller sees.
pub(super) async fn trace(
    library: &Library,
    access: Access,
    r: pb::GetProjectRequest,
) -> Result<pb::ProjectTrace, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    let Trace {
        project,
        needs,
        claims,
        visits,
    } = library.trace(&access, &id).await?;
    let outcome = project.outcome.clone().map(outcome_to_proto);
    Ok(pb::ProjectTrace {
        needs: answers::needs(library, needs).await?,
        project: Some(answers::project(library, project).await?),
        claims: claims.into_iter().map(history_to_proto).collect(),
        visits: answers::visits(library, visits).await?,
        outcome,
    })
}
