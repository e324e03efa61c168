//! The volunteer register's model and rules: who a volunteer is, and the checks on the
//! personal data they give. No SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId};
pub use xingfu_platform::pii::{check_character, mask_id_number, parse_id_number, parse_phone};

/// A skill a volunteer or team offers: one line, 1 to 50 characters.
pub type Skill = Line<50>;

/// Skills as one string, newline-separated: how they are stored and fingerprinted.
pub fn join_skills(skills: &[Skill]) -> String {
    skills
        .iter()
        .map(Skill::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A volunteer as registered, personal data in clear (it is sealed before it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    /// The registrar's idempotency key.
    pub request_id: RequestId,
    /// Name.
    pub name: String,
    /// Phone, normalised by [`parse_phone`].
    pub phone: String,
    /// ID number, normalised by [`parse_id_number`].
    pub id_number: String,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation.
    pub work_organisation_id: DirectoryId,
    /// The home community.
    pub home_community_id: DirectoryId,
    /// Skills.
    pub skills: Vec<Skill>,
}

/// A stored volunteer as the register shows it: personal data masked, the name opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volunteer {
    /// Server-assigned id.
    pub id: RecordId,
    /// Name.
    pub name: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// Phone and ID number in clear, only when revealed to a caller holding `pii:read`.
    pub revealed: Option<(String, String)>,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation.
    pub work_organisation_id: DirectoryId,
    /// The home community.
    pub home_community_id: DirectoryId,
    /// Skills.
    pub skills: Vec<Skill>,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

/// Which volunteers a list shows.
#[derive(Debug, Default)]
pub struct VolunteerFilter {
    /// Only working at this organisation.
    pub work_organisation_id: Option<DirectoryId>,
    /// Only living in this community.
    pub home_community_id: Option<DirectoryId>,
    /// Only listing this skill.
    pub skill: Option<Skill>,
    /// Only Party members, or only others.
    pub party_member: Option<bool>,
}
