//! Verified service as figures and records, organisations' links with the communities
//! they serve, and the Four Ones report made of both.

use xingfu_platform::Error;
use xingfu_platform::date::Date;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, not_found, require_community, require_organisation};
use crate::domain::records::{CommunityLink, FourOnesRow, HoursScope, HoursSummary, ServiceRecord};
use crate::storage::Inside;
use crate::storage::records as store;

/// A page of the Four Ones report: its rows and whether links follow the last one.
#[derive(Debug, Clone)]
pub struct FourOnesPage {
    /// Rows, by organisation then community.
    pub rows: Vec<FourOnesRow>,
    /// The (organisation, community) of the last link read, to continue after.
    pub last: Option<(String, String)>,
    /// Whether more links follow.
    pub more: bool,
}

impl Volunteers {
    /// Verified service of `scope` served from `from` to `to` (inclusive days, local to
    /// the district; open-ended when absent): of the records the caller sees.
    pub async fn summarise_hours(
        &self,
        caller: &Caller,
        scope: HoursScope,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<HoursSummary, Error> {
        let mut conn = self.db.pool().acquire().await?;
        match &scope {
            HoursScope::Volunteer(id) => {
                if boundary::volunteer(&mut conn, caller, id).await?.is_none() {
                    return Err(not_found("volunteer", id));
                }
            }
            HoursScope::Organisation(id) => require_organisation(&mut conn, id).await?,
            HoursScope::Community(id) => require_community(&mut conn, id).await?,
        }
        let inside = boundary::inside(&mut conn, caller).await?;
        let from = from.map_or(i64::MIN, |d| d.start_micros());
        let until = to.map_or(i64::MAX, |d| d.next().start_micros());
        Ok(store::summarise(&mut conn, &scope, &inside, from, until).await?)
    }

    /// A page of a volunteer's verified records, in verification order after `after`:
    /// those `inside` keeps (see [`Self::export_scope`]).
    pub async fn service_records(
        &self,
        volunteer_id: &str,
        inside: &Inside,
        after: &str,
        limit: i64,
    ) -> Result<Vec<ServiceRecord>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::of_volunteer(&mut conn, volunteer_id, inside, after, limit).await?)
    }

    /// The service records the caller may export: owned by its subtree's organisations,
    /// located in its township's communities.
    pub async fn export_scope(&self, caller: &Caller) -> Result<Inside, Error> {
        let mut conn = self.db.pool().acquire().await?;
        boundary::inside(&mut conn, caller).await
    }

    /// Links (`linked`) or unlinks an organisation and a community; a change made already
    /// changes nothing. A link makes the community's residents' records the organisation's
    /// to see, so a limited caller links only an organisation inside its boundary to a
    /// community already inside it; reaching a new community is the programme office's.
    pub async fn set_community_link(
        &self,
        caller: &Caller,
        link: CommunityLink,
    ) -> Result<CommunityLink, Error> {
        let CommunityLink {
            organisation_id,
            community_id,
            linked,
        } = &link;
        let mut tx = self.db.begin().await?;
        let owner = boundary::lineage(&mut tx, organisation_id).await?;
        // A link is the organisation's reach: a caller limited to a township, where no
        // organisation lies, makes none.
        boundary::require_inside(caller, &[owner], &[], "organisation")?;
        let changed = if *linked {
            require_organisation(&mut tx, organisation_id).await?;
            require_community(&mut tx, community_id).await?;
            if caller.is_limited() {
                let owners = boundary::community_owners(&mut tx, community_id).await?;
                let place = boundary::location(&mut tx, community_id).await?;
                boundary::require_inside(caller, &owners, &place, "community")?;
            }
            store::link(&mut tx, organisation_id, community_id, now_micros()).await?
        } else {
            store::unlink(&mut tx, organisation_id, community_id).await?
        };
        if !changed {
            tx.rollback().await?;
            return Ok(link);
        }
        let event = pb::CommunityLinkChanged::from(&link);
        self.outbox
            .enqueue(&mut tx, organisation_id, &event)
            .await?;
        self.outbox.commit(tx).await?;
        Ok(link)
    }

    /// One page of the Four Ones report for `year`: the links after `after` (inside the
    /// caller's boundary: of its subtree's organisations, its township's communities),
    /// each with its counts; only those missing a kind when `missing_only`.
    pub async fn four_ones(
        &self,
        caller: &Caller,
        year: i32,
        organisation_id: Option<&str>,
        missing_only: bool,
        after: Option<(&str, &str)>,
        size: usize,
    ) -> Result<FourOnesPage, Error> {
        let (Ok(first), Ok(next)) = (
            Date::new(year, 1, 1, "year"),
            Date::new(year + 1, 1, 1, "year"),
        ) else {
            return Err(Error::invalid("year", "must be 1 to 9998"));
        };
        let mut conn = self.db.pool().acquire().await?;
        if let Some(id) = organisation_id {
            require_organisation(&mut conn, id).await?;
        }
        let inside = boundary::inside(&mut conn, caller).await?;
        let limit = i64::try_from(size).unwrap_or(i64::MAX).saturating_add(1);
        let mut links = store::links(&mut conn, organisation_id, &inside, after, limit).await?;
        let more = links.len() > size;
        links.truncate(size);
        let last = links.last().cloned();
        let mut rows = Vec::with_capacity(links.len());
        for (organisation, community) in links {
            let row = store::four_ones(
                &mut conn,
                &organisation,
                &community,
                first.start_micros(),
                next.start_micros(),
            )
            .await?;
            if !missing_only || !row.missing().is_empty() {
                rows.push(row);
            }
        }
        Ok(FourOnesPage { rows, last, more })
    }
}
