//! The service's operations, the only way in to its data: each write is one transaction
//! with its outbox event (built from domain values in `events`) and the counters it
//! moves; the reads the API answers from; the admission of each call (`admission`) and
//! the confirmed references of an answer (`known`).

mod admission;
mod catalogue;
mod events;
mod known;
mod orders;
mod people;
mod problems;
mod stats;
mod workers;
mod workshops;

use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;

pub use known::Known;
pub use stats::Stats;

use crate::domain::workshops::Workshop;
use crate::storage::workshops as workshop_store;

/// The workshops service's data: its database, its outbox and the key to personal data.
#[derive(Clone)]
pub struct Workshops {
    db: Database,
    outbox: Outbox,
    pii: Protector,
}

impl Workshops {
    /// The service on `db`, publishing through `outbox`, sealing personal data with `pii`.
    pub fn new(db: Database, outbox: Outbox, pii: Protector) -> Self {
        Self { db, outbox, pii }
    }
}

/// The workshop `id`, NOT_FOUND when there is none.
async fn workshop(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Workshop, Error> {
    workshop_store::get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("workshop", id.as_str()))
}
