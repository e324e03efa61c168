//! Who owns each record, and so what a caller limited to an organisation's subtree
//! (`Caller::organisation`) may read, list, count, export and change. One place per
//! record type:
//!
//! | record | owned by |
//! |---|---|
//! | volunteer | its work organisation and every organisation linked to its home community |
//! | activity | its organisation (one without: programme-wide callers only) |
//! | team | its organisation |
//! | wish | the organisations linked to its community |
//! | service record | its organisation (the volunteer's work side when verified) |
//! | evaluation | its volunteer's owners |
//!
//! A record owned outside the boundary is answered exactly as a missing one (NOT_FOUND, or
//! the FAILED_PRECONDITION a missing reference gets), so ids cannot be probed. The
//! directory itself (organisations, communities) is names, not personal data: every
//! caller reads it; a limited caller changes it only inside its subtree.

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::known::{self, Hierarchy};
use xingfu_platform::trust::Caller;

use crate::domain::activities::Activity;
use crate::domain::register::Volunteer;
use crate::domain::teams::Team;
use crate::domain::wishes::Wish;
use crate::storage::register::StoredVolunteer;
use crate::storage::{activities, records, register, teams, wishes};

/// Organisation `id`, then its ancestors: what a role or a boundary held at any covers.
pub(crate) async fn lineage(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>, Error> {
    Ok(known::lineage(conn, Hierarchy::Directory, id).await?)
}

/// The lineage of each of `organisations`.
async fn lineages(
    conn: &mut AnyConnection,
    organisations: &[String],
) -> Result<Vec<Vec<String>>, Error> {
    let mut all = Vec::with_capacity(organisations.len());
    for id in organisations {
        all.push(lineage(conn, id).await?);
    }
    Ok(all)
}

/// The lineages of the organisations linked with `community_id` (its home side).
pub(crate) async fn community_owners(
    conn: &mut AnyConnection,
    community_id: &str,
) -> Result<Vec<Vec<String>>, Error> {
    let linked = records::linked_organisations(conn, community_id).await?;
    lineages(conn, &linked).await
}

/// A volunteer's owners: its work organisation, then its home community's organisations.
pub(crate) async fn volunteer_owners(
    conn: &mut AnyConnection,
    work_organisation_id: &str,
    home_community_id: &str,
) -> Result<Vec<Vec<String>>, Error> {
    let mut owners = vec![lineage(conn, work_organisation_id).await?];
    owners.extend(community_owners(conn, home_community_id).await?);
    Ok(owners)
}

/// The lineage of the activity's organisation; empty for one without (then only
/// programme-wide grants and unlimited callers cover it).
pub(crate) async fn activity_lineage(
    conn: &mut AnyConnection,
    activity: &Activity,
) -> Result<Vec<String>, Error> {
    match &activity.organisation_id {
        Some(id) => lineage(conn, id).await,
        None => Ok(Vec::new()),
    }
}

/// Whether the caller sees a record the owners of which `owners` computes; the owners
/// are only looked up for a limited caller.
async fn sees<F>(caller: &Caller, owners: F) -> Result<bool, Error>
where
    F: Future<Output = Result<Vec<Vec<String>>, Error>>,
{
    if caller.organisation.is_none() {
        return Ok(true);
    }
    Ok(caller.sees_any(&owners.await?))
}

/// The activity `id`, if it exists and the caller sees it.
pub(crate) async fn activity(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<Option<Activity>, Error> {
    let Some(found) = activities::activity(conn, id).await? else {
        return Ok(None);
    };
    let lineage = activity_lineage(conn, &found).await?;
    Ok(caller.sees(&lineage).then_some(found))
}

/// The volunteer `id`, if registered and the caller sees them.
pub(crate) async fn volunteer(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<Option<StoredVolunteer>, Error> {
    let Some(stored) = register::get(conn, id).await? else {
        return Ok(None);
    };
    let seen = sees_volunteer(conn, caller, &stored.volunteer).await?;
    Ok(seen.then_some(stored))
}

/// Whether the caller sees `volunteer`.
pub(crate) async fn sees_volunteer(
    conn: &mut AnyConnection,
    caller: &Caller,
    volunteer: &Volunteer,
) -> Result<bool, Error> {
    let owners = volunteer_owners(
        conn,
        &volunteer.work_organisation_id,
        &volunteer.home_community_id,
    );
    sees(caller, owners).await
}

/// The team `id`, if it exists and the caller sees it.
pub(crate) async fn team(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<Option<Team>, Error> {
    let Some(found) = teams::get(conn, id).await? else {
        return Ok(None);
    };
    let owner = lineage(conn, &found.organisation_id).await?;
    Ok(caller.sees(&owner).then_some(found))
}

/// The wish `id`, if it exists and the caller sees it.
pub(crate) async fn wish(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<Option<Wish>, Error> {
    let Some(found) = wishes::get(conn, id).await? else {
        return Ok(None);
    };
    let seen = sees(caller, community_owners(conn, &found.community_id)).await?;
    Ok(seen.then_some(found))
}

/// The organisations inside the caller's boundary (its root's subtree); `None` for a
/// caller without one. Lists filter on it.
pub(crate) async fn organisations(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<Option<Vec<String>>, Error> {
    match &caller.organisation {
        None => Ok(None),
        Some(root) => Ok(Some(
            known::subtree(conn, Hierarchy::Directory, root).await?,
        )),
    }
}

/// The communities linked with an organisation inside the caller's boundary; `None` for
/// a caller without one. Wish lists filter on it.
pub(crate) async fn communities(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<Option<Vec<String>>, Error> {
    match organisations(conn, caller).await? {
        None => Ok(None),
        Some(inside) => Ok(Some(records::linked_communities(conn, &inside).await?)),
    }
}

/// PERMISSION_DENIED unless a new record owned by `owners` lies inside the boundary: a
/// limited caller creates nothing it could not see. (The directory entries it names are
/// public, so saying so reveals nothing.)
pub(crate) fn require_inside(
    caller: &Caller,
    owners: &[Vec<String>],
    what: &str,
) -> Result<(), Error> {
    if caller.sees_any(owners) {
        return Ok(());
    }
    Err(Error::denied(
        "OUTSIDE_BOUNDARY",
        format!(
            "{what} lies outside organisation {:?}, which the caller is limited to",
            caller.organisation.as_deref().unwrap_or_default()
        ),
    ))
}

impl super::Volunteers {
    /// PERMISSION_DENIED unless each organisation a directory change touches (the one
    /// changed, its new parent) lies inside a limited caller's boundary: the hierarchy is
    /// what boundaries are made of, so no one moves or adds entries outside their own.
    pub async fn require_organisations_inside(
        &self,
        caller: &Caller,
        organisations: &[&str],
    ) -> Result<(), Error> {
        if caller.organisation.is_none() {
            return Ok(());
        }
        let mut conn = self.db.pool().acquire().await?;
        for id in organisations {
            let owner = lineage(&mut conn, id).await?;
            require_inside(caller, &[owner], &format!("organisation {id:?}"))?;
        }
        Ok(())
    }

    /// PERMISSION_DENIED unless a limited caller changes a community linked with an
    /// organisation inside its boundary.
    pub async fn require_community_inside(&self, caller: &Caller, id: &str) -> Result<(), Error> {
        if caller.organisation.is_none() {
            return Ok(());
        }
        let mut conn = self.db.pool().acquire().await?;
        let owners = community_owners(&mut conn, id).await?;
        require_inside(caller, &owners, &format!("community {id:?}"))
    }
}
