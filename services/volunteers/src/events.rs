//! What the volunteers service publishes, each event built from the domain values it
//! reports (the other services keep their read models from them, so a field means the
//! same whoever sends it). The operations enqueue them in the transaction of the change.

use xingfu_proto::volunteers as pb;

use crate::domain::activities::{Activity, Participation, Stage};
use crate::domain::evaluations::Evaluation;
use crate::domain::records::{CommunityLink, NewRecord};
use crate::domain::register::Volunteer;
use crate::domain::teams::{Membership, Team};
use crate::domain::wishes::Wish;
use crate::domain::{Community, Organisation};

impl From<&Organisation> for pb::OrganisationRegistered {
    fn from(org: &Organisation) -> Self {
        Self {
            organisation_id: org.id.to_string(),
            name: org.name.to_string(),
            kind: org.kind.as_str().to_owned(),
            parent_id: org
                .parent_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Organisation> for pb::OrganisationUpdated {
    fn from(org: &Organisation) -> Self {
        Self {
            organisation_id: org.id.to_string(),
            name: org.name.to_string(),
            kind: org.kind.as_str().to_owned(),
            parent_id: org
                .parent_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Community> for pb::CommunityRegistered {
    fn from(community: &Community) -> Self {
        Self {
            community_id: community.id.to_string(),
            name: community.name.to_string(),
            kind: community.kind.as_str().to_owned(),
            township: community.township.to_string(),
        }
    }
}

impl From<&Community> for pb::CommunityUpdated {
    fn from(community: &Community) -> Self {
        Self {
            community_id: community.id.to_string(),
            name: community.name.to_string(),
            kind: community.kind.as_str().to_owned(),
            township: community.township.to_string(),
        }
    }
}

impl From<&CommunityLink> for pb::CommunityLinkChanged {
    fn from(link: &CommunityLink) -> Self {
        Self {
            organisation_id: link.organisation_id.to_string(),
            community_id: link.community_id.to_string(),
            linked: link.linked,
        }
    }
}

impl From<&Volunteer> for pb::VolunteerRegistered {
    fn from(volunteer: &Volunteer) -> Self {
        Self {
            volunteer_id: volunteer.id.to_string(),
            party_member: volunteer.party_member,
            work_organisation_id: volunteer.work_organisation_id.to_string(),
            home_community_id: volunteer.home_community_id.to_string(),
        }
    }
}

/// Where the volunteer stands after an update; the caller fills in `changed`.
impl From<&Volunteer> for pb::VolunteerUpdated {
    fn from(volunteer: &Volunteer) -> Self {
        Self {
            volunteer_id: volunteer.id.to_string(),
            changed: Vec::new(),
            party_member: volunteer.party_member,
            work_organisation_id: volunteer.work_organisation_id.to_string(),
            home_community_id: volunteer.home_community_id.to_string(),
            version: volunteer.version,
        }
    }
}

impl From<&Volunteer> for pb::VolunteerWithdrawn {
    fn from(volunteer: &Volunteer) -> Self {
        Self {
            volunteer_id: volunteer.id.to_string(),
            work_organisation_id: volunteer.work_organisation_id.to_string(),
            home_community_id: volunteer.home_community_id.to_string(),
        }
    }
}

impl From<&Activity> for pb::ActivityCreated {
    fn from(activity: &Activity) -> Self {
        Self {
            activity_id: activity.id.to_string(),
            title: activity.title.to_string(),
            kind: activity.kind.as_str().to_owned(),
            community_id: activity.community_id.to_string(),
            project_id: activity
                .project_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            capacity: i32::try_from(activity.capacity).unwrap_or(i32::MAX),
            organisation_id: activity
                .organisation_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            co_organiser_ids: organisers(activity),
        }
    }
}

/// The activity after a change; the caller fills in `changed` and `volunteer_ids`.
impl From<&Activity> for pb::ActivityUpdated {
    fn from(activity: &Activity) -> Self {
        Self {
            activity_id: activity.id.to_string(),
            changed: Vec::new(),
            title: activity.title.to_string(),
            start_time_micros: activity.start_at,
            capacity: i32::try_from(activity.capacity).unwrap_or(i32::MAX),
            community_id: activity.community_id.to_string(),
            co_organiser_ids: organisers(activity),
            volunteer_ids: Vec::new(),
            version: activity.version,
        }
    }
}

fn organisers(activity: &Activity) -> Vec<String> {
    activity
        .co_organiser_ids
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A completed activity, as stored once completed (with the people it served).
impl From<&Activity> for pb::ActivityCompleted {
    fn from(activity: &Activity) -> Self {
        Self {
            activity_id: activity.id.to_string(),
            kind: activity.kind.as_str().to_owned(),
            community_id: activity.community_id.to_string(),
            project_id: activity
                .project_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            organisation_id: activity
                .organisation_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            people_served: activity.people_served.unwrap_or(0),
            start_time_micros: activity.start_at,
        }
    }
}

/// A participation, as stored after the change, reaching `stage`.
pub fn participation_changed(part: &Participation, stage: Stage) -> pb::ParticipationChanged {
    pb::ParticipationChanged {
        activity_id: part.activity_id.to_string(),
        volunteer_id: part.volunteer_id.to_string(),
        stage: stage.as_str().to_owned(),
        minutes: part.minutes.unwrap_or(0),
    }
}

/// A service record verified for a participation in `activity`.
pub fn hours_verified(activity: &Activity, record: &NewRecord<'_>) -> pb::HoursVerified {
    pb::HoursVerified {
        record_id: record.record_id.to_string(),
        activity_id: record.activity_id.to_string(),
        project_id: activity
            .project_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        community_id: record.community_id.to_string(),
        minutes: record.minutes,
        volunteer_id: record.volunteer_id.to_string(),
        organisation_id: record.organisation_id.to_string(),
        activity_kind: activity.kind.as_str().to_owned(),
    }
}

impl From<&Team> for pb::TeamFormed {
    fn from(team: &Team) -> Self {
        Self {
            team_id: team.id.to_string(),
            name: team.name.to_string(),
            organisation_id: team.organisation_id.to_string(),
            skills: team.skills.iter().map(ToString::to_string).collect(),
        }
    }
}

impl From<&Membership> for pb::TeamMembershipChanged {
    fn from(change: &Membership) -> Self {
        Self {
            team_id: change.team_id.to_string(),
            volunteer_id: change.volunteer_id.to_string(),
            member: change.member,
        }
    }
}

impl From<&Evaluation> for pb::EvaluationRecorded {
    fn from(evaluation: &Evaluation) -> Self {
        Self {
            volunteer_id: evaluation.volunteer_id.to_string(),
            period: evaluation.period.clone(),
            side: evaluation.side.as_str().to_owned(),
            score: i32::try_from(evaluation.score).unwrap_or(0),
        }
    }
}

impl From<&Wish> for pb::WishPosted {
    fn from(wish: &Wish) -> Self {
        Self {
            wish_id: wish.id.to_string(),
            community_id: wish.community_id.to_string(),
            age_band: wish.age_band.as_str().to_owned(),
        }
    }
}

/// A wish, as stored once adopted (its adopter set).
impl From<&Wish> for pb::WishAdopted {
    fn from(wish: &Wish) -> Self {
        Self {
            wish_id: wish.id.to_string(),
            community_id: wish.community_id.to_string(),
            volunteer_id: wish
                .adopter_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Wish> for pb::WishFulfilled {
    fn from(wish: &Wish) -> Self {
        Self {
            wish_id: wish.id.to_string(),
            community_id: wish.community_id.to_string(),
            volunteer_id: wish
                .adopter_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Wish> for pb::WishCancelled {
    fn from(wish: &Wish) -> Self {
        Self {
            wish_id: wish.id.to_string(),
            community_id: wish.community_id.to_string(),
        }
    }
}
