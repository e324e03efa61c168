//! Grants (资助): what they are for, where they stand, and what a list of them shows.

use xingfu_platform::{named_enum, validate};

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
    pub name: String,
    /// How many.
    pub quantity: i32,
}

/// A validated grant request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    /// Idempotency key.
    pub request_id: String,
    /// The fund to pay it.
    pub fund_id: String,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference (empty for project grants).
    pub beneficiary_ref: String,
    /// The project, for project grants.
    pub project_id: Option<String>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Who requests it.
    pub requested_by: String,
}

impl NewGrant {
    /// A digest of everything asked.
    pub fn fingerprint(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| format!("{}x{}", i.quantity, i.name))
            .collect();
        let amount = self.amount_fen.to_string();
        let items = items.join(",");
        validate::fingerprint([
            self.fund_id.as_str(),
            self.kind.as_str(),
            self.beneficiary_ref.as_str(),
            self.project_id.as_deref().unwrap_or(""),
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
    pub id: String,
    /// The fund paying it.
    pub fund_id: String,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference.
    pub beneficiary_ref: String,
    /// The project.
    pub project_id: Option<String>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub status: GrantStatus,
    /// Who requested it.
    pub requested_by: String,
    /// Who approved it, in order.
    pub approved_by: Vec<String>,
    /// Approvals needed.
    pub approvals_required: i32,
    /// Why rejected or cancelled.
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
    pub fund_id: Option<&'a str>,
    /// Only in this status.
    pub status: Option<GrantStatus>,
    /// Only for this project.
    pub project_id: Option<&'a str>,
    /// Only of funds owned by one of these organisations (a caller's boundary).
    pub owners: Option<&'a [String]>,
}
