//! A project's timeline: what happened to it, in order.

use xingfu_platform::named_enum;

use super::DirectoryId;

named_enum! {
    /// What an entry of a project's timeline records.
    HistoryKind {
        /// Created.
        Created = "CREATED",
        /// Fields edited.
        Updated = "UPDATED",
        /// Status changed.
        StatusChanged = "STATUS_CHANGED",
        /// Claimed.
        Claimed = "CLAIMED",
        /// Dispatched.
        Dispatched = "DISPATCHED",
        /// Dispatch accepted.
        DispatchAccepted = "DISPATCH_ACCEPTED",
        /// Dispatch declined.
        DispatchDeclined = "DISPATCH_DECLINED",
        /// Lead handed over.
        HandedOver = "HANDED_OVER",
        /// Co-organiser added.
        CoOrganiserAdded = "CO_ORGANISER_ADDED",
        /// Visit recorded.
        Visit = "VISIT",
        /// Progress update.
        Progress = "PROGRESS",
        /// Milestone.
        Milestone = "MILESTONE",
        /// Need attached.
        NeedAttached = "NEED_ATTACHED",
    }
}

/// One entry of a project's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Position in the timeline, from 1.
    pub sequence: i64,
    /// What happened.
    pub kind: HistoryKind,
    /// Details for people.
    pub detail: String,
    /// Organisation involved.
    pub organisation_id: Option<DirectoryId>,
    /// When, microseconds since the epoch.
    pub at: i64,
}
