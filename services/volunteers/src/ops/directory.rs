//! Registering and changing the directory; every change is an event the other services
//! keep their read models from.

use sqlx::{Any, Transaction};
use xingfu_platform::Error;
use xingfu_platform::checked::DirectoryId;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary};
use crate::domain::{Community, CommunityKind, Name, Organisation, OrganisationKind, Township};
use crate::storage::COUNTERS;
use crate::storage::directory as store;

/// Fields to change on an organisation.
#[derive(Debug, Clone, Default)]
pub struct OrganisationPatch {
    /// New name.
    pub name: Option<Name>,
    /// New kind.
    pub kind: Option<OrganisationKind>,
    /// New parent (`Some(None)`: none).
    pub parent_id: Option<Option<DirectoryId>>,
}

/// Fields to change on a community.
#[derive(Debug, Clone, Default)]
pub struct CommunityPatch {
    /// New name.
    pub name: Option<Name>,
    /// New kind.
    pub kind: Option<CommunityKind>,
    /// New township.
    pub township: Option<Township>,
}

impl Volunteers {
    /// Registers an organisation; the same registration again returns it. A limited
    /// caller registers only below an organisation inside its subtree.
    pub async fn register_organisation(
        &self,
        caller: &Caller,
        org: Organisation,
    ) -> Result<Organisation, Error> {
        // A root organisation has no parent inside any subtree: the empty id is outside.
        let parent = org.parent_id.as_ref().map_or("", DirectoryId::as_str);
        self.require_organisations_inside(caller, &[parent]).await?;
        let mut tx = self.db.begin().await?;
        let (org, fresh) = self.put_organisation(&mut tx, org).await?;
        if fresh {
            self.outbox.commit(tx).await?
        } else {
            tx.rollback().await?
        }
        Ok(org)
    }

    pub(super) async fn put_organisation(
        &self,
        tx: &mut Transaction<'static, Any>,
        org: Organisation,
    ) -> Result<(Organisation, bool), Error> {
        if let Some(parent) = &org.parent_id
            && store::organisation(tx, parent).await?.is_none()
        {
            return Err(unknown_parent(parent));
        }
        if store::insert_organisation(tx, &org).await? {
            let event = pb::OrganisationRegistered::from(&org);
            self.outbox.enqueue(tx, org.id.as_str(), &event).await?;
            COUNTERS
                .bump(tx, "organisations", org.kind.as_str(), 1)
                .await?;
            let stored = store::organisation(tx, &org.id)
                .await?
                .ok_or_else(|| Error::not_found("organisation", org.id.as_str()))?;
            return Ok((stored, true));
        }
        let stored = store::organisation(tx, &org.id)
            .await?
            .ok_or_else(|| Error::not_found("organisation", org.id.as_str()))?;
        if stored.same_as(&org) {
            Ok((stored, false))
        } else {
            Err(taken("organisation", &org.id))
        }
    }

    /// Changes an organisation at `version`; a limited caller changes only one inside
    /// its subtree, and moves it only below another inside.
    pub async fn update_organisation(
        &self,
        caller: &Caller,
        id: &DirectoryId,
        version: i64,
        patch: OrganisationPatch,
    ) -> Result<Organisation, Error> {
        let touched: Vec<&str> = match &patch.parent_id {
            Some(parent) => vec![id.as_str(), parent.as_ref().map_or("", DirectoryId::as_str)],
            None => vec![id.as_str()],
        };
        self.require_organisations_inside(caller, &touched).await?;
        let mut tx = self.db.begin().await?;
        let stored = store::organisation(&mut tx, id)
            .await?
            .ok_or_else(|| Error::not_found("organisation", id.as_str()))?;
        if stored.version != version {
            return Err(stale("organisation", id, stored.version, version));
        }
        let mut next = stored.clone();
        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(kind) = patch.kind {
            next.kind = kind;
        }
        if let Some(parent) = patch.parent_id {
            if let Some(parent) = &parent {
                if store::organisation(&mut tx, parent).await?.is_none() {
                    return Err(unknown_parent(parent));
                }
                if store::is_ancestor(&mut tx, id, parent).await? {
                    return Err(Error::FailedPrecondition {
                        kind: "HIERARCHY_CYCLE",
                        subject: format!("organisations/{id}"),
                        message: format!(
                            "{parent} is {id} or below it; an organisation cannot be its own ancestor"
                        ),
                    });
                }
            }
            next.parent_id = parent;
        }
        if !store::save_organisation(&mut tx, &next, now_micros()).await? {
            return Err(Error::Aborted(format!(
                "organisation {id} changed meanwhile; read it again"
            )));
        }
        let event = pb::OrganisationUpdated::from(&next);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        if next.kind != stored.kind {
            COUNTERS
                .bump(&mut tx, "organisations", stored.kind.as_str(), -1)
                .await?;
            COUNTERS
                .bump(&mut tx, "organisations", next.kind.as_str(), 1)
                .await?;
        }
        self.outbox.commit(tx).await?;
        self.organisation(id).await
    }

    /// Reads organisation `id`.
    pub async fn organisation(&self, id: &DirectoryId) -> Result<Organisation, Error> {
        let mut conn = self.db.pool().acquire().await?;
        store::organisation(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("organisation", id.as_str()))
    }

    /// Organisations by kind and parent, in id order after `after`: the directory is
    /// names, read by every caller.
    pub async fn organisations(
        &self,
        kind: Option<OrganisationKind>,
        parent_id: Option<&DirectoryId>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Organisation>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::organisations(&mut conn, kind, parent_id, after, limit).await?)
    }

    /// Registers a community; the same registration again returns it. A caller limited
    /// to a township registers communities of its township only.
    pub async fn register_community(
        &self,
        caller: &Caller,
        community: Community,
    ) -> Result<Community, Error> {
        let what = format!(
            "community {:?} of {:?}",
            community.id.as_str(),
            community.township.as_str()
        );
        boundary::require_township(caller, &community.township, &what)?;
        let mut tx = self.db.begin().await?;
        let (community, fresh) = self.put_community(&mut tx, community).await?;
        if fresh {
            self.outbox.commit(tx).await?
        } else {
            tx.rollback().await?
        }
        Ok(community)
    }

    pub(super) async fn put_community(
        &self,
        tx: &mut Transaction<'static, Any>,
        community: Community,
    ) -> Result<(Community, bool), Error> {
        if store::insert_community(tx, &community).await? {
            let event = pb::CommunityRegistered::from(&community);
            self.outbox
                .enqueue(tx, community.id.as_str(), &event)
                .await?;
            let stored = store::community(tx, &community.id)
                .await?
                .ok_or_else(|| Error::not_found("community", community.id.as_str()))?;
            return Ok((stored, true));
        }
        let stored = store::community(tx, &community.id)
            .await?
            .ok_or_else(|| Error::not_found("community", community.id.as_str()))?;
        if stored.same_as(&community) {
            Ok((stored, false))
        } else {
            Err(taken("community", &community.id))
        }
    }

    /// Changes a community at `version`; a limited caller changes only one inside its
    /// boundary, and keeps it in its township.
    pub async fn update_community(
        &self,
        caller: &Caller,
        id: &DirectoryId,
        version: i64,
        patch: CommunityPatch,
    ) -> Result<Community, Error> {
        self.require_community_inside(caller, id, patch.township.as_ref())
            .await?;
        let mut tx = self.db.begin().await?;
        let stored = store::community(&mut tx, id)
            .await?
            .ok_or_else(|| Error::not_found("community", id.as_str()))?;
        if stored.version != version {
            return Err(stale("community", id, stored.version, version));
        }
        let mut next = stored.clone();
        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(kind) = patch.kind {
            next.kind = kind;
        }
        if let Some(township) = patch.township {
            next.township = township;
        }
        if !store::save_community(&mut tx, &next, now_micros()).await? {
            return Err(Error::Aborted(format!(
                "community {id} changed meanwhile; read it again"
            )));
        }
        let event = pb::CommunityUpdated::from(&next);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.community(id).await
    }

    /// Reads community `id`.
    pub async fn community(&self, id: &DirectoryId) -> Result<Community, Error> {
        let mut conn = self.db.pool().acquire().await?;
        store::community(&mut conn, id)
            .await?
            .ok_or_else(|| Error::not_found("community", id.as_str()))
    }

    /// Communities by township and kind, in id order after `after`: the directory is
    /// names, read by every caller.
    pub async fn communities(
        &self,
        township: Option<&Township>,
        kind: Option<CommunityKind>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Community>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::communities(&mut conn, township, kind, after, limit).await?)
    }
}

fn taken(resource: &'static str, id: &DirectoryId) -> Error {
    Error::AlreadyExists {
        resource,
        id: id.to_string(),
        message: "is registered already with other details; update it instead".into(),
    }
}

fn stale(resource: &str, id: &DirectoryId, current: i64, given: i64) -> Error {
    Error::Aborted(format!(
        "{resource} {id} is at version {current}, not {given}; read it again"
    ))
}

fn unknown_parent(parent: &DirectoryId) -> Error {
    Error::FailedPrecondition {
        kind: "PARENT_UNKNOWN",
        subject: format!("organisations/{parent}"),
        message: format!("the parent organisation {parent} is not registered"),
    }
}
