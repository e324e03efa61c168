//! The service's model and rules: no SQL, no gRPC. The directory is here; the rest lives
//! in a module each.

pub mod activities;
pub mod evaluations;
pub mod records;
pub mod register;
pub mod teams;
pub mod wishes;

use xingfu_platform::FieldViolation;
use xingfu_platform::checked::{DirectoryId, Line};
use xingfu_platform::named_enum;

/// A directory entry's name: one line, 1 to 200 characters.
pub type Name = Line<200>;

/// A township (镇 / 街道): one line, 1 to 100 characters.
pub type Township = Line<100>;

named_enum! {
    /// What kind of organisation.
    OrganisationKind {
        /// An agency Party organisation (机关党组织).
        AgencyParty = "AGENCY_PARTY",
        /// A village Party organisation (村党组织).
        VillageParty = "VILLAGE_PARTY",
        /// A community Party organisation (社区党组织).
        CommunityParty = "COMMUNITY_PARTY",
        /// A social organisation (社会组织).
        Social = "SOCIAL",
    }
}

named_enum! {
    /// What kind of community.
    CommunityKind {
        /// A village (村).
        Village = "VILLAGE",
        /// A residential community (社区 / 小区).
        Residential = "RESIDENTIAL",
    }
}

/// An organisation of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Directory id.
    pub id: DirectoryId,
    /// Name.
    pub name: Name,
    /// Kind.
    pub kind: OrganisationKind,
    /// Parent organisation.
    pub parent_id: Option<DirectoryId>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

/// A community of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// Directory id.
    pub id: DirectoryId,
    /// Name.
    pub name: Name,
    /// Kind.
    pub kind: CommunityKind,
    /// Township.
    pub township: Township,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

impl Organisation {
    /// Whether `other` registers the same thing (so registering it again is a retry).
    pub fn same_as(&self, other: &Organisation) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.kind == other.kind
            && self.parent_id == other.parent_id
    }
}

impl Community {
    /// Whether `other` registers the same thing (so registering it again is a retry).
    pub fn same_as(&self, other: &Community) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.kind == other.kind
            && self.township == other.township
    }
}

/// Checks an optional parent id: empty is none.
pub fn parse_parent(value: &str, field: &str) -> Result<Option<DirectoryId>, FieldViolation> {
    if value.is_empty() {
        Ok(None)
    } else {
        DirectoryId::parse(value, field).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(
            CommunityKind::parse("VILLAGE"),
            Some(CommunityKind::Village)
        );
        assert_eq!(CommunityKind::parse("village"), None);
    }

    #[test]
    fn parents_are_optional_directory_ids() {
        assert_eq!(parse_parent("", "p").unwrap(), None);
        assert_eq!(
            parse_parent("org-1", "p")
                .unwrap()
                .as_ref()
                .map(DirectoryId::as_str),
            Some("org-1")
        );
        assert!(parse_parent("a b", "p").is_err());
    }
}
