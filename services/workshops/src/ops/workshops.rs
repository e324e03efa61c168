//! Workshops: creating them, their status and their support package.

use xingfu_platform::Error;
use xingfu_platform::checked::{Line, Note, RecordId};
use xingfu_platform::time::now_micros;
use xingfu_proto::workshops as pb;

use super::{Workshops, events, workshop};
use crate::access::Scope;
use crate::domain::workshops::{ListFilters, NewSupport, NewWorkshop, Workshop, WorkshopStatus};
use crate::storage::workshops as store;
use crate::storage::{COUNTERS, Keyed, catalogue};

impl Workshops {
    /// Creates a workshop, PLANNED, of a registered brand; a retry returns the first. The
    /// community and department are taken as given and shown verified once the directory's
    /// events confirm them.
    pub async fn create_workshop(&self, new: NewWorkshop) -> Result<Workshop, Error> {
        let mut tx = self.db.begin().await?;
        if catalogue::get(&mut tx, &new.brand_id).await?.is_none() {
            return Err(Error::precondition(
                "BRAND_UNKNOWN",
                format!("brands/{}", new.brand_id),
                format!("brand {} is not registered", new.brand_id),
            ));
        }
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(workshop) => {
                let event = pb::WorkshopCreated::from(&workshop);
                self.outbox
                    .enqueue(&mut tx, workshop.id.as_str(), &event)
                    .await?;
                for (dimension, key) in [
                    ("workshops", "all"),
                    ("mode", workshop.mode.as_str()),
                    ("brand", workshop.brand_id.as_str()),
                    ("status", workshop.status.as_str()),
                ] {
                    COUNTERS.bump(&mut tx, dimension, key, 1).await?;
                }
                self.outbox.commit(tx).await?;
                Ok(workshop)
            }
            Keyed::Existing(workshop, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(workshop)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "workshop request",
                new.request_id.as_str(),
                "workshop",
            )),
        }
    }

    /// The workshop `id`.
    pub async fn workshop(&self, id: &RecordId) -> Result<Workshop, Error> {
        let mut conn = self.db.pool().acquire().await?;
        workshop(&mut conn, id).await
    }

    /// Workshops by `filters`, in creation order after `after`.
    pub async fn workshops(
        &self,
        filters: &ListFilters,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Workshop>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::list(&mut conn, filters, scope, after, limit).await?)
    }

    /// Moves the workshop to `to` along a valid transition; to where it is, nothing.
    pub async fn change_status(
        &self,
        id: &RecordId,
        to: WorkshopStatus,
        reason: &Note<500>,
    ) -> Result<Workshop, Error> {
        let mut tx = self.db.begin().await?;
        let current = workshop(&mut tx, id).await?;
        if current.status == to {
            tx.rollback().await?;
            return Ok(current);
        }
        if !current.status.can_become(to) {
            return Err(Error::precondition(
                "INVALID_TRANSITION",
                format!("workshops/{id}"),
                format!(
                    "a {} workshop cannot become {}",
                    current.status.as_str(),
                    to.as_str()
                ),
            ));
        }
        if !store::set_status(&mut tx, id, current.status, to).await? {
            // A concurrent change moved it first: the caller reads and decides again.
            return Err(Error::Aborted(format!(
                "workshop {id} changed meanwhile; read it and try again"
            )));
        }
        let event = events::status_changed(&current, to, reason);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        COUNTERS
            .bump(&mut tx, "status", current.status.as_str(), -1)
            .await?;
        COUNTERS.bump(&mut tx, "status", to.as_str(), 1).await?;
        let changed = workshop(&mut tx, id).await?;
        self.outbox.commit(tx).await?;
        Ok(changed)
    }

    /// Renames the workshop and records its host firm (`None` keeps each), at the
    /// `version` the caller read; asking for what it has changes nothing.
    pub async fn update(
        &self,
        id: &RecordId,
        version: i64,
        name: Option<Line<200>>,
        host_firm: Option<Line<200>>,
    ) -> Result<Workshop, Error> {
        let mut tx = self.db.begin().await?;
        let current = workshop(&mut tx, id).await?;
        let name = name.unwrap_or_else(|| current.name.clone());
        let host_firm = host_firm.unwrap_or_else(|| current.host_firm.clone());
        if name == current.name && host_firm == current.host_firm {
            tx.rollback().await?;
            return Ok(current);
        }
        if !store::set_details(&mut tx, id, version, &name, &host_firm).await? {
            return Err(Error::Aborted(format!(
                "workshop {id} is at version {}, not {version}; read it again",
                current.version
            )));
        }
        let changed = workshop(&mut tx, id).await?;
        let event = pb::WorkshopUpdated::from(&changed);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        Ok(changed)
    }

    /// Records support given to a workshop; a retry changes nothing.
    pub async fn give_support(&self, new: NewSupport) -> Result<Workshop, Error> {
        let mut tx = self.db.begin().await?;
        workshop(&mut tx, &new.workshop_id).await?;
        let id = RecordId::generate();
        match store::insert_support(&mut tx, &id, &new, now_micros()).await? {
            None => {
                let event = pb::SupportGiven::from(&new);
                self.outbox
                    .enqueue(&mut tx, new.workshop_id.as_str(), &event)
                    .await?;
                COUNTERS
                    .bump(&mut tx, "support_fen", "all", new.support.value_fen)
                    .await?;
                let changed = workshop(&mut tx, &new.workshop_id).await?;
                self.outbox.commit(tx).await?;
                Ok(changed)
            }
            Some(fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                self.workshop(&new.workshop_id).await
            }
            Some(_) => Err(Error::reused_key(
                "support request",
                new.request_id.as_str(),
                "support",
            )),
        }
    }
}
