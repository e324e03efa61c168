//! The people around a workshop: commissioners (共富专员), red stewards (红色管家) and star
//! brokers (星级经纪人), all volunteers of the register.

use xingfu_platform::checked::{DirectoryId, Line, Note, RecordId, RequestId};
use xingfu_platform::named_enum;

named_enum! {
    /// A role around workshops.
    Role {
        /// A common-prosperity commissioner, dispatched to a workshop, village or firm.
        Commissioner = "COMMISSIONER",
        /// A red steward of a workshop.
        RedSteward = "RED_STEWARD",
        /// A star broker of a workshop.
        StarBroker = "STAR_BROKER",
    }
}

/// Where an appointment places its volunteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A workshop of this service.
    Workshop(RecordId),
    /// A village or community of the directory (commissioners only).
    Community(DirectoryId),
    /// A firm, by name (commissioners only).
    Firm(Line<200>),
}

impl Place {
    /// Whether `role` may be placed here: stewards and brokers belong to a workshop.
    pub fn fits(&self, role: Role) -> bool {
        role == Role::Commissioner || matches!(self, Place::Workshop(_))
    }
}

/// An appointment as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    /// The idempotency key.
    pub request_id: RequestId,
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// The role.
    pub role: Role,
    /// Where.
    pub place: Place,
}

impl NewAppointment {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        let (kind, at) = match &self.place {
            Place::Workshop(id) => ("workshop", id.as_str()),
            Place::Community(id) => ("community", id.as_str()),
            Place::Firm(name) => ("firm", name.as_str()),
        };
        xingfu_platform::validate::fingerprint([
            self.volunteer_id.as_str(),
            self.role.as_str(),
            kind,
            at,
        ])
    }
}

/// A stored appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// Server-assigned id.
    pub id: RecordId,
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// The role.
    pub role: Role,
    /// Where.
    pub place: Place,
    /// The current rating of a star broker; 0 before any.
    pub stars: i64,
    /// Whether it holds.
    pub active: bool,
    /// Appointed, microseconds since the epoch.
    pub created_at: i64,
    /// Ended.
    pub ended_at: Option<i64>,
}

/// One rating of a star broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Stars, 1 to 5.
    pub stars: i64,
    /// Why.
    pub note: Note<500>,
    /// Rated, microseconds since the epoch.
    pub created_at: i64,
}

/// The filters of an appointment list.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Only this role.
    pub role: Option<Role>,
    /// Only at this workshop.
    pub workshop_id: Option<RecordId>,
    /// Only this volunteer.
    pub volunteer_id: Option<RecordId>,
    /// Only those that hold.
    pub active_only: bool,
}
