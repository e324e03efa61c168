//! The service's operations: each write is one transaction with its outbox event.

mod activities;
mod directory;

use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;

pub use directory::{CommunityPatch, DirectoryRow, ImportReport, OrganisationPatch};

/// The volunteers service's data: its database and its outbox.
#[derive(Clone)]
pub struct Volunteers {
    db: Database,
    outbox: Outbox,
}

impl Volunteers {
    /// The service on `db`, publishing through `outbox`.
    pub fn new(db: Database, outbox: Outbox) -> Self {
        Self { db, outbox }
    }

    /// The database, for reads.
    pub fn db(&self) -> &Database {
        &self.db
    }
}
