//! The workshops service's model and rules: no SQL, no gRPC. One module per area.

pub mod orders;
pub mod people;
pub mod problems;
pub mod workers;
pub mod workshops;

use xingfu_platform::checked::{DirectoryId, Line, Note};
use xingfu_platform::named_enum;

named_enum! {
    /// How a workshop works (模式).
    Mode {
        /// Processing supplied materials (来料加工).
        Processing = "PROCESSING",
        /// Directed recruitment (定向招工).
        Recruitment = "RECRUITMENT",
        /// E-commerce live-streaming (电商直播).
        LiveCommerce = "LIVE_COMMERCE",
        /// Agriculture and tourism (农旅融合).
        AgriTourism = "AGRI_TOURISM",
    }
}

/// A workshop brand and its sponsoring department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// Id, chosen at registration (a directory id).
    pub id: DirectoryId,
    /// Name.
    pub name: Line<100>,
    /// The sponsoring department, a directory id.
    pub department_id: DirectoryId,
    /// What it stands for.
    pub description: Note<500>,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

impl Brand {
    /// Whether `other` registers the same brand (so registering it again is a retry).
    pub fn same_as(&self, other: &Brand) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.department_id == other.department_id
            && self.description == other.description
    }
}

/// A month, `YYYY-MM`, of the years 2000 to 2999; `None` otherwise.
pub fn parse_month(value: &str) -> Option<String> {
    let (year, month) = value.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let year_ok = year.len() == 4 && year.starts_with('2') && digits(year);
    let month_ok = month.len() == 2 && digits(month) && matches!(month.parse::<u8>(), Ok(1..=12));
    (year_ok && month_ok).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_years_and_months() {
        assert_eq!(parse_month("2026-10").as_deref(), Some("2026-10"));
        for bad in [
            "2026-13", "2026-1", "26-10", "2026-00", "2026/10", "", "2026-+1", "2+26-10",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }
}
