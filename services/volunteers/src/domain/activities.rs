//! Activities and the service volunteers give in them: no SQL, no gRPC.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId, Text};
use xingfu_platform::named_enum;

named_enum! {
    /// What kind of activity.
    ActivityKind {
        /// A class (共享幸福小课堂).
        Classroom = "CLASSROOM",
        /// "Red Sunday" (红色星期天).
        RedSunday = "RED_SUNDAY",
        /// A service visit (幸福敲门).
        Visit = "VISIT",
        /// Anything else.
        Other = "OTHER",
        /// A festival visit to the elderly (节日走访), one of the Four Ones.
        FestivalVisit = "FESTIVAL_VISIT",
        /// A collective birthday (集体生日), one of the Four Ones.
        CollectiveBirthday = "COLLECTIVE_BIRTHDAY",
        /// A collective exchange (集体交流), one of the Four Ones.
        CollectiveExchange = "COLLECTIVE_EXCHANGE",
        /// A practical matter done (办一件实事), one of the Four Ones.
        PracticalMatter = "PRACTICAL_MATTER",
        /// Donating a meal (捐一餐).
        MealDonate = "MEAL_DONATE",
        /// Ordering a meal (订一餐).
        MealOrder = "MEAL_ORDER",
        /// Cooking a meal (做一餐).
        MealCook = "MEAL_COOK",
        /// Delivering a meal (送一餐).
        MealDeliver = "MEAL_DELIVER",
    }
}

/// The Four Ones (四个一): every linked community, every year, at least one of each.
pub const FOUR_ONES: [ActivityKind; 4] = [
    ActivityKind::FestivalVisit,
    ActivityKind::CollectiveBirthday,
    ActivityKind::CollectiveExchange,
    ActivityKind::PracticalMatter,
];

impl ActivityKind {
    /// A link of the meal chain, whose people served are meal person-times.
    pub fn is_meal(self) -> bool {
        matches!(
            self,
            Self::MealDonate | Self::MealOrder | Self::MealCook | Self::MealDeliver
        )
    }
}

/// An activity's title: one line, 1 to 200 characters.
pub type Title = Line<200>;

/// Why an activity was cancelled: 1 to 500 characters.
pub type CancelReason = Text<500>;

named_enum! {
    /// Where an activity stands.
    ActivityStatus {
        /// Taking sign-ups and check-ins.
        Open = "OPEN",
        /// Done: the people served recorded.
        Completed = "COMPLETED",
        /// Called off before anyone arrived.
        Cancelled = "CANCELLED",
    }
}

/// Co-organisers as one string, newline-separated: how they are stored and fingerprinted.
pub fn join_organisers(ids: &[DirectoryId]) -> String {
    ids.iter()
        .map(DirectoryId::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// An activity as its creator asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    /// The creator's idempotency key.
    pub request_id: RequestId,
    /// Title.
    pub title: Title,
    /// Kind.
    pub kind: ActivityKind,
    /// The community served.
    pub community_id: DirectoryId,
    /// The project it belongs to.
    pub project_id: Option<RecordId>,
    /// Start, microseconds since the epoch.
    pub start_at: i64,
    /// Volunteers it takes (bounded by `CreateActivityRequest.capacity` in the proto).
    pub capacity: i64,
    /// The organisation that runs it.
    pub organisation_id: Option<DirectoryId>,
    /// Organisations running it with the lead.
    pub co_organiser_ids: Vec<DirectoryId>,
}

impl NewActivity {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.title.as_str(),
            self.kind.as_str(),
            self.community_id.as_str(),
            self.project_id.as_ref().map_or("", RecordId::as_str),
            &self.start_at.to_string(),
            &self.capacity.to_string(),
            self.organisation_id
                .as_ref()
                .map_or("", DirectoryId::as_str),
            &join_organisers(&self.co_organiser_ids),
        ])
    }
}

/// A stored activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Server-assigned id.
    pub id: RecordId,
    /// Title.
    pub title: Title,
    /// Kind.
    pub kind: ActivityKind,
    /// The community served.
    pub community_id: DirectoryId,
    /// The project it belongs to.
    pub project_id: Option<RecordId>,
    /// Start, microseconds since the epoch.
    pub start_at: i64,
    /// Volunteers it takes.
    pub capacity: i64,
    /// Volunteers signed up.
    pub signed_up: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
    /// The organisation that runs it.
    pub organisation_id: Option<DirectoryId>,
    /// People served, once completed.
    pub people_served: Option<i64>,
    /// Completed, microseconds since the epoch.
    pub completed_at: Option<i64>,
    /// Organisations running it with the lead.
    pub co_organiser_ids: Vec<DirectoryId>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Cancelled, microseconds since the epoch.
    pub cancelled_at: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

impl Activity {
    /// Open, completed or cancelled.
    pub fn status(&self) -> ActivityStatus {
        if self.completed_at.is_some() {
            ActivityStatus::Completed
        } else if self.cancelled_at.is_some() {
            ActivityStatus::Cancelled
        } else {
            ActivityStatus::Open
        }
    }

    /// The organisations that run it: the lead, then the co-organisers.
    pub fn organisations(&self) -> impl Iterator<Item = &DirectoryId> {
        self.organisation_id.iter().chain(&self.co_organiser_ids)
    }
}

/// An UpdateActivity's changes: `Some` for each field the mask names.
#[derive(Debug, Default)]
pub struct ActivityPatch {
    /// A new title.
    pub title: Option<Title>,
    /// A new start, microseconds since the epoch.
    pub start_at: Option<i64>,
    /// A new capacity (bounded by the proto).
    pub capacity: Option<i64>,
    /// Another community served.
    pub community_id: Option<DirectoryId>,
    /// Another project, or none.
    pub project_id: Option<Option<RecordId>>,
    /// Other co-organisers.
    pub co_organiser_ids: Option<Vec<DirectoryId>>,
}

/// A volunteer's part in an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    /// The activity.
    pub activity_id: RecordId,
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// Arrival, microseconds since the epoch.
    pub check_in_at: Option<i64>,
    /// Leaving, microseconds since the epoch.
    pub check_out_at: Option<i64>,
    /// Whole minutes between arrival and leaving.
    pub minutes: Option<i64>,
    /// The verified service record's id.
    pub record_id: Option<RecordId>,
    /// Who verified it (a principal id).
    pub verified_by: Option<String>,
}

named_enum! {
    /// A stage a participation moves through, as ParticipationChanged names it.
    Stage {
        /// Signed up.
        SignedUp = "signed_up",
        /// Arrived.
        CheckedIn = "checked_in",
        /// Left, the minutes served recorded.
        CheckedOut = "checked_out",
        /// The sign-up ended before arrival.
        Cancelled = "cancelled",
    }
}

/// Whole minutes served between arrival and leaving (both in microseconds), or `None`
/// when leaving is not after arrival or the span is absurd (more than [`MAX_MINUTES`]).
pub fn minutes_served(check_in_at: i64, check_out_at: i64) -> Option<i64> {
    let minutes = check_out_at.checked_sub(check_in_at)? / 60_000_000;
    (check_out_at > check_in_at && minutes <= MAX_MINUTES).then_some(minutes)
}

/// The longest service one check-in and check-out can record: seven days.
pub const MAX_MINUTES: i64 = 7 * 24 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_down_and_need_a_positive_span() {
        assert_eq!(minutes_served(0, 90 * 60_000_000 + 59_999_999), Some(90));
        assert_eq!(minutes_served(5, 5), None);
        assert_eq!(minutes_served(10, 5), None);
        assert_eq!(minutes_served(i64::MIN, i64::MAX), None, "no overflow");
        assert_eq!(minutes_served(0, (MAX_MINUTES + 1) * 60_000_000), None);
    }

    #[test]
    fn meals_and_four_ones_are_told_apart() {
        assert!(ActivityKind::MealCook.is_meal());
        assert!(!ActivityKind::FestivalVisit.is_meal());
        assert!(FOUR_ONES.iter().all(|k| !k.is_meal()));
    }

    #[test]
    fn a_changed_capacity_changes_the_fingerprint() {
        let a = NewActivity {
            request_id: RequestId::parse("r", "request_id").unwrap(),
            title: Title::parse("t", "title").unwrap(),
            kind: ActivityKind::Classroom,
            community_id: DirectoryId::parse("c", "community_id").unwrap(),
            project_id: None,
            start_at: 1,
            capacity: 2,
            organisation_id: None,
            co_organiser_ids: Vec::new(),
        };
        let b = NewActivity {
            capacity: 3,
            ..a.clone()
        };
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
