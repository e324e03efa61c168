//! The service's operations: each write is one transaction with its outbox event.

mod activities;
mod directory;
mod register;

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
