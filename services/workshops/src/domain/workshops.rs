//! Workshops, where they stand and the support they receive.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId, Text};
use xingfu_platform::date::Date;
use xingfu_platform::named_enum;

use super::Mode;

named_enum! {
    /// Where a workshop stands.
    WorkshopStatus {
        /// Being set up.
        Planned = "PLANNED",
        /// Working.
        Open = "OPEN",
        /// Paused.
        Suspended = "SUSPENDED",
        /// Closed for good.
        Closed = "CLOSED",
    }
}

impl WorkshopStatus {
    /// Whether a workshop may move from this status to `to`.
    pub fn can_become(self, to: WorkshopStatus) -> bool {
        use WorkshopStatus::*;
        matches!(
            (self, to),
            (Planned, Open | Closed) | (Open, Suspended | Closed) | (Suspended, Open | Closed)
        )
    }
}

named_enum! {
    /// A kind of support in a workshop's package.
    SupportKind {
        /// Site selection (选址).
        SiteSelection = "SITE_SELECTION",
        /// Job training (技能培训).
        JobTraining = "JOB_TRAINING",
        /// Sales channels (销售渠道).
        SalesChannels = "SALES_CHANNELS",
        /// Rent relief (租金减免).
        RentRelief = "RENT_RELIEF",
    }
}

/// A workshop as its creator asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkshop {
    /// The creator's idempotency key.
    pub request_id: RequestId,
    /// Name.
    pub name: Line<200>,
    /// The community, a directory id.
    pub community_id: DirectoryId,
    /// The host firm.
    pub host_firm: Line<200>,
    /// The sponsoring department, a directory id.
    pub department_id: DirectoryId,
    /// How it works.
    pub mode: Mode,
    /// Its brand.
    pub brand_id: DirectoryId,
}

impl NewWorkshop {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.name.as_str(),
            self.community_id.as_str(),
            self.host_firm.as_str(),
            self.department_id.as_str(),
            self.mode.as_str(),
            self.brand_id.as_str(),
        ])
    }
}

/// Support given to a workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    /// Which kind.
    pub kind: SupportKind,
    /// What was given.
    pub description: Text<500>,
    /// Its money value in fen; 0 when none (bounded by `GiveSupportRequest.value_fen` in
    /// the proto: a hundred million yuan).
    pub value_fen: i64,
    /// The day given.
    pub given_on: Date,
}

/// Support as its giver asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupport {
    /// The giver's idempotency key.
    pub request_id: RequestId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// What was given.
    pub support: Support,
}

impl NewSupport {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.workshop_id.as_str(),
            self.support.kind.as_str(),
            self.support.description.as_str(),
            &self.support.value_fen.to_string(),
            &self.support.given_on.to_string(),
        ])
    }
}

/// A stored workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workshop {
    /// Server-assigned id.
    pub id: RecordId,
    /// Name.
    pub name: Line<200>,
    /// The community.
    pub community_id: DirectoryId,
    /// The host firm.
    pub host_firm: Line<200>,
    /// The sponsoring department.
    pub department_id: DirectoryId,
    /// How it works.
    pub mode: Mode,
    /// Its brand.
    pub brand_id: DirectoryId,
    /// Where it stands.
    pub status: WorkshopStatus,
    /// Its support package, oldest first.
    pub support: Vec<Support>,
    /// Workers enrolled.
    pub workers: i64,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
}

/// The filters of a workshop list.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Only this mode.
    pub mode: Option<Mode>,
    /// Only this brand.
    pub brand_id: Option<DirectoryId>,
    /// Only this community.
    pub community_id: Option<DirectoryId>,
    /// Only this status.
    pub status: Option<WorkshopStatus>,
}

#[cfg(test)]
mod tests {
    use super::WorkshopStatus::*;

    #[test]
    fn workshops_move_only_along_their_transitions() {
        assert!(Planned.can_become(Open));
        assert!(Open.can_become(Suspended) && Suspended.can_become(Open));
        assert!(Suspended.can_become(Closed) && Planned.can_become(Closed));
        assert!(!Closed.can_become(Open));
        assert!(!Planned.can_become(Suspended));
        assert!(!Open.can_become(Planned));
        assert!(!Open.can_become(Open));
    }
}
