//! The volunteer register's model and rules: who a volunteer is, and the checks on the
//! personal data they give. No SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId, Text};
use xingfu_platform::named_enum;
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

named_enum! {
    /// Where a volunteer stands in the register.
    VolunteerStatus {
        /// Serving.
        Active = "ACTIVE",
        /// Withdrawn (退出): the record and its history kept.
        Withdrawn = "WITHDRAWN",
        /// Withdrawn, and their personal data erased on request.
        Erased = "ERASED",
    }
}

/// Why a volunteer withdrew: 1 to 500 characters.
pub type WithdrawalReason = Text<500>;

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
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Active, withdrawn or erased.
    pub status: VolunteerStatus,
    /// When withdrawn, then when erased; microseconds since the epoch.
    pub status_changed_at: Option<i64>,
    /// Why they withdrew; empty while active and once erased.
    pub withdrawal_reason: String,
}

impl Volunteer {
    /// Whether they stand where they are now: work side, home side and Party membership,
    /// what an affiliation records.
    pub fn affiliation(&self) -> (&DirectoryId, &DirectoryId, bool) {
        (
            &self.work_organisation_id,
            &self.home_community_id,
            self.party_member,
        )
    }
}

/// An UpdateVolunteer's changes: `Some` for each field the mask names. The name and
/// phone are personal data, kept plain strings until sealed, as at registration.
#[derive(Debug, Default)]
pub struct VolunteerPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new phone, normalised.
    pub phone: Option<String>,
    /// Party membership.
    pub party_member: Option<bool>,
    /// A new work organisation.
    pub work_organisation_id: Option<DirectoryId>,
    /// A new home community.
    pub home_community_id: Option<DirectoryId>,
    /// New skills.
    pub skills: Option<Vec<Skill>>,
}

impl VolunteerPatch {
    /// The names of the fields it sets, as the mask names them.
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("phone", self.phone.is_some()),
            ("party_member", self.party_member.is_some()),
            ("work_organisation_id", self.work_organisation_id.is_some()),
            ("home_community_id", self.home_community_id.is_some()),
            ("skills", self.skills.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect()
    }
}

/// One stretch of a volunteer's affiliation: where they worked and lived, and whether a
/// Party member, from `valid_from` until `valid_until` (`None` while current).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliation {
    /// The stretch's id.
    pub id: RecordId,
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// The work organisation then.
    pub work_organisation_id: DirectoryId,
    /// The home community then.
    pub home_community_id: DirectoryId,
    /// A Party member then.
    pub party_member: bool,
    /// Began, microseconds since the epoch.
    pub valid_from: i64,
    /// Ended, microseconds since the epoch.
    pub valid_until: Option<i64>,
}

/// Which affiliations a list shows.
#[derive(Debug, Default)]
pub struct AffiliationFilter {
    /// Only this volunteer's.
    pub volunteer_id: Option<RecordId>,
    /// Only at this work organisation.
    pub work_organisation_id: Option<DirectoryId>,
    /// Only at this home community.
    pub home_community_id: Option<DirectoryId>,
    /// Only as a Party member, or only not.
    pub party_member: Option<bool>,
    /// Only current ones, or only ended ones.
    pub current: Option<bool>,
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
    /// Only in this status.
    pub status: Option<VolunteerStatus>,
}
