//! The projects service's model and rules: no SQL, no gRPC. Values are parsed at the
//! edge into these types, so the rest of the service never meets bad input.

pub mod contract;
pub mod need;
pub mod project;
pub mod visit;

pub use contract::{Contract, ContractStatus, NewContract, ProviderKind};
pub use need::{Channel, Contact, Decision, Need, NeedKey, NeedStatus, NewNeed};
pub use project::{
    Category, HistoryEntry, HistoryKind, NewProject, Outcome, Patch, Project, Status,
    project_schedule_ok,
};
pub use visit::{NewVisit, Visit};

use xingfu_platform::{FieldViolation, validate};

/// A directory id (organisation, community, team): 1 to 64 of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirectoryId(String);

impl DirectoryId {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::directory_id(value, field).map(Self)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar date, stored as `YYYY-MM-DD` (which sorts as dates do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, 1 to 9999.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day, valid for the month.
    pub day: u32,
}

impl Date {
    /// Checks a date; `field` names it in the violation.
    pub fn new(year: i32, month: i32, day: i32, field: &str) -> Result<Self, FieldViolation> {
        let month = u32::try_from(month).unwrap_or(0);
        let day = u32::try_from(day).unwrap_or(0);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if !(1..=9999).contains(&year) || day == 0 || day > days_in_month {
            return Err(FieldViolation::new(field, "must be a real calendar date"));
        }
        Ok(Self { year, month, day })
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Self::new(year, month, day, "").ok()
    }

    /// Today in the district (UTC+8, China Standard Time).
    pub fn today() -> Self {
        let micros = xingfu_platform::time::now_micros() + 8 * 3600 * 1_000_000;
        let text = xingfu_platform::time::to_rfc3339(micros);
        Self::parse(&text[..10]).unwrap_or(Self {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_and_print_sortably() {
        assert_eq!(
            Date::new(2024, 2, 29, "d").unwrap().to_string(),
            "2024-02-29"
        );
        assert!(Date::new(2023, 2, 29, "d").is_err());
        assert!(Date::new(2026, 13, 1, "d").is_err());
        assert!(Date::new(0, 1, 1, "d").is_err());
        assert_eq!(
            Date::parse("2026-11-29"),
            Some(Date {
                year: 2026,
                month: 11,
                day: 29
            })
        );
        assert!(Date::parse("2026-11-29").unwrap() < Date::parse("2026-12-01").unwrap());
        assert_eq!(Date::parse("nonsense"), None);
    }

    #[test]
    fn today_is_a_valid_date() {
        let today = Date::today();
        assert!(today.year >= 2024);
    }
}
