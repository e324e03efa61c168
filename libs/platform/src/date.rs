//! Calendar dates as the programme keeps them: local to the district (UTC+8), stored as
//! `YYYY-MM-DD` text, which sorts as dates do.

use crate::FieldViolation;

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
        let micros = crate::time::now_micros() + 8 * 3600 * 1_000_000;
        let text = crate::time::to_rfc3339(micros);
        Self::parse(&text[..10]).unwrap_or(Self {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl Date {
    /// The start of the day in the district (midnight UTC+8), as stored microseconds.
    pub fn start_micros(&self) -> i64 {
        let days = crate::time::days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        (days * 86_400 - 8 * 3600) * 1_000_000
    }

    /// The day after.
    pub fn next(&self) -> Self {
        let micros = self.start_micros() + (86_400 + 8 * 3600) * 1_000_000;
        Self::parse(&crate::time::to_rfc3339(micros)[..10]).unwrap_or(*self)
    }

    /// The month it falls in, `YYYY-MM` (an accounting period).
    pub fn month_key(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl From<Date> for xingfu_proto::common::Date {
    fn from(date: Date) -> Self {
        Self {
            year: date.year,
            month: i32::try_from(date.month).unwrap_or(0),
            day: i32::try_from(date.day).unwrap_or(0),
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
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
        assert_eq!(Date::parse("2026-11-29").unwrap().month_key(), "2026-11");
    }

    #[test]
    fn days_start_at_district_midnight() {
        let day = Date::parse("2026-11-29").unwrap();
        assert_eq!(
            crate::time::to_rfc3339(day.start_micros()),
            "2026-11-28T16:00:00.000000Z"
        );
        assert_eq!(
            Date::parse("1970-01-01").unwrap().start_micros(),
            -8 * 3600 * 1_000_000
        );
        assert_eq!(day.next().to_string(), "2026-11-30");
        assert_eq!(
            Date::parse("2024-02-28").unwrap().next().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::parse("2026-12-31").unwrap().next().to_string(),
            "2027-01-01"
        );
    }

    #[test]
    fn today_is_a_valid_date() {
        assert!(Date::today().year >= 2024);
    }
}
