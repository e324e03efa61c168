//! Visits (幸福敲门): recorded against a led project, listed.

use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;

use super::answers;
use super::convert::required_date;
use super::fields::optional;
use crate::access::Access;
use crate::domain::visit::Filter;
use crate::domain::{DirectoryId, Line, NewVisit, RecordId, RequestId};
use crate::ops::Library;

/// RecordVisit: the lead's or a co-organiser's work.
pub(super) async fn record(
    library: &Library,
    access: Access,
    r: pb::RecordVisitRequest,
) -> Result<pb::Visit, Error> {
    let new = new_visit(&r)?;
    let visit = library
        .guarded(access.guard(Access::owner_work, "recording a visit"))
        .record_visit(new)
        .await?;
    answers::visit(library, visit).await
}

/// ListVisits: those of projects the caller sees.
pub(super) async fn list(
    library: &Library,
    access: Access,
    r: pb::ListVisitsRequest,
) -> Result<pb::ListVisitsResponse, Error> {
    let mut v = Violations::default();
    let filter = Filter {
        project_id: optional(&r.project_id, "project_id", &mut v, RecordId::parse),
        community_id: optional(&r.community_id, "community_id", &mut v, DirectoryId::parse),
    };
    v.finish()?;
    // As when the ids were strings (`Some("…")`), so page tokens stay valid.
    let filters = format!(
        "{:?}/{:?}",
        filter.project_id.as_ref().map(RecordId::as_str),
        filter.community_id.as_ref().map(DirectoryId::as_str),
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut visits = library
        .visits(&access, &filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut visits, &page, &filters, |v| v.id.as_str());
    Ok(pb::ListVisitsResponse {
        visits: answers::visits(library, visits).await?,
        page: Some(PageResponse { next_page_token }),
    })
}

fn new_visit(r: &pb::RecordVisitRequest) -> Result<NewVisit, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let project_id = v.check(RecordId::parse(&r.project_id, "project_id"));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let date = v.check(required_date(r.date.as_ref(), "date"));
    let kind = v.check(Line::parse(&r.kind, "kind"));
    let volunteer_ids: Vec<_> = r
        .volunteer_ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| v.check(DirectoryId::parse(id, &format!("volunteer_ids[{i}]"))))
        .collect();
    let (request_id, project_id, community, date, kind) =
        v.finish_with((request_id, project_id, community, date, kind))?;
    Ok(NewVisit {
        request_id,
        project_id,
        community,
        date,
        kind,
        person_times: r.person_times,
        volunteer_ids,
    })
}
