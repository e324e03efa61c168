//! Micro-wishes (微心愿): a child's small wish, posted in a community, adopted by exactly
//! one volunteer and fulfilled or cancelled. The child is an alias and an age band: the
//! service never holds a minor's name. No SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId, Text};
use xingfu_platform::named_enum;

named_enum! {
    /// A child's age band.
    AgeBand {
        /// Under 6.
        Under6 = "UNDER_6",
        /// 6 to 11.
        From6To11 = "6_TO_11",
        /// 12 to 17.
        From12To17 = "12_TO_17",
    }
}

named_enum! {
    /// Where a wish stands.
    WishStatus {
        /// Waiting for a volunteer.
        Open = "OPEN",
        /// A volunteer adopted it.
        Adopted = "ADOPTED",
        /// Fulfilled.
        Fulfilled = "FULFILLED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

/// The longest alias: a nickname such as 小宇, not a full name.
pub const MAX_ALIAS_CHARS: usize = 10;

/// What is wished: one line, 1 to 200 characters.
pub type WishText = Line<200>;

/// A fulfilment note or a cancellation reason: 1 to 500 characters.
pub type ClosingNote = Text<500>;

/// A wish as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWish {
    /// The poster's idempotency key.
    pub request_id: RequestId,
    /// The child's alias.
    pub child_alias: Line<MAX_ALIAS_CHARS>,
    /// The child's age band.
    pub age_band: AgeBand,
    /// The community.
    pub community_id: DirectoryId,
    /// What is wished.
    pub wish: WishText,
}

impl NewWish {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.child_alias.as_str(),
            self.age_band.as_str(),
            self.community_id.as_str(),
            self.wish.as_str(),
        ])
    }
}

/// A stored wish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wish {
    /// Server-assigned id.
    pub id: RecordId,
    /// The child's alias.
    pub child_alias: Line<MAX_ALIAS_CHARS>,
    /// The child's age band.
    pub age_band: AgeBand,
    /// The community.
    pub community_id: DirectoryId,
    /// What is wished.
    pub wish: WishText,
    /// Where it stands.
    pub status: WishStatus,
    /// Who adopted it.
    pub adopter_id: Option<RecordId>,
    /// The fulfilment note.
    pub fulfil_note: Option<ClosingNote>,
    /// The cancellation reason.
    pub cancel_reason: Option<ClosingNote>,
    /// Posted, microseconds since the epoch.
    pub created_at: i64,
    /// Adopted.
    pub adopted_at: Option<i64>,
    /// Fulfilled or cancelled.
    pub closed_at: Option<i64>,
}

impl WishStatus {
    /// Whether a wish in this status may still be cancelled.
    pub fn cancellable(self) -> bool {
        matches!(self, Self::Open | Self::Adopted)
    }
}
