//! What the funds service knows of the world outside its ledger.

/// A project the funds service has learnt of from the projects service's events.
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
