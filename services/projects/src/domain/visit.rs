//! Visits (幸福敲门): service delivered into a community.

use super::{Date, DirectoryId, Line, RecordId, RequestId};

/// Longest kind of service, in characters.
pub const MAX_KIND_CHARS: usize = 100;

/// A validated visit to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVisit {
    /// Idempotency key.
    pub request_id: RequestId,
    /// The project delivered.
    pub project_id: RecordId,
    /// The community visited.
    pub community: DirectoryId,
    /// The day.
    pub date: Date,
    /// Kind of service.
    pub kind: Line<MAX_KIND_CHARS>,
    /// Person-times served (bounded by `RecordVisitRequest.person_times` in the proto).
    pub person_times: i64,
    /// Volunteers involved (how many: `RecordVisitRequest.volunteer_ids` in the proto).
    pub volunteer_ids: Vec<DirectoryId>,
}

impl NewVisit {
    /// A digest of everything asked.
    pub fn fingerprint(&self) -> String {
        let date = self.date.to_string();
        let count = self.person_times.to_string();
        let volunteers: Vec<&str> = self.volunteer_ids.iter().map(DirectoryId::as_str).collect();
        let volunteers = volunteers.join(",");
        xingfu_platform::validate::fingerprint([
            self.project_id.as_str(),
            self.community.as_str(),
            date.as_str(),
            self.kind.as_str(),
            count.as_str(),
            volunteers.as_str(),
        ])
    }
}

/// A recorded visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// The project delivered.
    pub project_id: RecordId,
    /// The community visited.
    pub community_id: DirectoryId,
    /// The day.
    pub date: Date,
    /// Kind of service.
    pub kind: Line<MAX_KIND_CHARS>,
    /// Person-times served.
    pub person_times: i64,
    /// Volunteers involved.
    pub volunteer_ids: Vec<DirectoryId>,
    /// Recorded, microseconds since the epoch.
    pub created_at: i64,
}

/// What a list of visits is narrowed to; each `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Visits of this project.
    pub project_id: Option<RecordId>,
    /// Visits to this community.
    pub community_id: Option<DirectoryId>,
}
