//! Milestones: the steps a project plans, each with a due day and its progress, beside the
//! notes written after the fact (the history). No SQL, no gRPC.

use super::{Date, Line, RecordId, RequestId};

/// Longest milestone title, in characters.
pub const MAX_MILESTONE_TITLE_CHARS: usize = 200;

/// Most milestones one project plans.
pub const MAX_MILESTONES: i64 = 200;

/// A milestone as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMilestone {
    /// The planner's idempotency key.
    pub request_id: RequestId,
    /// The project.
    pub project_id: RecordId,
    /// What is to be done.
    pub title: Line<MAX_MILESTONE_TITLE_CHARS>,
    /// The day it is due.
    pub due_on: Date,
}

impl NewMilestone {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.project_id.as_str(),
            self.title.as_str(),
            &self.due_on.to_string(),
        ])
    }
}

/// A stored milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// The project.
    pub project_id: RecordId,
    /// What is to be done.
    pub title: Line<MAX_MILESTONE_TITLE_CHARS>,
    /// The day it is due.
    pub due_on: Date,
    /// Progress, 0 to 100 %.
    pub progress: i64,
    /// Reached (100 %), microseconds since the epoch.
    pub reached_at: Option<i64>,
    /// Planned, microseconds since the epoch.
    pub created_at: i64,
}

impl Milestone {
    /// Whether its due day has passed, as of `today`, and it is not reached.
    pub fn overdue(&self, today: Date) -> bool {
        self.reached_at.is_none() && self.due_on < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_milestone_is_overdue_only_past_its_day_and_unreached() {
        let day = |d| Date::new(2026, 12, d, "due").unwrap();
        let m = Milestone {
            id: RecordId::generate(),
            project_id: RecordId::generate(),
            title: Line::parse("t", "title").unwrap(),
            due_on: day(3),
            progress: 50,
            reached_at: None,
            created_at: 0,
        };
        assert!(!m.overdue(day(3)) && m.overdue(day(4)));
        let reached = Milestone {
            reached_at: Some(1),
            progress: 100,
            ..m
        };
        assert!(!reached.overdue(day(4)));
    }
}
