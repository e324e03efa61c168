//! `xingfu.volunteers.v1.VolunteersService`: requests parsed into the domain, the
//! operations, answers built from the domain; errors mapped once by the platform. One
//! module per area of the API; this one only routes.

mod activities;
mod directory;
mod evaluations;
mod export;
mod import;
mod records;
mod register;
mod stats;
mod teams;
mod wishes;

use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_server::VolunteersService;

use crate::access;
use crate::ops::Volunteers;

/// The API over the directory, the register, activities, teams, evaluations and wishes.
#[derive(Clone)]
pub struct VolunteersApi {
    volunteers: Volunteers,
}

impl VolunteersApi {
    /// The API over `volunteers`.
    pub fn new(volunteers: Volunteers) -> Self {
        Self { volunteers }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Routes each call to its area's handler: `method(Request) -> Response => handler;`,
/// the handler given the caller (every record it reads or writes is checked against the
/// caller's boundary in `ops`), with `, admit check` where [`access`] must let the caller
/// in before the request is read. Under `public` (first), the directory's reads, which
/// every caller may make: they get no caller.
macro_rules! routes {
    (
        $(type $stream:ident = $stream_type:ty;)*
        public {
            $($p_method:ident($p_request:ty) -> $p_response:ty => $p_handler:path;)*
        }
        $($method:ident($request:ty) -> $response:ty => $handler:path $(, admit $admit:path)?;)*
    ) => {
        #[tonic::async_trait]
        impl VolunteersService for VolunteersApi {
            $(type $stream = $stream_type;)*
            $(
                async fn $p_method(&self, request: Request<$p_request>) -> Answer<$p_response> {
                    let answer = $p_handler(&self.volunteers, request.into_inner());
                    Ok(Response::new(answer.await?))
                }
            )*
            $(
                async fn $method(&self, request: Request<$request>) -> Answer<$response> {
                    let caller = Caller::from_metadata(request.metadata());
                    $($admit(&caller)?;)?
                    let answer = $handler(&self.volunteers, &caller, request.into_inner());
                    Ok(Response::new(answer.await?))
                }
            )*
        }
    };
}

routes! {
    type ExportServiceRecordStream = ReceiverStream<Result<pb::ExportChunk, Status>>;
    type ExportNationalRecordsStream = ReceiverStream<Result<pb::ExportChunk, Status>>;
    public {
        get_organisation(pb::GetOrganisationRequest) -> pb::Organisation => directory::get_organisation;
        list_organisations(pb::ListOrganisationsRequest) -> pb::ListOrganisationsResponse => directory::list_organisations;
        get_community(pb::GetCommunityRequest) -> pb::Community => directory::get_community;
        list_communities(pb::ListCommunitiesRequest) -> pb::ListCommunitiesResponse => directory::list_communities;
    }
    register_organisation(pb::RegisterOrganisationRequest) -> pb::Organisation => directory::register_organisation;
    update_organisation(pb::UpdateOrganisationRequest) -> pb::Organisation => directory::update_organisation;
    register_community(pb::RegisterCommunityRequest) -> pb::Community => directory::register_community;
    update_community(pb::UpdateCommunityRequest) -> pb::Community => directory::update_community;
    import_directory(Streaming<pb::ImportDirectoryChunk>) -> pb::ImportDirectoryResponse => import::import_directory,
        admit access::importing_the_directory;

    register_volunteer(pb::RegisterVolunteerRequest) -> pb::Volunteer => register::register_volunteer;
    get_volunteer(pb::GetVolunteerRequest) -> pb::Volunteer => register::get_volunteer;
    list_volunteers(pb::ListVolunteersRequest) -> pb::ListVolunteersResponse => register::list_volunteers;
    find_volunteer(pb::FindVolunteerRequest) -> pb::Volunteer => register::find_volunteer,
        admit access::finding_by_personal_data;
    update_volunteer(pb::UpdateVolunteerRequest) -> pb::Volunteer => register::update_volunteer;
    withdraw_volunteer(pb::WithdrawVolunteerRequest) -> pb::Volunteer => register::withdraw_volunteer;
    erase_volunteer(pb::EraseVolunteerRequest) -> pb::Volunteer => register::erase_volunteer,
        admit access::erasing_personal_data;
    list_affiliations(pb::ListAffiliationsRequest) -> pb::ListAffiliationsResponse => register::list_affiliations;

    create_activity(pb::CreateActivityRequest) -> pb::Activity => activities::create_activity;
    get_activity(pb::GetActivityRequest) -> pb::Activity => activities::get_activity;
    list_activities(pb::ListActivitiesRequest) -> pb::ListActivitiesResponse => activities::list_activities;
    sign_up(pb::SignUpRequest) -> pb::Participation => activities::sign_up;
    check_in(pb::CheckRequest) -> pb::Participation => activities::check_in;
    check_out(pb::CheckRequest) -> pb::Participation => activities::check_out;
    verify_hours(pb::VerifyHoursRequest) -> pb::VerifyHoursResponse => activities::verify_hours;
    complete_activity(pb::CompleteActivityRequest) -> pb::Activity => activities::complete_activity;
    cancel_sign_up(pb::CancelSignUpRequest) -> pb::Activity => activities::cancel_sign_up;
    update_activity(pb::UpdateActivityRequest) -> pb::Activity => activities::update_activity;
    cancel_activity(pb::CancelActivityRequest) -> pb::Activity => activities::cancel_activity;

    summarise_hours(pb::SummariseHoursRequest) -> pb::HoursSummary => records::summarise_hours;
    export_service_record(pb::ExportServiceRecordRequest) -> Self::ExportServiceRecordStream => export::export_service_record;
    export_national_records(pb::ExportNationalRecordsRequest) -> Self::ExportNationalRecordsStream => export::export_national_records;
    link_community(pb::CommunityLinkRequest) -> pb::CommunityLink => records::link_community;
    unlink_community(pb::CommunityLinkRequest) -> pb::CommunityLink => records::unlink_community;
    four_ones_report(pb::FourOnesReportRequest) -> pb::FourOnesReportResponse => records::four_ones_report;

    form_team(pb::FormTeamRequest) -> pb::Team => teams::form_team;
    get_team(pb::GetTeamRequest) -> pb::Team => teams::get_team;
    list_teams(pb::ListTeamsRequest) -> pb::ListTeamsResponse => teams::list_teams;
    add_team_member(pb::TeamMemberRequest) -> pb::Team => teams::add_team_member;
    remove_team_member(pb::TeamMemberRequest) -> pb::Team => teams::remove_team_member;
    list_team_members(pb::ListTeamMembersRequest) -> pb::ListTeamMembersResponse => teams::list_team_members;

    record_evaluation(pb::RecordEvaluationRequest) -> pb::Evaluation => evaluations::record_evaluation;
    get_evaluation_result(pb::GetEvaluationResultRequest) -> pb::EvaluationResult => evaluations::get_evaluation_result;
    list_evaluation_results(pb::ListEvaluationResultsRequest) -> pb::ListEvaluationResultsResponse => evaluations::list_evaluation_results;

    post_wish(pb::PostWishRequest) -> pb::Wish => wishes::post_wish;
    get_wish(pb::GetWishRequest) -> pb::Wish => wishes::get_wish;
    list_wishes(pb::ListWishesRequest) -> pb::ListWishesResponse => wishes::list_wishes;
    adopt_wish(pb::AdoptWishRequest) -> pb::Wish => wishes::adopt_wish;
    fulfil_wish(pb::FulfilWishRequest) -> pb::Wish => wishes::fulfil_wish;
    cancel_wish(pb::CancelWishRequest) -> pb::Wish => wishes::cancel_wish;

    get_stats(pb::GetStatsRequest) -> pb::VolunteerStats => stats::get_stats;
}
