//! `xingfu.volunteers.v1.VolunteersService`: requests parsed into the domain, the
//! operations, answers built from the domain; errors mapped once by the platform.

mod activities;
mod directory;
mod evaluations;
mod import;
mod records;
mod register;
mod stats;
mod teams;
mod wishes;

use futures_util::StreamExt as _;
use tonic::{Request, Response, Status, Streaming};
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_server::VolunteersService;

use self::directory::{
    community_to_proto, mask_and_version, new_community, new_organisation, organisation_to_proto,
};
use crate::domain::{self, CommunityKind, OrganisationKind};
use crate::ops::{CommunityPatch, OrganisationPatch, Volunteers};
use crate::storage::directory as store;

enum_map!(organisation_kind_to_proto, organisation_kind_from_proto, OrganisationKind, pb::OrganisationKind, "organisation kind", {
    AgencyParty <=> AgencyParty,
    VillageParty <=> VillageParty,
    CommunityParty <=> CommunityParty,
    Social <=> Social,
});

enum_map!(community_kind_to_proto, community_kind_from_proto, CommunityKind, pb::CommunityKind, "community kind", {
    Village <=> Village,
    Residential <=> Residential,
});

/// The API over the directory, the register, activities, teams, evaluations and wishes.
#[derive(Clone)]
pub struct VolunteersApi {
    volunteers: Volunteers,
}

type Answer<T> = Result<Response<T>, Status>;

/// The scope that lets a caller see personal data in clear.
const PII_READ: &str = "pii:read";

impl VolunteersApi {
    /// The API over `volunteers`.
    pub fn new(volunteers: Volunteers) -> Self {
        Self { volunteers }
    }
}

#[tonic::async_trait]
impl VolunteersService for VolunteersApi {
    async fn register_organisation(
        &self,
        request: Request<pb::RegisterOrganisationRequest>,
    ) -> Answer<pb::Organisation> {
        let caller = Caller::from_metadata(request.metadata());
        let org = new_organisation(request.get_ref())?;
        let parent = org.parent_id.clone().unwrap_or_default();
        self.volunteers
            .require_organisations_inside(&caller, &[&parent])
            .await?;
        Ok(Response::new(organisation_to_proto(
            self.volunteers.register_organisation(org).await?,
        )))
    }

    async fn update_organisation(
        &self,
        request: Request<pb::UpdateOrganisationRequest>,
    ) -> Answer<pb::Organisation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(validate::directory_id(&r.id, "id"));
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        mask_and_version(&paths, r.version, &mut v);
        let values = r.values.unwrap_or_default();
        let mut patch = OrganisationPatch::default();
        for path in &paths {
            let field = format!("values.{path}");
            match path.as_str() {
                "name" => patch.name = v.check(domain::parse_name(&values.name, &field)),
                "kind" => {
                    patch.kind = v.check(required(
                        organisation_kind_from_proto(values.kind, &field),
                        &field,
                    ))
                }
                "parent_id" => {
                    patch.parent_id = v.check(domain::parse_parent(&values.parent_id, &field))
                }
                other => v.add("update_mask", format!("{other:?} is not an editable field")),
            }
        }
        v.finish()?;
        let id = id.unwrap_or_default();
        let parent = patch.parent_id.clone().flatten().unwrap_or_default();
        let touched: Vec<&str> = match &patch.parent_id {
            Some(_) => vec![&id, &parent],
            None => vec![&id],
        };
        self.volunteers
            .require_organisations_inside(&caller, &touched)
            .await?;
        Ok(Response::new(organisation_to_proto(
            self.volunteers
                .update_organisation(&id, r.version, patch)
                .await?,
        )))
    }

    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> Answer<pb::Organisation> {
        let id = validate::directory_id(&request.get_ref().id, "id").map_err(Error::from)?;
        Ok(Response::new(organisation_to_proto(
            self.volunteers.organisation(&id).await?,
        )))
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Answer<pb::ListOrganisationsResponse> {
        let r = request.into_inner();
        let mut v = Violations::default();
        let kind = v
            .check(organisation_kind_from_proto(r.kind, "kind"))
            .flatten();
        let parent = if r.parent_id.is_empty() {
            None
        } else {
            v.check(validate::directory_id(&r.parent_id, "parent_id"))
        };
        v.finish()?;
        let filters = format!("{kind:?}/{parent:?}");
        let page = paging::parse(r.page.as_ref(), &filters, "page")?;
        let mut conn = self
            .volunteers
            .db()
            .pool()
            .acquire()
            .await
            .map_err(Error::from)?;
        let mut orgs = store::organisations(
            &mut conn,
            kind,
            parent.as_deref(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut orgs, &page, &filters, |o| &o.id);
        Ok(Response::new(pb::ListOrganisationsResponse {
            organisations: orgs.into_iter().map(organisation_to_proto).collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn register_community(
        &self,
        request: Request<pb::RegisterCommunityRequest>,
    ) -> Answer<pb::Community> {
        let caller = Caller::from_metadata(request.metadata());
        let community = new_community(request.get_ref())?;
        Ok(Response::new(community_to_proto(
            self.volunteers
                .register_community(&caller, community)
                .await?,
        )))
    }

    async fn update_community(
        &self,
        request: Request<pb::UpdateCommunityRequest>,
    ) -> Answer<pb::Community> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(validate::directory_id(&r.id, "id"));
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        mask_and_version(&paths, r.version, &mut v);
        let values = r.values.unwrap_or_default();
        let mut patch = CommunityPatch::default();
        for path in &paths {
            let field = format!("values.{path}");
            match path.as_str() {
                "name" => patch.name = v.check(domain::parse_name(&values.name, &field)),
                "kind" => {
                    patch.kind = v.check(required(
                        community_kind_from_proto(values.kind, &field),
                        &field,
                    ))
                }
                "township" => {
                    patch.township = v.check(domain::parse_township(&values.township, &field))
                }
                other => v.add("update_mask", format!("{other:?} is not an editable field")),
            }
        }
        v.finish()?;
        let id = id.unwrap_or_default();
        self.volunteers
            .require_community_inside(&caller, &id, patch.township.as_deref())
            .await?;
        Ok(Response::new(community_to_proto(
            self.volunteers
                .update_community(&id, r.version, patch)
                .await?,
        )))
    }

    async fn get_community(
        &self,
        request: Request<pb::GetCommunityRequest>,
    ) -> Answer<pb::Community> {
        let id = validate::directory_id(&request.get_ref().id, "id").map_err(Error::from)?;
        Ok(Response::new(community_to_proto(
            self.volunteers.community(&id).await?,
        )))
    }

    async fn list_communities(
        &self,
        request: Request<pb::ListCommunitiesRequest>,
    ) -> Answer<pb::ListCommunitiesResponse> {
        let r = request.into_inner();
        let mut v = Violations::default();
        let kind = v.check(community_kind_from_proto(r.kind, "kind")).flatten();
        let township = if r.township.is_empty() {
            None
        } else {
            v.check(domain::parse_township(&r.township, "township"))
        };
        v.finish()?;
        let filters = format!("{kind:?}/{township:?}");
        let page = paging::parse(r.page.as_ref(), &filters, "page")?;
        let mut conn = self
            .volunteers
            .db()
            .pool()
            .acquire()
            .await
            .map_err(Error::from)?;
        let mut communities = store::communities(
            &mut conn,
            township.as_deref(),
            kind,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut communities, &page, &filters, |c| &c.id);
        Ok(Response::new(pb::ListCommunitiesResponse {
            communities: communities.into_iter().map(community_to_proto).collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn import_directory(
        &self,
        request: Request<Streaming<pb::ImportDirectoryChunk>>,
    ) -> Answer<pb::ImportDirectoryResponse> {
        if Caller::from_metadata(request.metadata()).is_limited() {
            // A file may name any entry: a bulk change of the shared directory is a
            // programme-wide caller's job (a township's too: organisations lie in none).
            return Err(Error::denied(
                "OUTSIDE_BOUNDARY",
                "importing the directory is programme-wide; the caller is limited to a \
                 subtree or a township",
            )
            .into());
        }
        let mut stream = request.into_inner();
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
        let (rows, report) = import::parse(&data).map_err(Error::from)?;
        let report = self.volunteers.import_directory(rows, report).await?;
        Ok(Response::new(pb::ImportDirectoryResponse {
            organisations: report.organisations,
            communities: report.communities,
            already_registered: report.already_registered,
            rejected: report
                .rejected
                .into_iter()
                .map(|(line, reason)| pb::DirectoryRowError { line, reason })
                .collect(),
        }))
    }

    async fn create_activity(
        &self,
        request: Request<pb::CreateActivityRequest>,
    ) -> Answer<pb::Activity> {
        let caller = Caller::from_metadata(request.metadata());
        let new = activities::new_activity(request.get_ref())?;
        let activity = self.volunteers.create_activity(&caller, new).await?;
        Ok(Response::new(activities::activity_to_proto(activity)))
    }

    async fn get_activity(&self, request: Request<pb::GetActivityRequest>) -> Answer<pb::Activity> {
        let caller = Caller::from_metadata(request.metadata());
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        let activity = self.volunteers.activity(&caller, &id).await?;
        Ok(Response::new(activities::activity_to_proto(activity)))
    }

    async fn sign_up(&self, request: Request<pb::SignUpRequest>) -> Answer<pb::Participation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.get_ref();
        let (activity, volunteer) = activities::ids(&r.activity_id, &r.volunteer_id)?;
        let part = self
            .volunteers
            .sign_up(&caller, &activity, &volunteer)
            .await?;
        Ok(Response::new(activities::participation_to_proto(part)))
    }

    async fn check_in(&self, request: Request<pb::CheckRequest>) -> Answer<pb::Participation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.get_ref();
        let (activity, volunteer) = activities::ids(&r.activity_id, &r.volunteer_id)?;
        let at = activities::check_time(r)?;
        let part = self
            .volunteers
            .check_in(&caller, &activity, &volunteer, at)
            .await?;
        Ok(Response::new(activities::participation_to_proto(part)))
    }

    async fn check_out(&self, request: Request<pb::CheckRequest>) -> Answer<pb::Participation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.get_ref();
        let (activity, volunteer) = activities::ids(&r.activity_id, &r.volunteer_id)?;
        let at = activities::check_time(r)?;
        let part = self
            .volunteers
            .check_out(&caller, &activity, &volunteer, at)
            .await?;
        Ok(Response::new(activities::participation_to_proto(part)))
    }

    async fn verify_hours(
        &self,
        request: Request<pb::VerifyHoursRequest>,
    ) -> Answer<pb::VerifyHoursResponse> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.get_ref();
        let activity = validate::uuid(&r.activity_id, "activity_id").map_err(Error::from)?;
        let verifier = caller.actor("verifier", &r.verifier)?;
        let verified = self
            .volunteers
            .verify_hours(&caller, &activity, &verifier.id)
            .await?;
        Ok(Response::new(pb::VerifyHoursResponse {
            verified: verified
                .into_iter()
                .map(activities::participation_to_proto)
                .collect(),
        }))
    }

    async fn register_volunteer(
        &self,
        request: Request<pb::RegisterVolunteerRequest>,
    ) -> Answer<pb::Volunteer> {
        let caller = Caller::from_metadata(request.metadata());
        let reveal = caller.holds(PII_READ);
        let new = register::new_volunteer(request.get_ref())?;
        let mut volunteer = self
            .volunteers
            .register_volunteer(&caller, new, reveal)
            .await?;
        // A write answers with the name as the caller may see it, never the phone or ID
        // number in clear: revealing them is a read, asked for and audited as one.
        volunteer.revealed = None;
        Ok(Response::new(register::volunteer_to_proto(volunteer)))
    }

    async fn get_volunteer(
        &self,
        request: Request<pb::GetVolunteerRequest>,
    ) -> Answer<pb::Volunteer> {
        let caller = Caller::from_metadata(request.metadata());
        let reveal = caller.holds(PII_READ);
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        let volunteer = self.volunteers.volunteer_for(&caller, &id, reveal).await?;
        Ok(Response::new(register::volunteer_to_proto(volunteer)))
    }

    async fn find_volunteer(
        &self,
        request: Request<pb::FindVolunteerRequest>,
    ) -> Answer<pb::Volunteer> {
        let caller = Caller::from_metadata(request.metadata());
        // A look-up by a clear phone or ID number is a read of it: without the scope, a
        // masked value and ten thousand guesses would reveal it.
        if !caller.holds(PII_READ) {
            return Err(Error::denied(
                "PII_READ_REQUIRED",
                "finding a volunteer by phone or ID number needs the pii:read scope",
            )
            .into());
        }
        let lookup = register::lookup(request.get_ref())?;
        let volunteer = self
            .volunteers
            .find_volunteer(&caller, lookup, true)
            .await?;
        Ok(Response::new(register::volunteer_to_proto(volunteer)))
    }

    async fn complete_activity(
        &self,
        request: Request<pb::CompleteActivityRequest>,
    ) -> Answer<pb::Activity> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.get_ref();
        let id = validate::uuid(&r.activity_id, "activity_id").map_err(Error::from)?;
        let activity = self
            .volunteers
            .complete_activity(&caller, &id, r.people_served)
            .await?;
        Ok(Response::new(activities::activity_to_proto(activity)))
    }

    async fn list_activities(
        &self,
        request: Request<pb::ListActivitiesRequest>,
    ) -> Answer<pb::ListActivitiesResponse> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let (community, kind, completed) = activities::list_filters(&r)?;
        let filters = format!("{community:?}/{kind:?}/{completed:?}");
        let page = paging::parse(r.page.as_ref(), &filters, "page")?;
        let mut found = self
            .volunteers
            .activities(
                &caller,
                (community.as_deref(), kind, completed),
                page.after.as_deref(),
                page.fetch_limit(),
            )
            .await?;
        let next_page_token = paging::finish(&mut found, &page, &filters, |a| &a.id);
        Ok(Response::new(pb::ListActivitiesResponse {
            activities: found
                .into_iter()
                .map(activities::activity_to_proto)
                .collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn summarise_hours(
        &self,
        request: Request<pb::SummariseHoursRequest>,
    ) -> Answer<pb::HoursSummary> {
        Ok(Response::new(
            records::summarise(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    type ExportServiceRecordStream =
        tokio_stream::wrappers::ReceiverStream<Result<pb::ExportChunk, Status>>;

    async fn export_service_record(
        &self,
        request: Request<pb::ExportServiceRecordRequest>,
    ) -> Answer<Self::ExportServiceRecordStream> {
        Ok(Response::new(
            records::export(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn form_team(&self, request: Request<pb::FormTeamRequest>) -> Answer<pb::Team> {
        Ok(Response::new(
            teams::form(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn get_team(&self, request: Request<pb::GetTeamRequest>) -> Answer<pb::Team> {
        Ok(Response::new(
            teams::get(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Answer<pb::ListTeamsResponse> {
        Ok(Response::new(
            teams::list(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn add_team_member(&self, request: Request<pb::TeamMemberRequest>) -> Answer<pb::Team> {
        Ok(Response::new(
            teams::set_member(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
                true,
            )
            .await?,
        ))
    }

    async fn remove_team_member(
        &self,
        request: Request<pb::TeamMemberRequest>,
    ) -> Answer<pb::Team> {
        Ok(Response::new(
            teams::set_member(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
                false,
            )
            .await?,
        ))
    }

    async fn list_team_members(
        &self,
        request: Request<pb::ListTeamMembersRequest>,
    ) -> Answer<pb::ListTeamMembersResponse> {
        Ok(Response::new(
            teams::members(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn link_community(
        &self,
        request: Request<pb::CommunityLinkRequest>,
    ) -> Answer<pb::CommunityLink> {
        Ok(Response::new(
            records::set_link(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
                true,
            )
            .await?,
        ))
    }

    async fn unlink_community(
        &self,
        request: Request<pb::CommunityLinkRequest>,
    ) -> Answer<pb::CommunityLink> {
        Ok(Response::new(
            records::set_link(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
                false,
            )
            .await?,
        ))
    }

    async fn four_ones_report(
        &self,
        request: Request<pb::FourOnesReportRequest>,
    ) -> Answer<pb::FourOnesReportResponse> {
        Ok(Response::new(
            records::four_ones(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn record_evaluation(
        &self,
        request: Request<pb::RecordEvaluationRequest>,
    ) -> Answer<pb::Evaluation> {
        Ok(Response::new(
            evaluations::record(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn get_evaluation_result(
        &self,
        request: Request<pb::GetEvaluationResultRequest>,
    ) -> Answer<pb::EvaluationResult> {
        Ok(Response::new(
            evaluations::result(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn list_evaluation_results(
        &self,
        request: Request<pb::ListEvaluationResultsRequest>,
    ) -> Answer<pb::ListEvaluationResultsResponse> {
        Ok(Response::new(
            evaluations::history(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn post_wish(&self, request: Request<pb::PostWishRequest>) -> Answer<pb::Wish> {
        Ok(Response::new(
            wishes::post(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn get_wish(&self, request: Request<pb::GetWishRequest>) -> Answer<pb::Wish> {
        Ok(Response::new(
            wishes::get(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn list_wishes(
        &self,
        request: Request<pb::ListWishesRequest>,
    ) -> Answer<pb::ListWishesResponse> {
        Ok(Response::new(
            wishes::list(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn adopt_wish(&self, request: Request<pb::AdoptWishRequest>) -> Answer<pb::Wish> {
        Ok(Response::new(
            wishes::adopt(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn fulfil_wish(&self, request: Request<pb::FulfilWishRequest>) -> Answer<pb::Wish> {
        Ok(Response::new(
            wishes::fulfil(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn cancel_wish(&self, request: Request<pb::CancelWishRequest>) -> Answer<pb::Wish> {
        Ok(Response::new(
            wishes::cancel(
                &self.volunteers,
                &Caller::from_metadata(request.metadata()),
                request.into_inner(),
            )
            .await?,
        ))
    }

    async fn get_stats(&self, request: Request<pb::GetStatsRequest>) -> Answer<pb::VolunteerStats> {
        let caller = Caller::from_metadata(request.metadata());
        Ok(Response::new(stats::get(&self.volunteers, &caller).await?))
    }
}
