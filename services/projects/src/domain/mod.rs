//! The projects service's model and rules: no SQL, no gRPC. Values are parsed at the
//! edge into these types, so the rest of the service never meets bad input.

pub mod contract;
pub mod history;
pub mod milestone;
pub mod need;
pub mod project;
pub mod visit;

pub use contract::{Contract, ContractStatus, NewContract, ProviderKind};
pub use history::{HistoryEntry, HistoryKind};
pub use milestone::{Milestone, NewMilestone};
pub use need::{Channel, Contact, Decision, Need, NeedKey, NeedStatus, NewNeed};
pub use project::{Category, NewProject, Outcome, Patch, Project, Status, project_schedule_ok};
pub use visit::{NewVisit, Visit};

use std::collections::HashSet;

pub use xingfu_platform::checked::{DirectoryId, Line, Note, RecordId, RequestId, Text};
pub use xingfu_platform::date::Date;

/// Longest reason or comment, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A reason or comment: free text, 1 to [`MAX_REASON_CHARS`] characters.
pub type Reason = Text<MAX_REASON_CHARS>;

/// The directory ids of an answer that the directory read model knows (the volunteers
/// service confirmed them); an answer marks the others unverified.
#[derive(Debug, Default)]
pub struct Verified {
    /// Known organisations.
    pub organisations: HashSet<String>,
    /// Known communities.
    pub communities: HashSet<String>,
}
