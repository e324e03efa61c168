//! Claim and dispatch (领办 / 派单): who leads a project and who helps.

use xingfu_platform::{Error, Violations};
use xingfu_proto::projects as pb;

use super::answers;
use super::convert::date_from_proto;
use crate::access::Access;
use crate::domain::{Date, DirectoryId, Reason, RecordId};
use crate::ops::Library;

/// ClaimProject: by a principal of the organisation claiming, of a project the caller
/// sees.
pub(super) async fn claim(
    library: &Library,
    access: Access,
    r: pb::ClaimProjectRequest,
) -> Result<pb::Project, Error> {
    let (id, org) = project_and_organisation(&r.id, &r.organisation_id)?;
    access.act_for(org.as_str(), "claiming a project")?;
    let guarded = library.guarded(access.seeing());
    library.visible_project(&access, &id).await?;
    answers::project(library, guarded.claim_project(&id, &org).await?).await
}

/// DispatchProject: by an administrator over the organisation dispatched to, of a project
/// the caller sees.
pub(super) async fn dispatch(
    library: &Library,
    access: Access,
    r: pb::DispatchProjectRequest,
) -> Result<pb::Project, Error> {
    let (id, org) = project_and_organisation(&r.id, &r.organisation_id)?;
    let respond_by = date_from_proto(r.respond_by.as_ref(), "respond_by")?;
    if respond_by.is_some_and(|by| by < Date::today()) {
        return Err(Error::invalid("respond_by", "must not be before today"));
    }
    access.dispatch_to(org.as_str())?;
    library.visible_project(&access, &id).await?;
    let project = library
        .guarded(access.seeing())
        .dispatch_project(&id, &org, respond_by)
        .await?;
    answers::project(library, project).await
}

/// RespondToDispatch: by a principal of the organisation dispatched to; declining needs
/// a reason.
pub(super) async fn respond(
    library: &Library,
    access: Access,
    r: pb::RespondToDispatchRequest,
) -> Result<pb::Project, Error> {
    let (id, org, declined) = if r.accept {
        let (id, org) = project_and_organisation(&r.id, &r.organisation_id)?;
        (id, org, None)
    } else {
        let (id, org, reason) = project_organisation_reason(&r.id, &r.organisation_id, &r.reason)?;
        (id, org, Some(reason))
    };
    access.act_for(org.as_str(), "answering a dispatch")?;
    let project = library
        .guarded(access.seeing())
        .respond_to_dispatch(&id, &org, declined.as_ref())
        .await?;
    answers::project(library, project).await
}

/// HandOverProject: the lead's decision, with a reason.
pub(super) async fn hand_over(
    library: &Library,
    access: Access,
    r: pb::HandOverProjectRequest,
) -> Result<pb::Project, Error> {
    let (id, org, reason) = project_organisation_reason(&r.id, &r.organisation_id, &r.reason)?;
    let project = library
        .guarded(access.guard(Access::lead_work, "handing over a project"))
        .hand_over_project(&id, &org, &reason)
        .await?;
    answers::project(library, project).await
}

/// AddCoOrganiser: the lead's decision.
pub(super) async fn add_co_organiser(
    library: &Library,
    access: Access,
    r: pb::AddCoOrganiserRequest,
) -> Result<pb::Project, Error> {
    let (id, org) = project_and_organisation(&r.id, &r.organisation_id)?;
    let project = library
        .guarded(access.guard(Access::lead_work, "adding a co-organiser"))
        .add_co_organiser(&id, &org)
        .await?;
    answers::project(library, project).await
}

/// A project id and an organisation.
fn project_and_organisation(
    id: &str,
    organisation: &str,
) -> Result<(RecordId, DirectoryId), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(id, "id"));
    let org = v.check(DirectoryId::parse(organisation, "organisation_id"));
    v.finish_with((id, org))
}

/// A project id, an organisation and a reason.
fn project_organisation_reason(
    id: &str,
    organisation: &str,
    reason: &str,
) -> Result<(RecordId, DirectoryId, Reason), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(id, "id"));
    let org = v.check(DirectoryId::parse(organisation, "organisation_id"));
    let reason = v.check(Reason::parse(reason, "reason"));
    v.finish_with((id, org, reason))
}
