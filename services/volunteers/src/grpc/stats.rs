//! The dashboard figures as the API shows them.

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::activities::kind_to_proto;
use super::directory::organisation_kind_to_proto;
use crate::ops::Volunteers;

/// GetStats: the programme's figures, or those of the caller's boundary.
pub(super) async fn get_stats(
    volunteers: &Volunteers,
    caller: &Caller,
    _request: pb::GetStatsRequest,
) -> Result<pb::VolunteerStats, Error> {
    let stats = volunteers.stats(caller).await?;
    Ok(pb::VolunteerStats {
        volunteers: stats.volunteers,
        party_members: stats.party_members,
        withdrawn_volunteers: stats.withdrawn,
        verified_minutes: stats.verified_minutes,
        service_records: stats.service_records,
        events: stats.events(),
        participants: stats.participants(),
        meals_served: stats.meals_served(),
        wishes_posted: stats.wishes_posted,
        wishes_adopted: stats.wishes_adopted,
        wishes_fulfilled: stats.wishes_fulfilled,
        teams: stats.teams,
        evaluations: stats.evaluations,
        organisations: stats
            .organisations
            .iter()
            .map(|(kind, count)| pb::OrganisationCount {
                kind: organisation_kind_to_proto(*kind) as i32,
                count: *count,
            })
            .collect(),
        by_kind: stats
            .by_kind
            .iter()
            .map(|k| pb::ActivityKindStats {
                kind: kind_to_proto(k.kind) as i32,
                activities: k.activities,
                completed: k.completed,
                people_served: k.people_served,
                volunteer_times: k.volunteer_times,
            })
            .collect(),
    })
}
