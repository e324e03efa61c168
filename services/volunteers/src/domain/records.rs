//! Verified service records and the figures made of them: hours per volunteer,
//! organisation and community over a period, and the Four Ones report. No SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, RecordId};

use super::Name;
use super::activities::{ActivityKind, FOUR_ONES, Title};

/// Whose service a summary sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursScope {
    /// One volunteer's.
    Volunteer(RecordId),
    /// The volunteers whose work side is this organisation.
    Organisation(DirectoryId),
    /// The service given in this community.
    Community(DirectoryId),
}

/// A verified service record as verification writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord<'a> {
    /// The record id.
    pub record_id: &'a RecordId,
    /// The volunteer.
    pub volunteer_id: &'a RecordId,
    /// The volunteer's work organisation.
    pub organisation_id: &'a DirectoryId,
    /// The community served.
    pub community_id: &'a DirectoryId,
    /// The activity.
    pub activity_id: &'a RecordId,
    /// Arrival.
    pub served_at: i64,
    /// Minutes served.
    pub minutes: i64,
    /// Who verified it, a principal id.
    pub verified_by: &'a str,
    /// When.
    pub verified_at: i64,
}

/// A link between an organisation and a community it serves: the link makes
/// the community's residents the organisation's to see, and its Four Ones due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityLink {
    /// The organisation.
    pub organisation_id: DirectoryId,
    /// The community.
    pub community_id: DirectoryId,
    /// Linked (or, unlinking, not).
    pub linked: bool,
}

/// Verified service summed over a scope and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoursSummary {
    /// Minutes.
    pub minutes: i64,
    /// Records.
    pub records: i64,
    /// Distinct volunteers.
    pub volunteers: i64,
}

/// One verified service record, as an export shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    /// The record id.
    pub record_id: RecordId,
    /// The volunteer who served.
    pub volunteer_id: RecordId,
    /// The activity served.
    pub activity_id: RecordId,
    /// Its title.
    pub activity_title: Title,
    /// Its kind.
    pub activity_kind: ActivityKind,
    /// The community served.
    pub community_id: DirectoryId,
    /// The community's name (its id, should the directory not know it).
    pub community_name: Name,
    /// The volunteer's work organisation when verified.
    pub organisation_id: DirectoryId,
    /// The organisation's name (its id, should the directory not know it).
    pub organisation_name: Name,
    /// Arrival, microseconds since the epoch.
    pub served_at: i64,
    /// Minutes served.
    pub minutes: i64,
    /// Who verified it, a principal id.
    pub verified_by: String,
}

/// One organisation's Four Ones in one linked community for a year: completed activities
/// of each of the four kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourOnesRow {
    /// The organisation.
    pub organisation_id: DirectoryId,
    /// The linked community.
    pub community_id: DirectoryId,
    /// Completed activities per kind, in [`FOUR_ONES`] order.
    pub done: [i64; 4],
}

impl FourOnesRow {
    /// The kinds with none done.
    pub fn missing(&self) -> Vec<ActivityKind> {
        FOUR_ONES
            .iter()
            .zip(self.done)
            .filter(|(_, n)| *n == 0)
            .map(|(kind, _)| *kind)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_kinds_are_those_never_done() {
        let row = FourOnesRow {
            organisation_id: DirectoryId::parse("o", "organisation_id").unwrap(),
            community_id: DirectoryId::parse("c", "community_id").unwrap(),
            done: [2, 0, 1, 0],
        };
        assert_eq!(
            row.missing(),
            vec![
                ActivityKind::CollectiveBirthday,
                ActivityKind::PracticalMatter
            ]
        );
    }
}
