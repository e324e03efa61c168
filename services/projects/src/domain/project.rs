//! Projects (幸福要事): categories, the lifecycle and its rules.

use xingfu_platform::{FieldViolation, validate};

use super::{Date, DirectoryId, Line, Note, Reason, RecordId, RequestId, Text};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest outcome summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2000;
/// Most communities one project serves.
pub const MAX_COMMUNITIES: usize = 50;

use xingfu_platform::named_enum;

named_enum! {
    /// The seven categories (类别) of the shared library.
    Category {
        /// 便民利民
        Convenience = "CONVENIENCE",
        /// 结对帮困
        PairedAssistance = "PAIRED_ASSISTANCE",
        /// 交通出行
        Transport = "TRANSPORT",
        /// 基础设施
        Infrastructure = "INFRASTRUCTURE",
        /// 群众活动
        CommunityActivity = "COMMUNITY_ACTIVITY",
        /// 公共服务
        PublicService = "PUBLIC_SERVICE",
        /// 环境改善
        Environment = "ENVIRONMENT",
    }
}

named_enum! {
    /// A project's lifecycle state.
    Status {
        /// Being prepared; not yet in the shared library.
        Draft = "DRAFT",
        /// In the shared library, open to claim or dispatch.
        Published = "PUBLISHED",
        /// An organisation leads it.
        Claimed = "CLAIMED",
        /// Being delivered.
        InProgress = "IN_PROGRESS",
        /// Delivered.
        Completed = "COMPLETED",
        /// Abandoned.
        Cancelled = "CANCELLED",
    }
}

impl Status {
    /// Whether the lifecycle allows going from `self` to `to`.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, Published)
                | (Published, Claimed)
                | (Claimed, InProgress)
                | (InProgress, Completed)
                | (Draft | Published | Claimed | InProgress, Cancelled)
        )
    }

    /// Whether the project's fields may still be edited.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Published)
    }

    /// Whether the project is over.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled)
    }

    /// Whether the project has a lead and is being delivered or about to be.
    pub fn is_led(self) -> bool {
        matches!(self, Status::Claimed | Status::InProgress)
    }
}

/// A validated request to create a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// The creator's idempotency key.
    pub request_id: RequestId,
    /// Title.
    pub title: Line<MAX_TITLE_CHARS>,
    /// Category.
    pub category: Category,
    /// Communities served, at least one, no repeats, in the order given.
    pub communities: Vec<DirectoryId>,
    /// Description.
    pub description: Note<MAX_DESCRIPTION_CHARS>,
    /// Planned budget, fen.
    pub planned_budget_fen: i64,
    /// Planned start.
    pub start_date: Option<Date>,
    /// Planned end.
    pub end_date: Option<Date>,
}

impl NewProject {
    /// A digest of everything asked, to tell a retry from a different request that
    /// reuses the same idempotency key.
    pub fn fingerprint(&self) -> String {
        let communities: Vec<&str> = self.communities.iter().map(DirectoryId::as_str).collect();
        let budget = self.planned_budget_fen.to_string();
        let start = self.start_date.map(|d| d.to_string()).unwrap_or_default();
        let end = self.end_date.map(|d| d.to_string()).unwrap_or_default();
        let joined = communities.join(",");
        validate::fingerprint([
            self.title.as_str(),
            self.category.as_str(),
            joined.as_str(),
            self.description.as_str(),
            budget.as_str(),
            start.as_str(),
            end.as_str(),
        ])
    }
}

/// Fields to change on a project; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    /// New title.
    pub title: Option<Line<MAX_TITLE_CHARS>>,
    /// New category.
    pub category: Option<Category>,
    /// New description.
    pub description: Option<Note<MAX_DESCRIPTION_CHARS>>,
    /// New communities.
    pub communities: Option<Vec<DirectoryId>>,
    /// New planned budget.
    pub planned_budget_fen: Option<i64>,
    /// New start (`Some(None)` clears it).
    pub start_date: Option<Option<Date>>,
    /// New end (`Some(None)` clears it).
    pub end_date: Option<Option<Date>>,
}

/// What a project achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// People who benefited.
    pub beneficiaries: i64,
    /// What was delivered.
    pub summary: Text<MAX_SUMMARY_CHARS>,
}

/// A project of the shared library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// Title.
    pub title: Line<MAX_TITLE_CHARS>,
    /// Category.
    pub category: Category,
    /// Communities served, in order.
    pub communities: Vec<DirectoryId>,
    /// Description.
    pub description: Note<MAX_DESCRIPTION_CHARS>,
    /// Lifecycle state.
    pub status: Status,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Planned budget, fen.
    pub planned_budget_fen: i64,
    /// Planned start.
    pub start_date: Option<Date>,
    /// Planned end.
    pub end_date: Option<Date>,
    /// Lead organisation.
    pub lead_organisation: Option<DirectoryId>,
    /// Co-organisers, in the order they joined.
    pub co_organisers: Vec<DirectoryId>,
    /// Organisation dispatched to, awaiting its answer.
    pub pending_dispatch: Option<DirectoryId>,
    /// The day the organisation dispatched to must answer by.
    pub dispatch_respond_by: Option<Date>,
    /// Needs it answers.
    pub need_ids: Vec<RecordId>,
    /// Outcome, once completed.
    pub outcome: Option<Outcome>,
    /// Why it was cancelled.
    pub cancel_reason: Option<Reason>,
    /// Visits recorded.
    pub visits: i64,
    /// Person-times served.
    pub person_times: i64,
    /// Money granted to it, fen.
    pub funded_fen: i64,
    /// Verified volunteer minutes logged against it.
    pub volunteer_minutes: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
    /// Last changed, microseconds since the epoch.
    pub updated_at: i64,
}

impl Project {
    /// Whether a dispatch is unanswered past its respond-by day, as of `today`.
    pub fn dispatch_overdue(&self, today: Date) -> bool {
        self.pending_dispatch.is_some() && self.dispatch_respond_by.is_some_and(|by| by < today)
    }
}

/// What a list of projects is narrowed to; each `None` leaves it open. Its `Debug` text
/// binds page tokens to the query, so its name and fields stay as they are.
#[derive(Clone, Default)]
pub struct Filter {
    /// Category.
    pub category: Option<Category>,
    /// Status.
    pub status: Option<Status>,
    /// A community served.
    pub community_id: Option<DirectoryId>,
    /// Lead organisation.
    pub lead_organisation: Option<DirectoryId>,
    /// Text in title or description (already lower-cased).
    pub text: Option<String>,
}

/// As derived when the ids were strings (`Some("beiao")`), so page tokens stay valid.
impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("category", &self.category)
            .field("status", &self.status)
            .field(
                "community_id",
                &self.community_id.as_ref().map(DirectoryId::as_str),
            )
            .field(
                "lead_organisation",
                &self.lead_organisation.as_ref().map(DirectoryId::as_str),
            )
            .field("text", &self.text)
            .finish()
    }
}

/// Checks the communities of a project: 1 to [`MAX_COMMUNITIES`] distinct ids.
pub fn parse_communities(
    values: &[String],
    field: &str,
) -> Result<Vec<DirectoryId>, FieldViolation> {
    if values.is_empty() || values.len() > MAX_COMMUNITIES {
        return Err(FieldViolation::new(
            field,
            format!("must name 1 to {MAX_COMMUNITIES} communities"),
        ));
    }
    let mut ids: Vec<DirectoryId> = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let id = DirectoryId::parse(value, &format!("{field}[{i}]"))?;
        if ids.contains(&id) {
            return Err(FieldViolation::new(
                format!("{field}[{i}]"),
                "is listed twice",
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Checks an amount in fen: 0 up to 10^13 (a hundred billion yuan).
pub fn parse_fen(value: i64, field: &str) -> Result<i64, FieldViolation> {
    if (0..=10_000_000_000_000).contains(&value) {
        Ok(value)
    } else {
        Err(FieldViolation::new(
            field,
            "must be 0 to 10,000,000,000,000 fen",
        ))
    }
}

/// Checks that a schedule does not end before it starts.
pub fn check_schedule(
    start: Option<Date>,
    end: Option<Date>,
    field: &str,
) -> Result<(), FieldViolation> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => {
            Err(FieldViolation::new(field, "must not be before start_date"))
        }
        _ => Ok(()),
    }
}

/// Checks a project's schedule after an edit (reported on `values.end_date`).
pub fn project_schedule_ok(project: &Project) -> Result<(), FieldViolation> {
    check_schedule(project.start_date, project.end_date, "values.end_date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_through_their_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Category::ALL.len(), 7);
        assert_eq!(Category::parse("convenience"), None);
    }

    #[test]
    fn the_lifecycle_allows_only_its_transitions() {
        use Status::*;
        let allowed = [
            (Draft, Published),
            (Published, Claimed),
            (Claimed, InProgress),
            (InProgress, Completed),
            (Draft, Cancelled),
            (Published, Cancelled),
            (Claimed, Cancelled),
            (InProgress, Cancelled),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_become(*to),
                    allowed.contains(&(*from, *to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn communities_are_distinct_and_bounded() {
        let ok = parse_communities(&["a".into(), "b".into()], "community_ids").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(parse_communities(&[], "c").unwrap_err().field, "c");
        assert_eq!(
            parse_communities(&["a".into(), "a".into()], "c")
                .unwrap_err()
                .field,
            "c[1]"
        );
        assert_eq!(
            parse_communities(&["a".into(), "b c".into()], "c")
                .unwrap_err()
                .field,
            "c[1]"
        );
    }

    #[test]
    fn a_filter_reads_as_it_did_with_string_ids() {
        // Page tokens are bound to this text.
        let filter = Filter {
            status: Some(Status::Published),
            lead_organisation: Some(DirectoryId::parse("org-a", "lead_organisation_id").unwrap()),
            text: Some("灯".into()),
            ..Filter::default()
        };
        assert_eq!(
            format!("{filter:?}"),
            r#"Filter { category: None, status: Some(Published), community_id: None, lead_organisation: Some("org-a"), text: Some("灯") }"#
        );
    }

    #[test]
    fn money_and_schedules_are_checked() {
        assert!(parse_fen(-1, "f").is_err());
        assert!(parse_fen(31_200_000, "f").is_ok());
        let d = |s: &str| Date::parse(s);
        assert!(check_schedule(d("2026-01-02"), d("2026-01-01"), "end_date").is_err());
        assert!(check_schedule(d("2026-01-01"), d("2026-01-01"), "end_date").is_ok());
        assert!(check_schedule(None, d("2026-01-01"), "end_date").is_ok());
    }
}
