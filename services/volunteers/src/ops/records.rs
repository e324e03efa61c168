//! Verified service as figures and records, organisations' links with the communities
//! they serve, and the Four Ones report made of both.

use std::collections::HashMap;

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::date::Date;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, require_community, require_organisation};
use crate::domain::records::{CommunityLink, FourOnesRow, HoursScope, HoursSummary, ServiceRecord};
use crate::domain::register::Volunteer;
use crate::storage::Inside;
use crate::storage::records::{self as store, RecordsOf};
use crate::storage::register as register_store;

/// A page of the Four Ones report: its rows and whether links follow the last one.
#[derive(Debug, Clone)]
pub struct FourOnesPage {
    /// Rows, by organisation then community.
    pub rows: Vec<FourOnesRow>,
    /// The (organisation, community) of the last link read, to continue after.
    pub last: Option<(DirectoryId, DirectoryId)>,
    /// Whether more links follow.
    pub more: bool,
}

/// Records read per page while exporting.
const EXPORT_PAGE: i64 = 500;

/// Verified records inside a caller's boundary, a volunteer's or an organisation's over a
/// period, in verification order, a page at a time (see
/// [`Volunteers::export_service_record`], [`Volunteers::export_national_records`]).
pub struct RecordPages {
    volunteers: Volunteers,
    of: RecordsOf,
    inside: Inside,
    /// The first page, read before the export answers.
    first: Option<Vec<ServiceRecord>>,
    /// The record the next page starts after; `None` once a short page ended the list.
    after: Option<String>,
}

impl RecordPages {
    /// The next page, `None` after the last. A full page may be followed by an empty one.
    pub async fn next(&mut self) -> Result<Option<Vec<ServiceRecord>>, Error> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        if self.after.is_none() {
            return Ok(None);
        }
        self.read().await.map(Some)
    }

    /// Reads the page after `after` and notes where the one after it starts.
    async fn read(&mut self) -> Result<Vec<ServiceRecord>, Error> {
        let after = self.after.take().unwrap_or_default();
        let mut conn = self.volunteers.db.pool().acquire().await?;
        let page = store::page(&mut conn, &self.of, &self.inside, &after, EXPORT_PAGE).await?;
        let full = page.len() >= usize::try_from(EXPORT_PAGE).unwrap_or(usize::MAX);
        self.after = page
            .last()
            .filter(|_| full)
            .map(|last| last.record_id.to_string());
        Ok(page)
    }
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
                    return Err(Error::not_found("volunteer", id.as_str()));
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

    /// A volunteer's verified service for export, if the caller sees the volunteer
    /// (`reveal` as for [`Self::volunteer_for`]): only the records inside the caller's
    /// boundary (of its subtree's organisations, served in its township), read a page
    /// at a time so an export of any length holds one page in memory. The first page is
    /// read here, so a failure is the call's.
    pub async fn export_service_record(
        &self,
        caller: &Caller,
        volunteer_id: &RecordId,
        reveal: bool,
    ) -> Result<(Volunteer, RecordPages), Error> {
        let volunteer = self.volunteer_for(caller, volunteer_id, reveal).await?;
        let inside = {
            let mut conn = self.db.pool().acquire().await?;
            boundary::inside(&mut conn, caller).await?
        };
        let pages = self
            .record_pages(RecordsOf::Volunteer(volunteer_id.clone()), inside)
            .await?;
        Ok((volunteer, pages))
    }

    /// The verified records given for `organisation_id` served from `from` to `to`
    /// (inclusive days), inside the caller's boundary, a page at a time; the first page
    /// read here, so a failure is the call's.
    pub async fn export_national_records(
        &self,
        caller: &Caller,
        organisation_id: &DirectoryId,
        from: Date,
        to: Date,
    ) -> Result<RecordPages, Error> {
        let inside = {
            let mut conn = self.db.pool().acquire().await?;
            require_organisation(&mut conn, organisation_id).await?;
            boundary::inside(&mut conn, caller).await?
        };
        let of = RecordsOf::Organisation {
            id: organisation_id.clone(),
            from: from.start_micros(),
            until: to.next().start_micros(),
        };
        self.record_pages(of, inside).await
    }

    /// The people behind `records` as the caller may see them, by volunteer id: the
    /// name, and the ID number (in clear with `reveal`, masked otherwise; empty once
    /// erased).
    pub async fn people_of(
        &self,
        records: &[ServiceRecord],
        reveal: bool,
    ) -> Result<HashMap<RecordId, (String, String)>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut people = HashMap::new();
        for record in records {
            if people.contains_key(&record.volunteer_id) {
                continue;
            }
            let Some(stored) = register_store::get(&mut conn, &record.volunteer_id).await? else {
                continue;
            };
            let volunteer = self.opened(stored, reveal);
            let id_number = match volunteer.revealed {
                Some((_, id_number)) => id_number,
                None => volunteer.id_number_masked,
            };
            people.insert(record.volunteer_id.clone(), (volunteer.name, id_number));
        }
        Ok(people)
    }

    async fn record_pages(&self, of: RecordsOf, inside: Inside) -> Result<RecordPages, Error> {
        let mut pages = RecordPages {
            volunteers: self.clone(),
            of,
            inside,
            first: None,
            after: Some(String::new()),
        };
        pages.first = Some(pages.read().await?);
        Ok(pages)
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
        let owner = boundary::lineage(&mut tx, organisation_id.as_str()).await?;
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
            .enqueue(&mut tx, organisation_id.as_str(), &event)
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
        organisation_id: Option<&DirectoryId>,
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
