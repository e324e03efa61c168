//! A project's milestones: planned and reported by the lead or a co-organiser, read by
//! whoever sees the project.

use xingfu_platform::{Error, Violations};
use xingfu_proto::projects as pb;

use super::convert::{milestone_to_proto, required_date};
use crate::access::Access;
use crate::domain::{Line, NewMilestone, RecordId, RequestId};
use crate::ops::Library;

/// PlanMilestone: the lead's or a co-organiser's work.
pub(super) async fn plan(
    library: &Library,
    access: Access,
    r: pb::PlanMilestoneRequest,
) -> Result<pb::Milestone, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let project_id = v.check(RecordId::parse(&r.project_id, "project_id"));
    let title = v.check(Line::parse(&r.title, "title"));
    let due_on = v.check(required_date(r.due_date.as_ref(), "due_date"));
    let (request_id, project_id, title, due_on) =
        v.finish_with((request_id, project_id, title, due_on))?;
    let milestone = library
        .guarded(access.guard(Access::owner_work, "planning a milestone"))
        .plan_milestone(NewMilestone {
            request_id,
            project_id,
            title,
            due_on,
        })
        .await?;
    Ok(milestone_to_proto(milestone))
}

/// ReportMilestoneProgress: the lead's or a co-organiser's work.
pub(super) async fn report(
    library: &Library,
    access: Access,
    r: pb::ReportMilestoneProgressRequest,
) -> Result<pb::Milestone, Error> {
    let id = RecordId::parse(&r.milestone_id, "milestone_id")?;
    let milestone = library
        .guarded(access.guard(Access::owner_work, "reporting a milestone's progress"))
        .report_milestone(&id, i64::from(r.progress_percent))
        .await?;
    Ok(milestone_to_proto(milestone))
}

/// ListMilestones: of a project the caller sees.
pub(super) async fn list(
    library: &Library,
    access: Access,
    r: pb::ListMilestonesRequest,
) -> Result<pb::ListMilestonesResponse, Error> {
    let project_id = RecordId::parse(&r.project_id, "project_id")?;
    let project = library.visible_project(&access, &project_id).await?;
    let milestones = library.milestones(&project.id).await?;
    Ok(pb::ListMilestonesResponse {
        milestones: milestones.into_iter().map(milestone_to_proto).collect(),
    })
}
