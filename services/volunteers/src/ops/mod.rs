//! The service's operations: each write is one transaction with its outbox event.

mod activities;
mod directory;
mod evaluations;
mod records;
mod register;
mod stats;
mod teams;
mod wishes;

use xingfu_platform::Error;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;

use crate::storage::{directory as directory_store, register as register_store};

pub use directory::{CommunityPatch, DirectoryRow, ImportReport, OrganisationPatch};
pub use records::FourOnesPage;
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

    /// The database, for reads.
    pub fn db(&self) -> &Database {
        &self.db
    }
}

/// NOT_FOUND for the `resource` with `id`.
fn not_found(resource: &'static str, id: &str) -> Error {
    Error::not_found(resource, id)
}

/// FAILED_PRECONDITION: a reference to the directory that is not registered there.
fn not_in_directory(kind: &'static str, collection: &str, id: &str) -> Error {
    Error::FailedPrecondition {
        kind,
        subject: format!("{collection}/{id}"),
        message: format!("{id} is not in the directory; register it first"),
    }
}

/// ALREADY_EXISTS: an idempotency key used before for a different request.
fn reused_key(resource: &'static str, request_id: &str, what: &str) -> Error {
    Error::reused_key(resource, request_id, what)
}

/// FAILED_PRECONDITION unless the organisation is in the directory.
async fn require_organisation(conn: &mut sqlx::AnyConnection, id: &str) -> Result<(), Error> {
    match directory_store::organisation(conn, id).await? {
        Some(_) => Ok(()),
        None => Err(not_in_directory(
            "ORGANISATION_UNKNOWN",
            "organisations",
            id,
        )),
    }
}

/// FAILED_PRECONDITION unless the community is in the directory.
async fn require_community(conn: &mut sqlx::AnyConnection, id: &str) -> Result<(), Error> {
    match directory_store::community(conn, id).await? {
        Some(_) => Ok(()),
        None => Err(not_in_directory("COMMUNITY_UNKNOWN", "communities", id)),
    }
}

/// The volunteer's work organisation; FAILED_PRECONDITION unless they are registered.
async fn require_volunteer(conn: &mut sqlx::AnyConnection, id: &str) -> Result<String, Error> {
    match register_store::get(conn, id).await? {
        Some(stored) => Ok(stored.volunteer.work_organisation_id),
        None => Err(Error::FailedPrecondition {
            kind: "VOLUNTEER_UNKNOWN",
            subject: format!("volunteers/{id}"),
            message: format!("volunteer {id} is not registered"),
        }),
    }
}
