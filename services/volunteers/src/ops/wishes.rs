//! Micro-wishes: posting, adoption by exactly one volunteer, fulfilment, cancellation.

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::principal::Role;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{
    Volunteers, acting_volunteer, boundary, registered_id, require_community,
    require_serving_volunteer,
};
use crate::domain::wishes::{ClosingNote, NewWish, Wish, WishStatus};
use crate::storage::wishes as store;
use crate::storage::{COUNTERS, Keyed};

impl Volunteers {
    /// Posts a wish in a community of the directory (for a limited caller, one inside its
    /// boundary: linked with its subtree, of its township); a retry returns the first.
    pub async fn post_wish(&self, caller: &Caller, new: NewWish) -> Result<Wish, Error> {
        let mut tx = self.db.begin().await?;
        require_community(&mut tx, &new.community_id).await?;
        let owners = boundary::community_owners(&mut tx, &new.community_id).await?;
        let place = boundary::location(&mut tx, &new.community_id).await?;
        boundary::require_inside(caller, &owners, &place, "a wish of this community")?;
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(wish) => {
                let event = pb::WishPosted::from(&wish);
                self.outbox
                    .enqueue(&mut tx, wish.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "wishes", "posted", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(wish)
            }
            Keyed::Existing(wish, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(wish)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "wish request",
                new.request_id.as_str(),
                "wish",
            )),
        }
    }

    /// The wish `id`, if the caller sees it.
    pub async fn wish(&self, caller: &Caller, id: &RecordId) -> Result<Wish, Error> {
        let mut conn = self.db.pool().acquire().await?;
        seen(&mut conn, caller, id).await
    }

    /// Wishes by community and status, in posting order after `after`; only those of
    /// communities inside the caller's boundary.
    pub async fn wishes(
        &self,
        caller: &Caller,
        community_id: Option<&DirectoryId>,
        status: Option<WishStatus>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Wish>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let inside = boundary::inside(&mut conn, caller).await?;
        Ok(store::list(&mut conn, community_id, status, &inside, after, limit).await?)
    }

    /// A volunteer adopts an open wish: the caller's own volunteer record (`named` `None`
    /// or naming it), another only for a delegate. Exactly one of concurrent adopters
    /// wins; the winner asking again gets the wish unchanged, the others
    /// FAILED_PRECONDITION.
    pub async fn adopt_wish(
        &self,
        caller: &Caller,
        id: &RecordId,
        named: Option<&RecordId>,
    ) -> Result<Wish, Error> {
        let acting = acting_volunteer(caller, "volunteer_id", named)?;
        let mut tx = self.db.begin().await?;
        let wish = seen(&mut tx, caller, id).await?;
        let volunteer_id = registered_id(&acting)?;
        require_serving_volunteer(&mut tx, caller, &volunteer_id).await?;
        if wish.status != WishStatus::Open
            || !store::adopt(&mut tx, id, &volunteer_id, now_micros()).await?
        {
            tx.rollback().await?;
            let now = self.wish(caller, id).await?;
            return match now.status {
                WishStatus::Adopted | WishStatus::Fulfilled
                    if now.adopter_id.as_ref() == Some(&volunteer_id) =>
                {
                    Ok(now)
                }
                WishStatus::Cancelled => Err(wish_state(id, "WISH_CANCELLED", "is cancelled")),
                _ => Err(wish_state(
                    id,
                    "WISH_TAKEN",
                    "was adopted by another volunteer",
                )),
            };
        }
        self.closing(tx, id, "adopted", |wish| pb::WishAdopted::from(wish))
            .await
    }

    /// The adopter fulfils the wish (the caller's volunteer record, or a delegate for
    /// them); again changes nothing.
    pub async fn fulfil_wish(
        &self,
        caller: &Caller,
        id: &RecordId,
        note: &ClosingNote,
    ) -> Result<Wish, Error> {
        let mut tx = self.db.begin().await?;
        let wish = seen(&mut tx, caller, id).await?;
        if let Some(adopter) = &wish.adopter_id
            && !caller.is_volunteer(adopter.as_str())
            && !caller.holds_role(Role::Delegate)
        {
            return Err(Error::denied(
                "NOT_ADOPTER",
                format!("wish {id} is fulfilled by the volunteer who adopted it, not the caller"),
            ));
        }
        if wish.status != WishStatus::Adopted
            || !store::fulfil(&mut tx, id, note, now_micros()).await?
        {
            tx.rollback().await?;
            let now = self.wish(caller, id).await?;
            return match now.status {
                WishStatus::Fulfilled => Ok(now),
                WishStatus::Open => Err(wish_state(id, "WISH_NOT_ADOPTED", "is not adopted")),
                _ => Err(wish_state(id, "WISH_CANCELLED", "is cancelled")),
            };
        }
        self.closing(tx, id, "fulfilled", |wish| pb::WishFulfilled::from(wish))
            .await
    }

    /// Cancels an open or adopted wish; again changes nothing.
    pub async fn cancel_wish(
        &self,
        caller: &Caller,
        id: &RecordId,
        reason: &ClosingNote,
    ) -> Result<Wish, Error> {
        let mut tx = self.db.begin().await?;
        let wish = seen(&mut tx, caller, id).await?;
        if !wish.status.cancellable() || !store::cancel(&mut tx, id, reason, now_micros()).await? {
            tx.rollback().await?;
            let now = self.wish(caller, id).await?;
            return match now.status {
                WishStatus::Cancelled => Ok(now),
                _ => Err(wish_state(id, "WISH_FULFILLED", "is fulfilled")),
            };
        }
        self.closing(tx, id, "cancelled", |wish| pb::WishCancelled::from(wish))
            .await
    }

    /// Enqueues a wish's change (the event `report` makes of the wish as stored), counts
    /// it and commits; returns the wish as stored.
    async fn closing<E: xingfu_platform::events::Event>(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        id: &RecordId,
        counter: &str,
        report: impl FnOnce(&Wish) -> E,
    ) -> Result<Wish, Error> {
        let stored = store::get(&mut tx, id)
            .await?
            .ok_or_else(|| Error::not_found("wish", id.as_str()))?;
        self.outbox
            .enqueue(&mut tx, id.as_str(), &report(&stored))
            .await?;
        COUNTERS.bump(&mut tx, "wishes", counter, 1).await?;
        self.outbox.commit(tx).await?;
        Ok(stored)
    }
}

/// The wish `id` as the caller sees it: NOT_FOUND when missing or outside.
async fn seen(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Wish, Error> {
    boundary::wish(conn, caller, id)
        .await?
        .ok_or_else(|| Error::not_found("wish", id.as_str()))
}

/// FAILED_PRECONDITION: the wish is not in a state for the change.
fn wish_state(id: &RecordId, kind: &'static str, what: &str) -> Error {
    Error::FailedPrecondition {
        kind,
        subject: format!("wishes/{id}"),
        message: format!("wish {id} {what}"),
    }
}
