//! The projects service's model and rules: no SQL, no gRPC. Values are parsed at the
//! edge into these types, so the rest of the service never meets bad input.

pub mod contract;
pub mod history;
pub mod need;
pub mod project;
pub mod visit;

pub use contract::{Contract, ContractStatus, NewContract, ProviderKind};
pub use history::{HistoryEntry, HistoryKind};
pub use need::{Channel, Contact, Decision, Need, NeedKey, NeedStatus, NewNeed};
pub use project::{Category, NewProject, Outcome, Patch, Project, Status, project_schedule_ok};
pub use visit::{NewVisit, Visit};

use std::collections::HashSet;

use xingfu_platform::{FieldViolation, validate};

pub use xingfu_platform::checked::DirectoryId;
pub use xingfu_platform::date::Date;

/// A reason or comment: one line, 1 to 500 characters.
pub fn parse_reason(value: &str, field: &str) -> Result<String, FieldViolation> {
    validate::multi_line(value, field, 500).and_then(|text| {
        if text.is_empty() {
            Err(FieldViolation::new(field, "must not be empty"))
        } else {
            Ok(text)
        }
    })
}

/// The directory ids of an answer that the directory read model knows (the volunteers
/// service confirmed them); an answer marks the others unverified.
#[derive(Debug, Default)]
pub struct Verified {
    /// Known organisations.
    pub organisations: HashSet<String>,
    /// Known communities.
    pub communities: HashSet<String>,
}
