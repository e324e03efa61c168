//! The calls about verified service (hour summaries), organisations' links with the
//! communities they serve, and the Four Ones report: requests parsed into the domain,
//! answers built from it. Exporting a volunteer's record is `export`'s.

use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use super::activities::kind_to_proto;
use crate::domain::records::{CommunityLink, HoursScope};
use crate::ops::Volunteers;

/// SummariseHours: one volunteer's, organisation's or community's verified service
/// over a period.
pub(super) async fn summarise_hours(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::SummariseHoursRequest,
) -> Result<pb::HoursSummary, Error> {
    let mut v = Violations::default();
    let scope = match (
        r.volunteer_id.is_empty(),
        r.organisation_id.is_empty(),
        r.community_id.is_empty(),
    ) {
        (false, true, true) => v
            .check(RecordId::parse(&r.volunteer_id, "volunteer_id"))
            .map(HoursScope::Volunteer),
        (true, false, true) => v
            .check(DirectoryId::parse(&r.organisation_id, "organisation_id"))
            .map(HoursScope::Organisation),
        (true, true, false) => v
            .check(DirectoryId::parse(&r.community_id, "community_id"))
            .map(HoursScope::Community),
        _ => {
            v.add(
                "volunteer_id",
                "give exactly one of volunteer_id, organisation_id and community_id",
            );
            None
        }
    };
    let from = v.check(validate::date(r.from.as_ref(), "from"));
    let to = v.check(validate::date(r.to.as_ref(), "to"));
    if let (Some(Some(from)), Some(Some(to))) = (from, to)
        && to < from
    {
        v.add("to", "must not be before from");
    }
    let (scope, from, to) = v.finish_with((scope, from, to))?;
    let summary = volunteers.summarise_hours(caller, scope, from, to).await?;
    Ok(pb::HoursSummary {
        minutes: summary.minutes,
        records: summary.records,
        volunteers: summary.volunteers,
    })
}

/// LinkCommunity.
pub(super) async fn link_community(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CommunityLinkRequest,
) -> Result<pb::CommunityLink, Error> {
    set_link(volunteers, caller, &r, true).await
}

/// UnlinkCommunity.
pub(super) async fn unlink_community(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CommunityLinkRequest,
) -> Result<pb::CommunityLink, Error> {
    set_link(volunteers, caller, &r, false).await
}

async fn set_link(
    volunteers: &Volunteers,
    caller: &Caller,
    r: &pb::CommunityLinkRequest,
    linked: bool,
) -> Result<pb::CommunityLink, Error> {
    let mut v = Violations::default();
    let organisation = v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let (organisation_id, community_id) = v.finish_with((organisation, community))?;
    let link = CommunityLink {
        organisation_id,
        community_id,
        linked,
    };
    let link = volunteers.set_community_link(caller, link).await?;
    Ok(pb::CommunityLink {
        organisation_id: link.organisation_id.into_string(),
        community_id: link.community_id.into_string(),
        linked: link.linked,
    })
}

/// FourOnesReport: a page of the year's links, each with its Four Ones done.
pub(super) async fn four_ones_report(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::FourOnesReportRequest,
) -> Result<pb::FourOnesReportResponse, Error> {
    let mut v = Violations::default();
    let organisation = if r.organisation_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"))
            .map(Some)
    };
    let organisation = v.finish_with(organisation)?;
    let filters = format!(
        "{}/{:?}/{}",
        r.year,
        organisation.as_ref().map(DirectoryId::as_str),
        r.missing_only
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    // Directory ids never hold a '/', so the pair's key splits back unambiguously.
    let after = page.after.as_deref().and_then(|key| key.split_once('/'));
    let report = volunteers
        .four_ones(
            caller,
            r.year,
            organisation.as_ref(),
            r.missing_only,
            after,
            page.size,
        )
        .await?;
    let next_page_token = match (&report.last, report.more) {
        (Some((org, community)), true) => {
            paging::next_token(&format!("{org}/{community}"), &filters)
        }
        _ => String::new(),
    };
    Ok(pb::FourOnesReportResponse {
        rows: report
            .rows
            .into_iter()
            .map(|row| {
                let missing = row
                    .missing()
                    .into_iter()
                    .map(|k| kind_to_proto(k) as i32)
                    .collect();
                let [
                    festival_visits,
                    collective_birthdays,
                    collective_exchanges,
                    practical_matters,
                ] = row.done;
                pb::FourOnesRow {
                    organisation_id: row.organisation_id.into_string(),
                    community_id: row.community_id.into_string(),
                    festival_visits,
                    collective_birthdays,
                    collective_exchanges,
                    practical_matters,
                    missing,
                }
            })
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}
