//! `xingfu.projects.v1.ProjectsService`: requests parsed into the domain, the operations,
//! answers built from the domain; errors mapped once by the platform. One module per area
//! of the API; this one only routes.
//!
//! Every call is admitted the same way: its caller's boundaries and grants are resolved
//! (`crate::access::Access`) before the handler runs. The rules that need the parsed
//! request (where a record may be placed, who may act for an organisation, the guard a
//! write runs on its project under its lock) are each handler's first steps.

mod answers;
mod claims;
mod contracts;
mod convert;
mod fields;
mod figures;
mod import;
mod lifecycle;
mod milestones;
mod needs;
mod projects;
mod timeline;
mod visits;

use tonic::{Request, Response, Status, Streaming};
use xingfu_platform::trust::Caller;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_server::ProjectsService;

use crate::ops::Library;

/// The API over the shared library.
#[derive(Clone)]
pub struct ProjectsApi {
    library: Library,
}

impl ProjectsApi {
    /// The API over `library`.
    pub fn new(library: Library) -> Self {
        Self { library }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Routes each call to its area's handler, `handler(&library, access, request)`, once
/// the caller's access is resolved: `method(Request) -> Response => handler;`.
macro_rules! routes {
    ($($method:ident($request:ty) -> $response:ty => $handler:path;)*) => {
        #[tonic::async_trait]
        impl ProjectsService for ProjectsApi {
            $(
                async fn $method(&self, request: Request<$request>) -> Answer<$response> {
                    let caller = Caller::from_metadata(request.metadata());
                    let access = self.library.access(&caller).await?;
                    let answer = $handler(&self.library, access, request.into_inner());
                    Ok(Response::new(answer.await?))
                }
            )*
        }
    };
}

routes! {
    submit_need(pb::SubmitNeedRequest) -> pb::Need => needs::submit;
    get_need(pb::GetNeedRequest) -> pb::Need => needs::get;
    list_needs(pb::ListNeedsRequest) -> pb::ListNeedsResponse => needs::list;
    review_need(pb::ReviewNeedRequest) -> pb::Need => needs::review;
    import_needs(Streaming<pb::ImportNeedsChunk>) -> pb::ImportNeedsResponse => needs::import;

    create_project(pb::CreateProjectRequest) -> pb::Project => projects::create;
    get_project(pb::GetProjectRequest) -> pb::Project => projects::get;
    list_projects(pb::ListProjectsRequest) -> pb::ListProjectsResponse => projects::list;
    update_project(pb::UpdateProjectRequest) -> pb::Project => projects::update;

    publish_project(pb::TransitionRequest) -> pb::Project => lifecycle::publish;
    start_project(pb::TransitionRequest) -> pb::Project => lifecycle::start;
    complete_project(pb::CompleteProjectRequest) -> pb::Project => lifecycle::complete;
    cancel_project(pb::CancelProjectRequest) -> pb::Project => lifecycle::cancel;

    claim_project(pb::ClaimProjectRequest) -> pb::Project => claims::claim;
    dispatch_project(pb::DispatchProjectRequest) -> pb::Project => claims::dispatch;
    respond_to_dispatch(pb::RespondToDispatchRequest) -> pb::Project => claims::respond;
    hand_over_project(pb::HandOverProjectRequest) -> pb::Project => claims::hand_over;
    add_co_organiser(pb::AddCoOrganiserRequest) -> pb::Project => claims::add_co_organiser;

    record_visit(pb::RecordVisitRequest) -> pb::Visit => visits::record;
    list_visits(pb::ListVisitsRequest) -> pb::ListVisitsResponse => visits::list;

    add_progress_update(pb::AddProgressUpdateRequest) -> pb::HistoryEntry => timeline::add_progress;
    plan_milestone(pb::PlanMilestoneRequest) -> pb::Milestone => milestones::plan;
    report_milestone_progress(pb::ReportMilestoneProgressRequest) -> pb::Milestone => milestones::report;
    list_milestones(pb::ListMilestonesRequest) -> pb::ListMilestonesResponse => milestones::list;
    list_project_history(pb::ListProjectHistoryRequest) -> pb::ListProjectHistoryResponse => timeline::history;
    trace_project(pb::GetProjectRequest) -> pb::ProjectTrace => timeline::trace;

    sign_contract(pb::SignContractRequest) -> pb::Contract => contracts::sign;
    get_contract(pb::GetContractRequest) -> pb::Contract => contracts::get;
    list_contracts(pb::ListContractsRequest) -> pb::ListContractsResponse => contracts::list;
    renew_contract(pb::RenewContractRequest) -> pb::Contract => contracts::renew;
    terminate_contract(pb::TerminateContractRequest) -> pb::Contract => contracts::terminate;

    get_community_summary(pb::GetCommunitySummaryRequest) -> pb::CommunitySummary => figures::community_summary;
    get_project_stats(pb::GetProjectStatsRequest) -> pb::ProjectStats => figures::stats;
}
