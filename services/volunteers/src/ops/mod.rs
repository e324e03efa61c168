//! The service's operations, reads and writes: each write is one transaction with its
//! outbox event (built by `crate::events` from the domain) and the counters it moves;
//! every record read or written is held against the caller's boundary (`boundary`).

mod activities;
mod boundary;
mod directory;
mod evaluations;
mod import;
mod records;
mod register;
mod stats;
mod teams;
mod wishes;

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::storage::{directory as directory_store, register as register_store};

pub use activities::ActivityFilters;
pub use directory::{CommunityPatch, OrganisationPatch};
pub use import::{DirectoryRow, ImportReport};
pub use records::{FourOnesPage, RecordPages};
pub use register::Lookup;
pub use stats::Stats;

/// The volunteers service's data: its database, its outbox and the key to personal data.
#[derive(Clone)]
pub struct Volunteers {
    db: Database,
    outbox: Outbox,
    pii: Protector,
}

impl Volunteers {
    /// The service on `db`, publishing through `outbox`, sealing personal data with `pii`.
    pub fn new(db: Database, outbox: Outbox, pii: Protector) -> Self {
        Self { db, outbox, pii }
    }
}

/// FAILED_PRECONDITION: a reference to the directory that is not registered there.
fn not_in_directory(kind: &'static str, collection: &str, id: &str) -> Error {
    Error::FailedPrecondition {
        kind,
        subject: format!("{collection}/{id}"),
        message: format!("{id} is not in the directory; register it first"),
    }
}

/// FAILED_PRECONDITION unless the organisation is in the directory.
async fn require_organisation(
    conn: &mut sqlx::AnyConnection,
    id: &DirectoryId,
) -> Result<(), Error> {
    match directory_store::organisation(conn, id).await? {
        Some(_) => Ok(()),
        None => Err(not_in_directory(
            "ORGANISATION_UNKNOWN",
            "organisations",
            id.as_str(),
        )),
    }
}

/// FAILED_PRECONDITION unless the community is in the directory.
async fn require_community(conn: &mut sqlx::AnyConnection, id: &DirectoryId) -> Result<(), Error> {
    match directory_store::community(conn, id).await? {
        Some(_) => Ok(()),
        None => Err(not_in_directory(
            "COMMUNITY_UNKNOWN",
            "communities",
            id.as_str(),
        )),
    }
}

/// The volunteer's work organisation; FAILED_PRECONDITION unless they are registered.
async fn require_volunteer(
    conn: &mut sqlx::AnyConnection,
    id: &RecordId,
) -> Result<DirectoryId, Error> {
    match register_store::get(conn, id).await? {
        Some(stored) => Ok(stored.volunteer.work_organisation_id),
        None => Err(volunteer_unknown(id.as_str())),
    }
}

/// The volunteer a write names; FAILED_PRECONDITION unless they are registered and the
/// caller sees them (one outside its boundary is answered as one not registered).
async fn require_volunteer_seen(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<register_store::StoredVolunteer, Error> {
    boundary::volunteer(conn, caller, id)
        .await?
        .ok_or_else(|| volunteer_unknown(id.as_str()))
}

/// The volunteer a write enlists (a sign-up, a team, a wish): as
/// [`require_volunteer_seen`], and FAILED_PRECONDITION (`VOLUNTEER_WITHDRAWN`) unless
/// they are active.
async fn require_serving_volunteer(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<register_store::StoredVolunteer, Error> {
    let stored = require_volunteer_seen(conn, caller, id).await?;
    register::require_active(&stored.volunteer)?;
    Ok(stored)
}

/// The acting volunteer `id` as a record id. The caller's own comes unchecked from a
/// header: one not in the canonical form this service writes names no registered
/// volunteer, so it is FAILED_PRECONDITION (`VOLUNTEER_UNKNOWN`) like any unknown one.
fn registered_id(id: &str) -> Result<RecordId, Error> {
    RecordId::parse(id, "volunteer_id")
        .ok()
        .filter(|parsed| parsed.as_str() == id)
        .ok_or_else(|| volunteer_unknown(id))
}

fn volunteer_unknown(id: &str) -> Error {
    Error::FailedPrecondition {
        kind: "VOLUNTEER_UNKNOWN",
        subject: format!("volunteers/{id}"),
        message: format!("volunteer {id} is not registered"),
    }
}

/// The volunteer acting in a volunteer's own write (adopting a wish): the caller's own
/// volunteer record when `named` is `None` or names it; another only for a delegate.
/// The caller's own comes unchecked from the trusted headers: see [`registered_id`].
fn acting_volunteer(
    caller: &Caller,
    field: &str,
    named: Option<&RecordId>,
) -> Result<String, Error> {
    let own = caller.volunteer.as_deref().unwrap_or_default();
    let Some(named) = named else {
        if own.is_empty() {
            return Err(Error::invalid(
                field,
                "the caller is linked to no volunteer record: name the volunteer",
            ));
        }
        return Ok(own.to_owned());
    };
    if named.as_str() == own || caller.holds_role(Role::Delegate) {
        return Ok(named.to_string());
    }
    Err(Error::denied(
        "ACTOR_NOT_CALLER",
        format!(
            "{field} names volunteer {named}, but the call is made by {:?}: a volunteer \
             acts for themself",
            caller.id
        ),
    ))
}
