//! The volunteer register's model and rules: who a volunteer is, and the checks on the
//! personal data they give. No SQL, no gRPC.

pub use xingfu_platform::pii::{check_character, mask_id_number, parse_id_number, parse_phone};

/// A volunteer as registered, personal data in clear (it is sealed before it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    /// The registrar's idempotency key.
    pub request_id: String,
    /// Name.
    pub name: String,
    /// Phone, normalised by [`parse_phone`].
    pub phone: String,
    /// ID number, normalised by [`parse_id_number`].
    pub id_number: String,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation, a directory id.
    pub work_organisation_id: String,
    /// The home community, a directory id.
    pub home_community_id: String,
    /// Skills.
    pub skills: Vec<String>,
}

/// A stored volunteer as the register shows it: personal data masked, the name opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volunteer {
    /// Server-assigned id.
    pub id: String,
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
    pub work_organisation_id: String,
    /// The home community.
    pub home_community_id: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

/// The most skills a volunteer lists.
pub const MAX_SKILLS: usize = 20;
