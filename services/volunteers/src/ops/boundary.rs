//! Who owns each record and where it is located, and so what a limited caller may read,
//! list, count, export and change: one limited to an organisation's subtree
//! (`Caller::organisation`) reaches records owned inside it; one limited to a township
//! (`Caller::township`, 镇 / 街道) reaches records located there, a record's location
//! being the township of its community (the directory's `communities.township`). One
//! place per record type:
//!
//! | record | owned by | located at |
//! |---|---|---|
//! | volunteer | its work organisation and every organisation linked to its home community | its home community |
//! | activity | its organisation and co-organisers (one without: callers without an organisation boundary only) | its community |
//! | team | its organisation | nowhere: its members come and go, so it has no place of its own |
//! | wish | the organisations linked to its community | its community |
//! | service record | its organisation (the volunteer's work side when verified) | the community served (its activity's) |
//! | evaluation | its volunteer's owners | its volunteer's home community |
//! | Four Ones row (a link) | its organisation | its community |
//!
//! A record outside the boundary is answered exactly as a missing one (NOT_FOUND, or the
//! FAILED_PRECONDITION a missing reference gets), so ids cannot be probed; a record
//! located nowhere is outside every township (roles still decide what a caller may do:
//! they are held over organisations, and a township only narrows what is visible). The
//! directory itself (organisations, communities) is names, not personal data: every
//! caller reads it; a limited caller changes organisations only inside its subtree (one
//! limited to a township none: they lie in no township), communities only inside its
//! boundary (linked with its subtree, of its township), and imports nothing.

use sqlx::AnyConnection;
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::domain::Township;
use crate::domain::activities::Activity;
use crate::domain::register::Volunteer;
use crate::domain::teams::Team;
use crate::domain::wishes::Wish;
use crate::storage::register::StoredVolunteer;
use crate::storage::{Inside, activities, records, register, teams, wishes};

/// Organisation `id`, then its ancestors: what a role or a boundary held at any covers
/// (none for the empty id: a root's parent).
pub(crate) async fn lineage(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>, Error> {
    Ok(known::lineage(conn, Hierarchy::Directory, id).await?)
}

/// The lineage of each of `organisations`.
async fn lineages(
    conn: &mut AnyConnection,
    organisations: &[DirectoryId],
) -> Result<Vec<Vec<String>>, Error> {
    let mut all = Vec::with_capacity(organisations.len());
    for id in organisations {
        all.push(lineage(conn, id.as_str()).await?);
    }
    Ok(all)
}

/// Where a record of `community_id` is located: the community's township (none when the
/// directory does not know it).
pub(crate) async fn location(
    conn: &mut AnyConnection,
    community_id: &DirectoryId,
) -> Result<Vec<String>, Error> {
    let community = [community_id.to_string()];
    Ok(known::townships_of(conn, Hierarchy::Directory, &community).await?)
}

/// The lineages of the organisations linked with `community_id` (its home side).
pub(crate) async fn community_owners(
    conn: &mut AnyConnection,
    community_id: &DirectoryId,
) -> Result<Vec<Vec<String>>, Error> {
    let linked = records::linked_organisations(conn, community_id).await?;
    lineages(conn, &linked).await
}

/// A volunteer's owners: its work organisation, then its home community's organisations.
pub(crate) async fn volunteer_owners(
    conn: &mut AnyConnection,
    work_organisation_id: &DirectoryId,
    home_community_id: &DirectoryId,
) -> Result<Vec<Vec<String>>, Error> {
    let mut owners = vec![lineage(conn, work_organisation_id.as_str()).await?];
    owners.extend(community_owners(conn, home_community_id).await?);
    Ok(owners)
}

/// The lineages of the organisations running the activity, the lead's first; one empty
/// lineage for an activity without any (then only programme-wide grants and callers
/// without an organisation boundary cover it).
pub(crate) async fn activity_owners(
    conn: &mut AnyConnection,
    activity: &Activity,
) -> Result<Vec<Vec<String>>, Error> {
    let mut owners = Vec::new();
    for id in activity.organisations() {
        owners.push(lineage(conn, id.as_str()).await?);
    }
    if owners.is_empty() {
        owners.push(Vec::new());
    }
    Ok(owners)
}

/// PERMISSION_DENIED (`ROLE_REQUIRED`) unless the caller holds `role` over one of the
/// organisations running the activity (`owners`, from [`activity_owners`]).
pub(crate) fn require_over_any(
    caller: &Caller,
    role: Role,
    owners: &[Vec<String>],
    what: &str,
) -> Result<(), Error> {
    if owners.iter().any(|lineage| caller.may(role, lineage)) {
        return Ok(());
    }
    caller.require(role, owners.first().map_or(&[][..], Vec::as_slice), what)
}

/// The activity `id`, if it exists and the caller sees it.
pub(crate) async fn activity(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Option<Activity>, Error> {
    let Some(found) = activities::activity(conn, id).await? else {
        return Ok(None);
    };
    if !caller.is_limited() {
        return Ok(Some(found));
    }
    let owners = activity_owners(conn, &found).await?;
    let place = location(conn, &found.community_id).await?;
    Ok(caller.sees_record(&owners, &place).then_some(found))
}

/// The volunteer `id`, if registered and the caller sees them.
pub(crate) async fn volunteer(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Option<StoredVolunteer>, Error> {
    let Some(stored) = register::get(conn, id).await? else {
        return Ok(None);
    };
    let seen = sees_volunteer(conn, caller, &stored.volunteer).await?;
    Ok(seen.then_some(stored))
}

/// Whether the caller sees `volunteer`: owned by its work or home side, located at home.
pub(crate) async fn sees_volunteer(
    conn: &mut AnyConnection,
    caller: &Caller,
    volunteer: &Volunteer,
) -> Result<bool, Error> {
    if !caller.is_limited() {
        return Ok(true);
    }
    let owners = volunteer_owners(
        conn,
        &volunteer.work_organisation_id,
        &volunteer.home_community_id,
    )
    .await?;
    let place = location(conn, &volunteer.home_community_id).await?;
    Ok(caller.sees_record(&owners, &place))
}

/// The team `id`, if it exists and the caller sees it (located nowhere: never one
/// limited to a township).
pub(crate) async fn team(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Option<Team>, Error> {
    let Some(found) = teams::get(conn, id).await? else {
        return Ok(None);
    };
    let owner = lineage(conn, found.organisation_id.as_str()).await?;
    Ok(caller.sees(&owner).then_some(found))
}

/// The wish `id`, if it exists and the caller sees it.
pub(crate) async fn wish(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &RecordId,
) -> Result<Option<Wish>, Error> {
    let Some(found) = wishes::get(conn, id).await? else {
        return Ok(None);
    };
    if !caller.is_limited() {
        return Ok(Some(found));
    }
    let owners = community_owners(conn, &found.community_id).await?;
    let place = location(conn, &found.community_id).await?;
    Ok(caller.sees_record(&owners, &place).then_some(found))
}

/// What the caller's lists, figures and exports keep: its subtree's organisations and
/// the communities linked with them, its township's communities; everything for a
/// caller without a boundary.
pub(crate) async fn inside(conn: &mut AnyConnection, caller: &Caller) -> Result<Inside, Error> {
    let mut inside = Inside::default();
    if let Some(root) = &caller.organisation {
        let organisations = known::subtree(conn, Hierarchy::Directory, root).await?;
        inside.linked = Some(records::linked_communities(conn, &organisations).await?);
        inside.organisations = Some(organisations);
    }
    if let Some(township) = &caller.township {
        inside.located =
            Some(known::township_communities(conn, Hierarchy::Directory, township).await?);
    }
    Ok(inside)
}

/// PERMISSION_DENIED unless a new record owned by `owners` and located in `townships`
/// lies inside the boundary: a limited caller creates nothing it could not see. (The
/// directory entries it names are public, so saying so reveals nothing.)
pub(crate) fn require_inside(
    caller: &Caller,
    owners: &[Vec<String>],
    townships: &[String],
    what: &str,
) -> Result<(), Error> {
    if caller.sees_record(owners, townships) {
        return Ok(());
    }
    Err(outside(caller, what))
}

/// PERMISSION_DENIED (`OUTSIDE_BOUNDARY`): `what` lies outside the caller's boundary.
fn outside(caller: &Caller, what: &str) -> Error {
    let boundary = match (&caller.organisation, &caller.township) {
        (Some(root), Some(township)) => format!("organisation {root:?} and township {township:?}"),
        (Some(root), None) => format!("organisation {root:?}"),
        (None, Some(township)) => format!("township {township:?}"),
        (None, None) => "no boundary".to_owned(),
    };
    Error::denied(
        "OUTSIDE_BOUNDARY",
        format!("{what} lies outside {boundary}, which the caller is limited to"),
    )
}

impl super::Volunteers {
    /// PERMISSION_DENIED unless each organisation a directory change touches (the one
    /// changed, its new parent) lies inside a limited caller's boundary: the hierarchy is
    /// what boundaries are made of, so no one moves or adds entries outside their own.
    /// Organisations lie in no township, so a caller limited to one changes none.
    pub async fn require_organisations_inside(
        &self,
        caller: &Caller,
        organisations: &[&str],
    ) -> Result<(), Error> {
        if !caller.is_limited() {
            return Ok(());
        }
        let mut conn = self.db.pool().acquire().await?;
        for id in organisations {
            let owner = lineage(&mut conn, id).await?;
            require_inside(caller, &[owner], &[], &format!("organisation {id:?}"))?;
        }
        Ok(())
    }

    /// PERMISSION_DENIED unless a limited caller changes a community inside its boundary
    /// (linked with an organisation of its subtree; of its township), and, moving it to
    /// `moved_to`, keeps it there.
    pub async fn require_community_inside(
        &self,
        caller: &Caller,
        id: &DirectoryId,
        moved_to: Option<&Township>,
    ) -> Result<(), Error> {
        if !caller.is_limited() {
            return Ok(());
        }
        let mut conn = self.db.pool().acquire().await?;
        let owners = community_owners(&mut conn, id).await?;
        let place = location(&mut conn, id).await?;
        let what = format!("community {:?}", id.as_str());
        require_inside(caller, &owners, &place, &what)?;
        // Where a community lies decides which township callers see everything located
        // there: moving it to another township is the programme office's act.
        if let Some(township) = moved_to
            && !place.iter().any(|here| township == here.as_str())
        {
            return Err(outside(
                caller,
                &format!(
                    "community {:?} moved to {:?}",
                    id.as_str(),
                    township.as_str()
                ),
            ));
        }
        Ok(())
    }
}

/// PERMISSION_DENIED unless a new community of `township` lies in the township a caller
/// is limited to. (One limited to a subtree may register communities: a new one is
/// linked with no organisation yet, and linking it is checked.)
pub(crate) fn require_township(
    caller: &Caller,
    township: &Township,
    what: &str,
) -> Result<(), Error> {
    match &caller.township {
        Some(ours) if township != ours.as_str() => Err(outside(caller, what)),
        _ => Ok(()),
    }
}
