//! Service teams (服务团队) and their members: no SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId};

use super::register::{Skill, join_skills};

/// A team's name: one line, 1 to 100 characters.
pub type TeamName = Line<100>;

/// A team as its founder asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    /// The founder's idempotency key.
    pub request_id: RequestId,
    /// Name, unique within the organisation.
    pub name: TeamName,
    /// The owning organisation.
    pub organisation_id: DirectoryId,
    /// What it offers.
    pub skills: Vec<Skill>,
}

impl NewTeam {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        let skills = join_skills(&self.skills);
        xingfu_platform::validate::fingerprint([
            self.name.as_str(),
            self.organisation_id.as_str(),
            skills.as_str(),
        ])
    }
}

/// A stored team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Server-assigned id.
    pub id: RecordId,
    /// Name.
    pub name: TeamName,
    /// The owning organisation.
    pub organisation_id: DirectoryId,
    /// What it offers.
    pub skills: Vec<Skill>,
    /// Members.
    pub member_count: i64,
    /// Formed, microseconds since the epoch.
    pub created_at: i64,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// Joined, microseconds since the epoch.
    pub joined_at: i64,
}

/// A volunteer joining or leaving a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The team.
    pub team_id: RecordId,
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// Joining (or, leaving, not).
    pub member: bool,
}
