//! Grants (资助): what they are for, where they stand, and what a list of them shows.

use xingfu_platform::checked::{Line, RecordId, RequestId};
use xingfu_platform::{named_enum, validate};

use super::{ActorId, MAX_ITEM_NAME_CHARS};

named_enum! {
    /// What a grant is for.
    GrantKind {
        /// Support to a child in hardship.
        ChildSupport = "CHILD_SUPPORT",
        /// A study-corner renovation.
        StudyCorner = "STUDY_CORNER",
        /// Money to a project.
        Project = "PROJECT",
    }
}

named_enum! {
    /// Where a grant stands.
    GrantStatus {
        /// Waiting for approval.
        Requested = "REQUESTED",
        /// Approved, waiting to be paid.
        Approved = "APPROVED",
        /// Paid.
        Disbursed = "DISBURSED",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

impl GrantKind {
    /// Whether a grant of this kind names a beneficiary (child support and study corners
    /// do).
    pub fn needs_beneficiary(self) -> bool {
        matches!(self, GrantKind::ChildSupport | GrantKind::StudyCorner)
    }
}

/// An item of a study-corner renovation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What.
    pub name: Line<MAX_ITEM_NAME_CHARS>,
    /// How many.
    pub quantity: i32,
}

/// A validated grant request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    /// Idempotency key.
    pub request_id: RequestId,
    /// The fund to pay it.
    pub fund_id: RecordId,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference (empty for project grants).
    pub beneficiary_ref: String,
    /// The project, for project grants.
    pub project_id: Option<RecordId>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen (`RequestGrantRequest.amount_fen` in the proto bounds it: a hundred
    /// million yuan at most, so sums of many stay far from i64's end).
    pub amount_fen: i64,
    /// Who requests it.
    pub requested_by: ActorId,
}

impl NewGrant {
    /// A digest of everything asked.
    pub fn fingerprint(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| format!("{}x{}", i.quantity, i.name.as_str()))
            .collect();
        let amount = self.amount_fen.to_string();
        let items = items.join(",");
        validate::fingerprint([
            self.fund_id.as_str(),
            self.kind.as_str(),
            self.beneficiary_ref.as_str(),
            self.project_id.as_ref().map_or("", RecordId::as_str),
            items.as_str(),
            amount.as_str(),
            self.requested_by.as_str(),
        ])
    }
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Id.
    pub id: RecordId,
    /// The fund paying it.
    pub fund_id: RecordId,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference.
    pub beneficiary_ref: String,
    /// The project.
    pub project_id: Option<RecordId>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub status: GrantStatus,
    /// Who requested it.
    pub requested_by: ActorId,
    /// Who approved it, in order.
    pub approved_by: Vec<ActorId>,
    /// Approvals needed.
    pub approvals_required: i32,
    /// Why rejected (after the reviewer's id, `reviewer: reason`) or cancelled.
    pub reason: Option<String>,
    /// Requested, microseconds since the epoch.
    pub created_at: i64,
    /// Paid, microseconds since the epoch.
    pub disbursed_at: Option<i64>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// Which grants a list shows.
#[derive(Debug, Default)]
pub struct GrantFilter<'a> {
    /// Only this fund's.
    pub fund_id: Option<&'a RecordId>,
    /// Only in this status.
    pub status: Option<GrantStatus>,
    /// Only for this project.
    pub project_id: Option<&'a RecordId>,
    /// Only of funds owned by one of these organisations (a caller's boundary).
    pub owners: Option<&'a [String]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_fingerprinted_by_its_values_as_text() {
        let fund_id = RecordId::generate();
        let new = NewGrant {
            request_id: RequestId::parse("req-1", "request_id").unwrap(),
            fund_id: fund_id.clone(),
            kind: GrantKind::StudyCorner,
            beneficiary_ref: "case-7".into(),
            project_id: None,
            items: vec![Item {
                name: Line::parse("书桌", "name").unwrap(),
                quantity: 2,
            }],
            amount_fen: 150_000,
            requested_by: Line::parse("alice", "requested_by").unwrap(),
        };
        let asked = [
            fund_id.as_str(),
            "STUDY_CORNER",
            "case-7",
            "",
            "2x书桌",
            "150000",
            "alice",
        ];
        assert_eq!(new.fingerprint(), validate::fingerprint(asked));
    }
}
