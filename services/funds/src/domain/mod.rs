//! The charity ledger's model and rules: no SQL, no gRPC. Funds and what bounds them
//! here; donations and grants in their own modules, re-exported.

mod donations;
mod grants;
pub mod ledger;

use xingfu_platform::FieldViolation;
use xingfu_platform::checked::{DirectoryId, Line, RecordId};
use xingfu_platform::named_enum;

pub use donations::{Donation, DonationChannel, DonationFilter, DonorKind, NewDonation};
pub use grants::{Grant, GrantFilter, GrantKind, GrantStatus, Item, NewGrant};
pub use xingfu_platform::date::Date;

/// Longest fund name, in characters.
pub const MAX_FUND_NAME_CHARS: usize = 200;
/// Longest name of a study corner's item, in characters.
pub const MAX_ITEM_NAME_CHARS: usize = 100;
/// Longest reason for a refund, a rejection or a cancellation, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest id of a person the ledger records acting (a requester, an approver), in
/// characters.
pub const MAX_ACTOR_CHARS: usize = 64;

/// A reason given for a refund, a rejection or a cancellation.
pub type Reason = Line<MAX_REASON_CHARS>;
/// The id of a person the ledger records acting: a grant's requester, an approver.
pub type ActorId = Line<MAX_ACTOR_CHARS>;

named_enum! {
    /// What a fund's money may be spent on.
    Purpose {
        /// Anything the programme funds.
        General = "GENERAL",
        /// Children in hardship only.
        ChildSupport = "CHILD_SUPPORT",
        /// "Warm Little Study" renovations only.
        StudyCorner = "STUDY_CORNER",
        /// Projects only.
        Project = "PROJECT",
    }
}

impl Purpose {
    /// Whether money of this purpose may pay a grant of `kind`.
    pub fn allows(self, kind: GrantKind) -> bool {
        matches!(
            (self, kind),
            (Purpose::General, _)
                | (Purpose::ChildSupport, GrantKind::ChildSupport)
                | (Purpose::StudyCorner, GrantKind::StudyCorner)
                | (Purpose::Project, GrantKind::Project)
        )
    }
}

/// A fund: a pool of charity money, an account of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// Name.
    pub name: Line<MAX_FUND_NAME_CHARS>,
    /// What its money may be spent on.
    pub purpose: Purpose,
    /// Money held, fen.
    pub balance_fen: i64,
    /// Money received less refunds, fen.
    pub raised_fen: i64,
    /// Money paid out, fen.
    pub disbursed_fen: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
    /// Owning organisation; `None` for the programme office's own fund.
    pub organisation_id: Option<DirectoryId>,
}

/// A validated fund to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFund {
    /// Name.
    pub name: Line<MAX_FUND_NAME_CHARS>,
    /// What its money may be spent on.
    pub purpose: Purpose,
    /// Owning organisation; `None` for the programme office's own fund.
    pub organisation_id: Option<DirectoryId>,
}

/// A project the funds service has learnt of from the projects service's events, its
/// fields as the events carry them (that service checked them, this one does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProject {
    /// The project id.
    pub project_id: String,
    /// Its title.
    pub title: String,
    /// Its category (the `xingfu.projects.v1.Category` number).
    pub category: i32,
    /// The community it serves.
    pub community_id: String,
    /// When it was created, microseconds since the epoch.
    pub created_at: i64,
}

/// Checks an accounting period, `YYYY-MM` (the platform's month; the protos declare it
/// too, so this answers only when called on a value no request carried).
pub fn parse_period(value: &str, field: &str) -> Result<String, FieldViolation> {
    xingfu_platform::validate::month(value, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_funds_pay_only_their_purpose() {
        assert!(Purpose::General.allows(GrantKind::Project));
        assert!(Purpose::StudyCorner.allows(GrantKind::StudyCorner));
        assert!(!Purpose::StudyCorner.allows(GrantKind::ChildSupport));
        assert!(!Purpose::ChildSupport.allows(GrantKind::Project));
    }

    #[test]
    fn periods_are_checked() {
        assert!(parse_period("2026-10", "p").is_ok());
        for bad in [
            "2026-13", "2026-1", "202610", "abcd-ef", "+202-01", "2026-+1", "0000-01",
        ] {
            assert!(parse_period(bad, "p").is_err(), "{bad}");
        }
    }
}
