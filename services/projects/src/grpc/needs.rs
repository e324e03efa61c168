//! Residents' needs: submitted one by one or imported from questionnaire files, listed,
//! reviewed into projects.

use futures_util::StreamExt as _;
use tonic::{Status, Streaming};
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;

use super::fields::optional;
use super::{answers, import};
use crate::access::Access;
use crate::domain::need::Filter;
use crate::domain::{
    Contact, Decision, DirectoryId, Line, NeedKey, NewNeed, Reason, RecordId, RequestId, Text,
};
use crate::ops::Library;
use crate::wire::{category_from_proto, channel_from_proto, need_status_from_proto};

/// SubmitNeed: a need of a community in the caller's township, if it is limited to one.
pub(super) async fn submit(
    library: &Library,
    access: Access,
    r: pb::SubmitNeedRequest,
) -> Result<pb::Need, Error> {
    let new = new_need(&r)?;
    access.place_in([new.community.as_str()], "a need")?;
    answers::need(library, library.submit_need(new).await?).await
}

/// GetNeed.
pub(super) async fn get(
    library: &Library,
    access: Access,
    r: pb::GetNeedRequest,
) -> Result<pb::Need, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    answers::need(library, library.visible_need(&access, &id).await?).await
}

/// ListNeeds: those the caller sees.
pub(super) async fn list(
    library: &Library,
    access: Access,
    r: pb::ListNeedsRequest,
) -> Result<pb::ListNeedsResponse, Error> {
    let mut v = Violations::default();
    let filter = Filter {
        status: v
            .check(need_status_from_proto(r.status, "status"))
            .flatten(),
        channel: v.check(channel_from_proto(r.channel, "channel")).flatten(),
        community_id: optional(&r.community_id, "community_id", &mut v, DirectoryId::parse),
        category: v
            .check(category_from_proto(r.category, "category"))
            .flatten(),
    };
    v.finish()?;
    let filters = format!("{filter:?}");
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut needs = library
        .needs(&access, &filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut needs, &page, &filters, |n| n.id.as_str());
    Ok(pb::ListNeedsResponse {
        needs: answers::needs(library, needs).await?,
        page: Some(PageResponse { next_page_token }),
    })
}

/// ReviewNeed: of a need the caller sees (and, for a duplicate, of another it sees), on
/// a project it may change.
pub(super) async fn review(
    library: &Library,
    access: Access,
    r: pb::ReviewNeedRequest,
) -> Result<pb::Need, Error> {
    let (id, decision) = review_of(&r)?;
    library.visible_need(&access, &id).await?;
    if let Decision::Duplicate { need_id } = &decision
        && need_id != &id
    {
        library.visible_need(&access, need_id).await?;
    }
    let need = library
        .guarded(access.editing())
        .review_need(&id, decision)
        .await?;
    answers::need(library, need).await
}

/// ImportNeeds: a questionnaire file streamed in chunks; a row outside the caller's
/// township is refused as a bad row is, with its line.
pub(super) async fn import(
    library: &Library,
    access: Access,
    mut stream: Streaming<pb::ImportNeedsChunk>,
) -> Result<pb::ImportNeedsResponse, Status> {
    let mut data = Vec::new();
    while let Some(chunk) = stream.next().await {
        data.extend_from_slice(&chunk?.data);
        if data.len() > import::MAX_FILE_BYTES {
            return Err(Error::invalid(
                "data",
                format!("the file is larger than {} bytes", import::MAX_FILE_BYTES),
            )
            .into());
        }
    }
    let (rows, mut report) = import::parse(&data).map_err(Error::from)?;
    let (rows, outside): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(_, new)| access.place_in([new.community.as_str()], "a need").is_ok());
    report
        .rejected
        .extend(outside.into_iter().map(|(line, new)| {
            let reason = format!(
                "community {} is outside the caller's township",
                new.community.as_str()
            );
            (line, reason)
        }));
    report.rejected.sort_by_key(|(line, _)| *line);
    let report = library.import_needs(rows, report).await?;
    Ok(pb::ImportNeedsResponse {
        imported: report.imported,
        already_imported: report.already_imported,
        rejected: report
            .rejected
            .into_iter()
            .map(|(line, reason)| pb::RowError { line, reason })
            .collect(),
    })
}

fn new_need(r: &pb::SubmitNeedRequest) -> Result<NewNeed, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let channel = v.check(required(
        channel_from_proto(r.channel, "channel"),
        "channel",
    ));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let description = v.check(Text::parse(&r.description, "description"));
    let suggested_category = v.check(category_from_proto(
        r.suggested_category,
        "suggested_category",
    ));
    let contact = r.contact.clone().unwrap_or_default();
    let contact = v.check(Contact::parse(&contact.name, &contact.phone, "contact"));
    let (request_id, channel, community, description, suggested_category, contact) = v
        .finish_with((
            request_id,
            channel,
            community,
            description,
            suggested_category,
            contact,
        ))?;
    Ok(NewNeed {
        key: NeedKey::Request(request_id),
        channel,
        community,
        description,
        suggested_category,
        contact,
    })
}

fn review_of(r: &pb::ReviewNeedRequest) -> Result<(RecordId, Decision), Error> {
    use pb::review_need_request::Decision as D;
    let mut v = Violations::default();
    let need_id = v.check(RecordId::parse(&r.need_id, "need_id"));
    let decision = match &r.decision {
        // The request's rules require a member (`oneof_required` in the proto).
        None => {
            return Err(Error::Unexpected(anyhow::anyhow!(
                "a ReviewNeed request without a decision passed the request's rules"
            )));
        }
        Some(D::Accept(accept)) => {
            let title = v.check(Line::parse(&accept.title, "accept.title"));
            let category = v.check(category_from_proto(accept.category, "accept.category"));
            title
                .zip(category)
                .map(|(title, category)| Decision::Accept { title, category })
        }
        Some(D::Attach(attach)) => v
            .check(RecordId::parse(&attach.project_id, "attach.project_id"))
            .map(|project_id| Decision::Attach { project_id }),
        Some(D::Duplicate(duplicate)) => v
            .check(RecordId::parse(&duplicate.need_id, "duplicate.need_id"))
            .map(|need_id| Decision::Duplicate { need_id }),
        Some(D::Decline(decline)) => v
            .check(Reason::parse(&decline.reason, "decline.reason"))
            .map(|reason| Decision::Decline { reason }),
    };
    v.finish_with((need_id, decision))
}
