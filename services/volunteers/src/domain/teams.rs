//! Service teams (服务团队) and their members: no SQL, no gRPC.

/// A team as its founder asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    /// The founder's idempotency key.
    pub request_id: String,
    /// Name, unique within the organisation.
    pub name: String,
    /// The owning organisation, a directory id.
    pub organisation_id: String,
    /// What it offers.
    pub skills: Vec<String>,
}

impl NewTeam {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        let skills = self.skills.join("\n");
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
    pub id: String,
    /// Name.
    pub name: String,
    /// The owning organisation.
    pub organisation_id: String,
    /// What it offers.
    pub skills: Vec<String>,
    /// Members.
    pub member_count: i64,
    /// Formed, microseconds since the epoch.
    pub created_at: i64,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The volunteer.
    pub volunteer_id: String,
    /// Joined, microseconds since the epoch.
    pub joined_at: i64,
}

/// A volunteer joining or leaving a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The team.
    pub team_id: String,
    /// The volunteer.
    pub volunteer_id: String,
    /// Joining (or, leaving, not).
    pub member: bool,
}
