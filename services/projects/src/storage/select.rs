//! A filtered, keyset-paged `SELECT`, built as `xingfu_platform::db::Filtered` builds one,
//! with one more kind of clause: one that binds values of its own (a boundary's `OR` of
//! `IN` lists, see `owners`; a bound value inside parentheses). `Filtered` numbers only the
//! values it binds itself, so these lists cannot use it; the day it takes such a clause,
//! this module goes.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// The query: its SQL so far and the values bound to its placeholders, in order.
#[derive(Debug)]
pub(crate) struct Select {
    sql: String,
    binds: Vec<String>,
}

impl Select {
    /// `select` is everything before the `WHERE` (`SELECT … FROM …`).
    pub(crate) fn new(select: impl Into<String>) -> Self {
        let mut sql = select.into();
        sql.push_str(" WHERE 1 = 1");
        Self {
            sql,
            binds: Vec::new(),
        }
    }

    /// Adds `AND <clause> $n` (e.g. `"status ="`) when `value` is set.
    pub(crate) fn and(mut self, clause: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(value) = value {
            let placeholder = bind(&mut self.binds, value);
            self.sql.push_str(&format!(" AND {clause} {placeholder}"));
        }
        self
    }

    /// Adds `AND <clause>` where `clause` binds its own values with [`bind`] (or pushes
    /// them, numbering after those already bound).
    pub(crate) fn and_bound(mut self, clause: impl FnOnce(&mut Vec<String>) -> String) -> Self {
        let clause = clause(&mut self.binds);
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause);
        self
    }

    /// Adds a clause without a value when `condition`.
    pub(crate) fn and_if(mut self, condition: bool, clause: &str) -> Self {
        if condition {
            self.sql.push_str(" AND ");
            self.sql.push_str(clause);
        }
        self
    }

    /// Runs it with `ORDER BY <order> LIMIT limit`.
    pub(crate) async fn fetch(
        self,
        conn: &mut AnyConnection,
        order: &str,
        limit: i64,
    ) -> Result<Vec<AnyRow>, sqlx::Error> {
        let sql = format!(
            "{} ORDER BY {order} LIMIT ${}",
            self.sql,
            self.binds.len() + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in self.binds {
            query = query.bind(value);
        }
        query.bind(limit).fetch_all(conn).await
    }
}

/// Binds `value` after those in `binds`; its placeholder (`$n`).
pub(crate) fn bind(binds: &mut Vec<String>, value: impl Into<String>) -> String {
    binds.push(value.into());
    format!("${}", binds.len())
}

#[cfg(test)]
mod tests {
    use super::{Select, bind};

    #[test]
    fn every_clause_numbers_its_values_after_those_before_it() {
        let query = Select::new("SELECT id FROM t")
            .and("a =", Some("x"))
            .and("b =", None::<String>)
            .and_bound(|binds| format!("(c IN ({}, {}))", bind(binds, "y"), bind(binds, "z")))
            .and_if(true, "d IS NULL")
            .and("id <", Some("k"));
        assert_eq!(
            query.sql,
            "SELECT id FROM t WHERE 1 = 1 AND a = $1 AND (c IN ($2, $3)) AND d IS NULL AND id < $4"
        );
        assert_eq!(query.binds, ["x", "y", "z", "k"]);
    }
}
