//! What the boundary (`crate::access`) reads: where a record lies and who owns it, and
//! the conditions that narrow lists and figures to a caller's [`Scope`].

use sqlx::AnyConnection;
use xingfu_platform::checked::RecordId;
use xingfu_platform::db::Filtered;

use crate::access::Scope;

/// A kind of record the boundary holds by its workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A workshop.
    Workshop,
    /// A worker.
    Worker,
    /// An order.
    Order,
    /// A task of an order.
    Task,
    /// A worker's take of a task.
    Take,
    /// A problem.
    Problem,
    /// An appointment (at a workshop or none).
    Appointment,
}

impl Held {
    /// The joins from the record, by `$1`, to its workshop `w`.
    fn from(self) -> &'static str {
        match self {
            Held::Workshop => "FROM workshops w WHERE w.id = $1",
            Held::Worker => {
                "FROM workers k JOIN workshops w ON w.id = k.workshop_id WHERE k.id = $1"
            }
            Held::Order => "FROM orders o JOIN workshops w ON w.id = o.workshop_id WHERE o.id = $1",
            Held::Task => {
                "FROM tasks t JOIN orders o ON o.id = t.order_id \
                 JOIN workshops w ON w.id = o.workshop_id WHERE t.id = $1"
            }
            Held::Take => {
                "FROM takes k JOIN tasks t ON t.id = k.task_id \
                 JOIN orders o ON o.id = t.order_id JOIN workshops w ON w.id = o.workshop_id \
                 WHERE k.id = $1"
            }
            Held::Problem => {
                "FROM problems p JOIN workshops w ON w.id = p.workshop_id WHERE p.id = $1"
            }
            Held::Appointment => {
                "FROM appointments a LEFT JOIN workshops w ON w.id = a.workshop_id WHERE a.id = $1"
            }
        }
    }
}

/// The record `id` of kind `held`: its workshop's department and community (both `None`
/// for an appointment without a workshop); `None` when there is no such record.
pub async fn place(
    conn: &mut AnyConnection,
    held: Held,
    id: &RecordId,
) -> Result<Option<(Option<String>, Option<String>)>, sqlx::Error> {
    let sql = format!("SELECT w.department_id, w.community_id {}", held.from());
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
}

impl Scope {
    /// `query` over `workshops`, narrowed to those inside.
    pub fn narrow_workshops(&self, query: Filtered) -> Filtered {
        query
            .and_in("department_id", self.organisations.as_deref())
            .and_in("community_id", self.communities.as_deref())
    }

    /// `query` over `table` (a table or alias with a `workshop_id` column), narrowed to
    /// the rows at workshops inside; a row at no workshop is outside any boundary.
    pub fn narrow(&self, query: Filtered, table: &str) -> Filtered {
        let of_workshop = |column: &str| {
            format!("(SELECT sw.{column} FROM workshops sw WHERE sw.id = {table}.workshop_id)")
        };
        query
            .and_in(&of_workshop("department_id"), self.organisations.as_deref())
            .and_in(&of_workshop("community_id"), self.communities.as_deref())
    }
}
