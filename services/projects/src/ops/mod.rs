//! The service's operations, reads as well as writes: each write is one transaction
//! holding the change, its counters, its timeline entry and its outbox event (built from
//! domain values in `events`); each read takes the caller's `Access` where a boundary
//! applies. The gRPC layer parses requests into domain values and calls these; events
//! consumed from other services call them too.

mod claims;
mod contracts;
mod directory;
mod events;
mod figures;
mod milestones;
mod needs;
mod projects;
mod visible;
mod visits;

use sqlx::{Any, Transaction};
use xingfu_platform::Error;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::pii::Protector;
use xingfu_platform::time::now_micros;

use crate::access::Guard;
use crate::domain::{Project, RecordId, Status};
use crate::storage;

pub use figures::{CommunityTotals, Stats};
pub use needs::ImportReport;
pub use visits::Trace;

/// The shared library: its database, its outbox and the key for personal data.
#[derive(Clone)]
pub struct Library {
    db: Database,
    outbox: Outbox,
    pii: Protector,
    /// What the caller's writes check on the project they change, under its lock.
    guard: Option<Guard>,
}

/// A project changed inside an open transaction, not yet committed.
pub(crate) struct Changed {
    tx: Transaction<'static, Any>,
    before: Project,
    after: Project,
    now: i64,
}

impl Library {
    /// The library on `db`, publishing through `outbox`, sealing personal data with `pii`.
    pub fn new(db: Database, outbox: Outbox, pii: Protector) -> Self {
        Self {
            db,
            outbox,
            pii,
            guard: None,
        }
    }

    /// The library for one caller's writes: each checks `guard` on the project it changes
    /// (as read under the transaction), so a rule about its owners judges the latest state.
    pub fn guarded(&self, guard: Guard) -> Self {
        Self {
            guard: Some(guard),
            ..self.clone()
        }
    }

    /// Runs the caller's guard, if any, on `project`.
    pub(crate) fn check(&self, project: &Project) -> Result<(), Error> {
        self.guard.as_ref().map_or(Ok(()), |guard| guard(project))
    }

    /// The database, for what no operation covers (tests, tools).
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Reads project `id`, applies `change` and saves it, if the caller's `version` (0:
    /// any) is current. A concurrent change makes it read again, so the rules always judge
    /// the latest state.
    pub(crate) async fn change<F>(
        &self,
        id: &RecordId,
        version: i64,
        change: F,
    ) -> Result<Changed, Error>
    where
        F: Fn(&Project) -> Result<Project, Error>,
    {
        let mut tx = self.db.begin().await?;
        for _ in 0..5 {
            let before = storage::projects::get(&mut tx, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            self.check(&before)?;
            if version != 0 && version != before.version {
                return Err(Error::Aborted(format!(
                    "project {id} is at version {}, not {version}; read it again",
                    before.version
                )));
            }
            let after = change(&before)?;
            let now = now_micros();
            if storage::projects::save(&mut tx, &before, &after, now).await? {
                return Ok(Changed {
                    tx,
                    before,
                    after,
                    now,
                });
            }
        }
        Err(Error::Aborted(format!(
            "project {id} keeps changing; retry"
        )))
    }

    /// Reads project `id`.
    pub async fn project(&self, id: &RecordId) -> Result<Project, Error> {
        let mut conn = self.db.pool().acquire().await?;
        storage::projects::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))
    }
}

/// NOT_FOUND for project `id`.
pub(crate) fn not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "project",
        id: id.to_string(),
    }
}

/// FAILED_PRECONDITION naming the project's current state.
pub(crate) fn wrong_state(project: &Project, wanted: &str) -> Error {
    Error::FailedPrecondition {
        kind: "PROJECT_STATE",
        subject: format!("projects/{}", project.id),
        message: format!(
            "project {} is {}; {wanted}",
            project.id,
            project.status.as_str()
        ),
    }
}

/// The project moved to `to`, if the lifecycle allows it from where it is.
pub(crate) fn transition(project: &Project, to: Status) -> Result<Project, Error> {
    if !project.status.can_become(to) {
        let allowed: Vec<&str> = Status::ALL
            .iter()
            .filter(|from| from.can_become(to))
            .map(|s| s.as_str())
            .collect();
        return Err(wrong_state(
            project,
            &format!(
                "only {} projects can become {}",
                allowed.join(" or "),
                to.as_str()
            ),
        ));
    }
    let mut next = project.clone();
    next.status = to;
    Ok(next)
}
