//! Service contracts (服务契约): a team's or organisation's standing agreement with a
//! community.

use super::{Date, DirectoryId, Line, Reason, RecordId, RequestId};
use xingfu_platform::named_enum;

/// Longest service name, in characters.
pub const MAX_SERVICE_CHARS: usize = 100;

named_enum! {
    /// Who provides a contract's services.
    ProviderKind {
        /// A volunteer service team.
        Team = "TEAM",
        /// An organisation.
        Organisation = "ORGANISATION",
    }
}

named_enum! {
    /// Where a contract stands.
    ContractStatus {
        /// In force.
        Active = "ACTIVE",
        /// Past its end date.
        Expired = "EXPIRED",
        /// Ended early.
        Terminated = "TERMINATED",
    }
}

/// A validated contract to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract {
    /// Idempotency key.
    pub request_id: RequestId,
    /// Provider kind.
    pub provider_kind: ProviderKind,
    /// Provider id.
    pub provider: DirectoryId,
    /// Community served.
    pub community: DirectoryId,
    /// Services offered (how many: `SignContractRequest.services` in the proto).
    pub services: Vec<Line<MAX_SERVICE_CHARS>>,
    /// First day.
    pub start_date: Date,
    /// Last day.
    pub end_date: Date,
    /// The project it belongs to.
    pub project_id: Option<RecordId>,
}

impl NewContract {
    /// A digest of everything asked.
    pub fn fingerprint(&self) -> String {
        let services: Vec<&str> = self.services.iter().map(Line::as_str).collect();
        let services = services.join("\u{1f}");
        let start = self.start_date.to_string();
        let end = self.end_date.to_string();
        xingfu_platform::validate::fingerprint([
            self.provider_kind.as_str(),
            self.provider.as_str(),
            self.community.as_str(),
            services.as_str(),
            start.as_str(),
            end.as_str(),
            self.project_id.as_ref().map_or("", RecordId::as_str),
        ])
    }
}

/// What a list of contracts is narrowed to; each `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Contracts with this community.
    pub community_id: Option<DirectoryId>,
    /// Contracts of this provider.
    pub provider_id: Option<DirectoryId>,
    /// Contracts in this status as of the day listed (see [`Contract::status_on`]).
    pub status: Option<ContractStatus>,
}

/// A signed contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// Provider kind.
    pub provider_kind: ProviderKind,
    /// Provider id.
    pub provider_id: DirectoryId,
    /// Community served.
    pub community_id: DirectoryId,
    /// Services offered.
    pub services: Vec<Line<MAX_SERVICE_CHARS>>,
    /// First day.
    pub start_date: Date,
    /// Last day.
    pub end_date: Date,
    /// Stored status (an ACTIVE contract past its end is shown EXPIRED, see [`Contract::status_on`]).
    pub status: ContractStatus,
    /// Why terminated.
    pub termination_reason: Option<Reason>,
    /// The project it belongs to.
    pub project_id: Option<RecordId>,
    /// Times renewed.
    pub renewals: i64,
    /// Signed, microseconds since the epoch.
    pub created_at: i64,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Contract {
    /// The status on `today`: an ACTIVE contract whose last day has passed is EXPIRED,
    /// whether or not the expiry sweep has recorded it yet.
    pub fn status_on(&self, today: Date) -> ContractStatus {
        match self.status {
            ContractStatus::Active if self.end_date < today => ContractStatus::Expired,
            status => status,
        }
    }
}
