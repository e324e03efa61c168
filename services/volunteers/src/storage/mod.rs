//! The volunteers service's SQL, and the only place it lives.

pub mod activities;
pub mod directory;
pub mod evaluations;
pub mod records;
pub mod register;
pub mod stats;
pub mod teams;
pub mod wishes;

use sqlx::Row;
use sqlx::any::AnyRow;
use xingfu_platform::counters::Counters;
pub use xingfu_platform::db::Keyed;

use crate::domain::register::Skill;

/// The dashboard figures (see `ops::stats` for their dimensions and keys).
pub const COUNTERS: Counters = Counters::new("volunteer_count_shards");

pub(crate) use xingfu_platform::db::corrupt;

/// What a keyed insert came to: the row as read back by its request id (with its
/// `request_hash`), new when the insert wrote it.
pub(crate) fn keyed<T>(inserted: u64, row: &AnyRow, value: T) -> Result<Keyed<T>, sqlx::Error> {
    if inserted == 1 {
        Ok(Keyed::New(value))
    } else {
        Ok(Keyed::Existing(value, row.try_get("request_hash")?))
    }
}

/// Skills as stored: newline-separated (`domain::register::join_skills`).
pub(crate) fn skills_of(stored: &str) -> Vec<Skill> {
    stored
        .split('\n')
        .filter(|s| !s.is_empty())
        .map(|skill| Skill::from_stored(skill.to_owned()))
        .collect()
}

/// What a limited caller's lists, figures and exports keep, as the sets they filter on
/// (built by `ops::boundary`): `None` where the caller has no such boundary; an empty set
/// keeps nothing.
#[derive(Debug, Clone, Default)]
pub struct Inside {
    /// The organisations of the caller's subtree: records owned by one of them.
    pub organisations: Option<Vec<String>>,
    /// The communities linked with one of `organisations`: the home side they own.
    pub linked: Option<Vec<String>>,
    /// The communities of the caller's township: records located in one of them.
    pub located: Option<Vec<String>>,
}

impl Inside {
    /// The organisations of the caller's subtree, if limited to one.
    pub fn organisations(&self) -> Option<&[String]> {
        self.organisations.as_deref()
    }

    /// The communities linked with the caller's subtree, if limited to one.
    pub fn linked(&self) -> Option<&[String]> {
        self.linked.as_deref()
    }

    /// The communities of the caller's township, if limited to one.
    pub fn located(&self) -> Option<&[String]> {
        self.located.as_deref()
    }

    /// A volunteer's owners, if the caller is limited to a subtree: its organisations
    /// (the work side) and their linked communities (the home side).
    pub fn owners(&self) -> Option<(&[String], &[String])> {
        Some((self.organisations()?, self.linked().unwrap_or_default()))
    }

    /// Whether records located nowhere (teams, the directory's organisations) are left
    /// out: the caller is limited to a township, and they lie in none.
    pub fn placed_only(&self) -> bool {
        self.located.is_some()
    }
}

/// An `AND`-ed condition over a boundary's sets, for the queries `Filtered` does not fit
/// (figures, keyset pages over pairs); its values bind in order from `$first`.
pub(crate) struct Condition {
    sql: String,
    binds: Vec<String>,
    first: usize,
}

impl Condition {
    /// A condition that holds everywhere, its first value to be bound as `$first`.
    pub(crate) fn new(first: usize) -> Self {
        Self {
            sql: "1 = 1".to_owned(),
            binds: Vec::new(),
            first,
        }
    }

    fn in_clause(&mut self, column: &str, values: &[String]) -> String {
        let clause = in_list(column, self.first + self.binds.len(), values.len());
        self.binds.extend_from_slice(values);
        clause
    }

    /// `AND <column> IN (…)` when `values` is set.
    pub(crate) fn and_in(mut self, column: &str, values: Option<&[String]>) -> Self {
        if let Some(values) = values {
            let clause = self.in_clause(column, values);
            self.sql.push_str(&format!(" AND {clause}"));
        }
        self
    }

    /// `AND (<a> IN (…) OR <b> IN (…))` when `sets` is given: either side holds it.
    pub(crate) fn and_either_in(
        mut self,
        a: &str,
        b: &str,
        sets: Option<(&[String], &[String])>,
    ) -> Self {
        if let Some((for_a, for_b)) = sets {
            let (a, b) = (self.in_clause(a, for_a), self.in_clause(b, for_b));
            self.sql.push_str(&format!(" AND ({a} OR {b})"));
        }
        self
    }

    /// `AND 1 = 0` when `nothing`.
    pub(crate) fn none_if(mut self, nothing: bool) -> Self {
        if nothing {
            self.sql.push_str(" AND 1 = 0");
        }
        self
    }

    /// The condition's SQL.
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// Its values, in bind order.
    pub(crate) fn binds(&self) -> &[String] {
        &self.binds
    }
}

/// `<column> IN ($first, …)` for `n` values bound in order from `$first`; an empty set
/// matches nothing (`IN ()` is not SQL).
pub(crate) fn in_list(column: &str, first: usize, n: usize) -> String {
    if n == 0 {
        return "1 = 0".to_owned();
    }
    let placeholders = (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{column} IN ({placeholders})")
}
