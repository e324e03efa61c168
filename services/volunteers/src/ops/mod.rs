//! The service's operations: each write is one transaction with its outbox event.

mod activities;
mod directory;
mod register;

use xingfu_platform::Error;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;

pub use directory::{CommunityPatch, DirectoryRow, ImportReport, OrganisationPatch};
pub use register::Lookup;

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
    Error::NotFound {
        resource,
        id: id.to_owned(),
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
