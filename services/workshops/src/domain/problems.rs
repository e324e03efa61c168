//! Problems raised at workshops: assigned to a commissioner, escalated, resolved.

use xingfu_platform::checked::{RecordId, RequestId, Text};
use xingfu_platform::named_enum;

named_enum! {
    /// What a problem is about.
    ProblemCategory {
        /// Construction of the site (场地建设).
        Construction = "CONSTRUCTION",
        /// Matching with firms (企业对接).
        FirmMatching = "FIRM_MATCHING",
        /// Internal management (内部管理).
        InternalManagement = "INTERNAL_MANAGEMENT",
        /// Anything else.
        Other = "OTHER",
    }
}

named_enum! {
    /// Where a problem stands.
    ProblemStatus {
        /// Raised, nobody on it.
        Open = "OPEN",
        /// A commissioner is on it.
        Assigned = "ASSIGNED",
        /// Passed up.
        Escalated = "ESCALATED",
        /// Solved.
        Resolved = "RESOLVED",
    }
}

/// A problem as raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProblem {
    /// The idempotency key.
    pub request_id: RequestId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// What it is about.
    pub category: ProblemCategory,
    /// What is wrong.
    pub description: Text<1000>,
}

impl NewProblem {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.workshop_id.as_str(),
            self.category.as_str(),
            self.description.as_str(),
        ])
    }
}

/// A stored problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Server-assigned id.
    pub id: RecordId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// What it is about.
    pub category: ProblemCategory,
    /// What is wrong.
    pub description: Text<1000>,
    /// Where it stands.
    pub status: ProblemStatus,
    /// The commissioner on it.
    pub assignee_id: Option<RecordId>,
    /// How it was solved.
    pub resolution: Option<Text<1000>>,
    /// Why it was escalated.
    pub escalation_reason: Option<Text<1000>>,
    /// Raised, microseconds since the epoch.
    pub created_at: i64,
    /// Resolved.
    pub resolved_at: Option<i64>,
}

impl Problem {
    /// Whole days open: until resolved, or until `now` (microseconds).
    pub fn age_days(&self, now: i64) -> i64 {
        let until = self.resolved_at.unwrap_or(now);
        (until - self.created_at).max(0) / 86_400_000_000
    }
}
