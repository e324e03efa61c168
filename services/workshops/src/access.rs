//! Who may touch what (操作人与数据边界): the owner rule of every record this service keeps
//! and the roles its writes need, in one place. Every call is admitted here before its
//! handler runs (`grpc::mod` routes through [`admit`]); lists and figures filter with
//! [`scope`] in SQL.
//!
//! Owners: a workshop is its sponsoring department's (`department_id`, an organisation of
//! the directory); its workers, income, orders, tasks, takes, problems, appointments and
//! broker ratings are their workshop's. An appointment without a workshop (a commissioner
//! sent to a village or a firm) is the programme office's. Brands are the programme's
//! catalogue, visible to everyone.
//!
//! A caller limited to an organisation's subtree sees and changes only records whose
//! owner lies inside; outside, a record answers NOT_FOUND exactly as a missing id does.
//! Creating a workshop for a department outside is refused (PERMISSION_DENIED).
//!
//! Roles over the workshop's organisation (held there, above it, or programme-wide):
//! appointing and ending appointments need `organisation_admin` (or `programme_admin`);
//! rating a star broker needs `evaluator`; assigning, escalating and resolving a problem
//! need `problem_handler`. Appointments without a workshop need the role programme-wide.

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::known::{self, Hierarchy};
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

/// The roles that appoint people around a workshop.
pub const APPOINTING: &[Role] = &[Role::OrganisationAdmin, Role::ProgrammeAdmin];
/// The role that rates star brokers.
pub const RATING: &[Role] = &[Role::Evaluator];
/// The role that takes and resolves problems.
pub const HANDLING: &[Role] = &[Role::ProblemHandler];

/// The record a call touches by id, named by the request.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// None by id (brands, lists filtered by [`scope`]).
    None,
    /// The organisation a new workshop is created for.
    Department(&'a str),
    /// What no workshop owns (an appointment to a village or a firm): the programme's.
    Programme,
    /// A workshop.
    Workshop(&'a str),
    /// A worker.
    Worker(&'a str),
    /// An order.
    Order(&'a str),
    /// A task of an order.
    Task(&'a str),
    /// A worker's take of a task.
    Take(&'a str),
    /// A problem.
    Problem(&'a str),
    /// An appointment.
    Appointment(&'a str),
}

/// What a call needs over the record's organisation, beyond seeing it.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Only that the record lies inside the caller's boundary.
    See,
    /// One of these roles, for doing `what`.
    Role(&'static [Role], &'static str),
}

/// A call's record and rule.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The record touched.
    pub record: Record<'a>,
    /// What it needs.
    pub rule: Rule,
}

impl<'a> Check<'a> {
    /// Nothing to check by id.
    pub const OPEN: Check<'static> = Check {
        record: Record::None,
        rule: Rule::See,
    };

    /// `record`, which the caller must see.
    pub fn see(record: Record<'a>) -> Self {
        Self {
            record,
            rule: Rule::See,
        }
    }

    /// `record`, whose organisation the caller must hold one of `roles` over.
    pub fn role(record: Record<'a>, roles: &'static [Role], what: &'static str) -> Self {
        Self {
            record,
            rule: Rule::Role(roles, what),
        }
    }
}

/// The organisations inside `caller`'s boundary, to filter lists in SQL; `None` when it
/// has none.
pub async fn scope(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<Option<Vec<String>>, Error> {
    match &caller.organisation {
        Some(root) => Ok(Some(known::subtree(conn, Hierarchy::Known, root).await?)),
        None => Ok(None),
    }
}

/// Admits `caller` to `check`: NOT_FOUND when the record lies outside its boundary (as
/// for a missing id), PERMISSION_DENIED when a role is missing. An id that names nothing
/// passes, for the handler to validate and answer.
pub async fn admit(
    conn: &mut AnyConnection,
    caller: &Caller,
    check: Check<'_>,
) -> Result<(), Error> {
    let (resource, id, owner) = match owner(conn, check.record).await? {
        Some(found) => found,
        None => return Ok(()),
    };
    let lineage = match &owner {
        Some(org) => known::lineage(conn, Hierarchy::Known, org).await?,
        None => Vec::new(),
    };
    let inside = match (&caller.organisation, &owner) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(_)) => caller.sees(&lineage),
    };
    if !inside {
        return Err(match check.record {
            Record::Department(org) => Error::denied(
                "OUTSIDE_BOUNDARY",
                format!("organisation {org:?} lies outside the caller's boundary"),
            ),
            Record::Programme => Error::denied(
                "OUTSIDE_BOUNDARY",
                "what no workshop owns is the programme office's; the caller is limited to \
                 an organisation",
            ),
            _ => Error::not_found(resource, id),
        });
    }
    match check.rule {
        Rule::See => Ok(()),
        Rule::Role(roles, what) => {
            if roles.iter().any(|role| caller.may(*role, &lineage)) {
                return Ok(());
            }
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let place =
                owner.map_or_else(|| "programme-wide".to_owned(), |o| format!("over {o:?}"));
            Err(Error::denied(
                "ROLE_REQUIRED",
                format!(
                    "{what} needs the role {} {place}, which {:?} does not hold",
                    names.join(" or "),
                    caller.id
                ),
            ))
        }
    }
}

/// The record's resource name, id and owning organisation (`None`: the programme
/// office's); `None` when there is no record to check or it does not exist.
async fn owner<'a>(
    conn: &mut AnyConnection,
    record: Record<'a>,
) -> Result<Option<(&'static str, &'a str, Option<String>)>, Error> {
    let (resource, id, sql) = match record {
        Record::None => return Ok(None),
        Record::Department(org) => return Ok(Some(("organisation", org, Some(org.to_owned())))),
        Record::Programme => return Ok(Some(("programme", "", None))),
        Record::Workshop(id) => (
            "workshop",
            id,
            "SELECT w.department_id FROM workshops w WHERE w.id = $1",
        ),
        Record::Worker(id) => (
            "worker",
            id,
            "SELECT w.department_id FROM workers k JOIN workshops w ON w.id = k.workshop_id \
             WHERE k.id = $1",
        ),
        Record::Order(id) => (
            "order",
            id,
            "SELECT w.department_id FROM orders o JOIN workshops w ON w.id = o.workshop_id \
             WHERE o.id = $1",
        ),
        Record::Task(id) => (
            "task",
            id,
            "SELECT w.department_id FROM tasks t JOIN orders o ON o.id = t.order_id \
             JOIN workshops w ON w.id = o.workshop_id WHERE t.id = $1",
        ),
        Record::Take(id) => (
            "take",
            id,
            "SELECT w.department_id FROM takes k JOIN tasks t ON t.id = k.task_id \
             JOIN orders o ON o.id = t.order_id JOIN workshops w ON w.id = o.workshop_id \
             WHERE k.id = $1",
        ),
        Record::Problem(id) => (
            "problem",
            id,
            "SELECT w.department_id FROM problems p JOIN workshops w ON w.id = p.workshop_id \
             WHERE p.id = $1",
        ),
        Record::Appointment(id) => (
            "appointment",
            id,
            "SELECT w.department_id FROM appointments a \
             LEFT JOIN workshops w ON w.id = a.workshop_id WHERE a.id = $1",
        ),
    };
    let found: Option<Option<String>> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.map(|owner| (resource, id, owner)))
}

/// The SQL expression naming the owning organisation of a row of a table with a
/// `workshop_id` column, for [`xingfu_platform::db::Filtered::and_in`].
pub fn owner_of(table: &str) -> String {
    format!("(SELECT sw.department_id FROM workshops sw WHERE sw.id = {table}.workshop_id)")
}
