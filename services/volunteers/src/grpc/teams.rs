//! The service teams' calls: requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::domain::register::Skill;
use crate::domain::teams::{NewTeam, Team, TeamName};
use crate::ops::Volunteers;

/// FormTeam.
pub(super) async fn form_team(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::FormTeamRequest,
) -> Result<pb::Team, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let name = v.check(TeamName::parse(&r.name, "name"));
    let organisation = v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"));
    let skills = skills(&r.skills, &mut v);
    let (request_id, name, organisation_id) = v.finish_with((request_id, name, organisation))?;
    let new = NewTeam {
        request_id,
        name,
        organisation_id,
        skills,
    };
    Ok(team_to_proto(volunteers.form_team(caller, new).await?))
}

/// GetTeam.
pub(super) async fn get_team(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::GetTeamRequest,
) -> Result<pb::Team, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(team_to_proto(volunteers.team(caller, &id).await?))
}

/// ListTeams.
pub(super) async fn list_teams(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListTeamsRequest,
) -> Result<pb::ListTeamsResponse, Error> {
    let organisation = if r.organisation_id.is_empty() {
        None
    } else {
        Some(DirectoryId::parse(&r.organisation_id, "organisation_id")?)
    };
    let filters = format!("{:?}", organisation.as_ref().map(DirectoryId::as_str));
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut teams = volunteers
        .teams(
            caller,
            organisation.as_ref(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut teams, &page, &filters, |t| t.id.as_str());
    Ok(pb::ListTeamsResponse {
        teams: teams.into_iter().map(team_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// AddTeamMember.
pub(super) async fn add_team_member(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::TeamMemberRequest,
) -> Result<pb::Team, Error> {
    set_member(volunteers, caller, &r, true).await
}

/// RemoveTeamMember.
pub(super) async fn remove_team_member(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::TeamMemberRequest,
) -> Result<pb::Team, Error> {
    set_member(volunteers, caller, &r, false).await
}

async fn set_member(
    volunteers: &Volunteers,
    caller: &Caller,
    r: &pb::TeamMemberRequest,
    member: bool,
) -> Result<pb::Team, Error> {
    let mut v = Violations::default();
    let team = v.check(RecordId::parse(&r.team_id, "team_id"));
    let volunteer = v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"));
    let (team, volunteer) = v.finish_with((team, volunteer))?;
    let team = volunteers
        .set_team_member(caller, &team, &volunteer, member)
        .await?;
    Ok(team_to_proto(team))
}

/// ListTeamMembers.
pub(super) async fn list_team_members(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListTeamMembersRequest,
) -> Result<pb::ListTeamMembersResponse, Error> {
    let team = RecordId::parse(&r.team_id, "team_id")?;
    let page = paging::parse(r.page.as_ref(), team.as_str(), "page")?;
    let mut members = volunteers
        .team_members(caller, &team, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut members, &page, team.as_str(), |m| {
        m.volunteer_id.as_str()
    });
    Ok(pb::ListTeamMembersResponse {
        members: members
            .into_iter()
            .map(|m| pb::TeamMember {
                volunteer_id: m.volunteer_id.into_string(),
                join_time: Some(to_timestamp(m.joined_at)),
            })
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// Skills of a request, each one line of 1 to 50 characters (how many: the request's
/// `skills` in the proto).
pub(super) fn skills(values: &[String], v: &mut Violations) -> Vec<Skill> {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, s)| v.check(Skill::parse(s, &format!("skills[{i}]"))))
        .collect()
}

fn team_to_proto(t: Team) -> pb::Team {
    pb::Team {
        id: t.id.into_string(),
        name: t.name.into_string(),
        organisation_id: t.organisation_id.into_string(),
        skills: t.skills.into_iter().map(String::from).collect(),
        member_count: t.member_count,
        create_time: Some(to_timestamp(t.created_at)),
    }
}
