//! A project's way through its lifecycle: published, started, completed, cancelled.

use xingfu_platform::{Error, Violations};
use xingfu_proto::projects as pb;

use super::answers;
use crate::access::Access;
use crate::domain::{Outcome, Reason, RecordId, Text};
use crate::ops::Library;

/// PublishProject: a project the caller may change.
pub(super) async fn publish(
    library: &Library,
    access: Access,
    r: pb::TransitionRequest,
) -> Result<pb::Project, Error> {
    let (id, version) = transition(&r.id, r.version)?;
    let project = library
        .guarded(access.editing())
        .publish_project(&id, version)
        .await?;
    answers::project(library, project).await
}

/// StartProject: the lead's or a co-organiser's work.
pub(super) async fn start(
    library: &Library,
    access: Access,
    r: pb::TransitionRequest,
) -> Result<pb::Project, Error> {
    let (id, version) = transition(&r.id, r.version)?;
    let project = library
        .guarded(access.guard(Access::owner_work, "starting a project"))
        .start_project(&id, version)
        .await?;
    answers::project(library, project).await
}

/// CompleteProject: the lead's or a co-organiser's work.
pub(super) async fn complete(
    library: &Library,
    access: Access,
    r: pb::CompleteProjectRequest,
) -> Result<pb::Project, Error> {
    let (id, version, outcome) = completion(&r)?;
    let project = library
        .guarded(access.guard(Access::owner_work, "completing a project"))
        .complete_project(&id, version, outcome)
        .await?;
    answers::project(library, project).await
}

/// CancelProject: a project the caller may change.
pub(super) async fn cancel(
    library: &Library,
    access: Access,
    r: pb::CancelProjectRequest,
) -> Result<pb::Project, Error> {
    let guarded = library.guarded(access.editing());
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    let project = guarded.cancel_project(&id, r.version, reason).await?;
    answers::project(library, project).await
}

/// A project id and the version read (0: any).
fn transition(id: &str, version: i64) -> Result<(RecordId, i64), Error> {
    Ok((RecordId::parse(id, "id")?, version))
}

fn completion(r: &pb::CompleteProjectRequest) -> Result<(RecordId, i64, Outcome), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let outcome = r.outcome.clone().unwrap_or_default();
    let summary = v.check(Text::parse(&outcome.summary, "outcome.summary"));
    let (id, summary) = v.finish_with((id, summary))?;
    let outcome = Outcome {
        beneficiaries: outcome.beneficiaries,
        summary,
    };
    Ok((id, r.version, outcome))
}
