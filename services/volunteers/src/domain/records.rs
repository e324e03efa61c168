//! Verified service records and the figures made of them: hours per volunteer,
//! organisation and community over a period, and the Four Ones report. No SQL, no gRPC.

use super::activities::{ActivityKind, FOUR_ONES};

/// Whose service a summary sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursScope {
    /// One volunteer's.
    Volunteer(String),
    /// The volunteers whose work side is this organisation.
    Organisation(String),
    /// The service given in this community.
    Community(String),
}

/// A verified service record as verification writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord<'a> {
    /// The record id.
    pub record_id: &'a str,
    /// The volunteer.
    pub volunteer_id: &'a str,
    /// The volunteer's work organisation.
    pub organisation_id: &'a str,
    /// The community served.
    pub community_id: &'a str,
    /// The activity.
    pub activity_id: &'a str,
    /// Arrival.
    pub served_at: i64,
    /// Minutes served.
    pub minutes: i64,
    /// Who verified it.
    pub verified_by: &'a str,
    /// When.
    pub verified_at: i64,
}

/// A link between an organisation and a community it serves: the link makes
/// the community's residents the organisation's to see, and its Four Ones due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityLink {
    /// The organisation.
    pub organisation_id: String,
    /// The community.
    pub community_id: String,
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
    pub record_id: String,
    /// The activity served.
    pub activity_id: String,
    /// Its title.
    pub activity_title: String,
    /// Its kind.
    pub activity_kind: ActivityKind,
    /// The community served.
    pub community_id: String,
    /// The volunteer's work organisation when verified.
    pub organisation_id: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// Arrival, microseconds since the epoch.
    pub served_at: i64,
    /// Minutes served.
    pub minutes: i64,
    /// Who verified it.
    pub verified_by: String,
}

/// One organisation's Four Ones in one linked community for a year: completed activities
/// of each of the four kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourOnesRow {
    /// The organisation.
    pub organisation_id: String,
    /// The linked community.
    pub community_id: String,
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
            organisation_id: "o".into(),
            community_id: "c".into(),
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
