//! Who may touch what (操作人与数据边界) in the charity ledger, in one place.
//!
//! Owners: a fund is its organisation's (`Fund::organisation_id`, an organisation of the
//! directory) or, without one, the programme office's; its donations and grants are the
//! fund's. A caller limited to an organisation's subtree sees and changes only funds
//! owned inside it, and none of the programme office's: outside, a fund, donation or grant
//! answers NOT_FOUND exactly as a missing id does; lists and reports leave them out.
//! Closing a period and verifying the whole ledger are programme-wide acts. Funds are
//! located nowhere, so a caller limited to a township sees none.
//!
//! Roles over the fund's organisation (held there, above it, or programme-wide): creating
//! a fund needs `organisation_admin` (or `programme_admin`); requesting a grant
//! `grant_requester`; approving, rejecting and paying a grant, and refunding a donation,
//! `grant_approver`. Closing a period needs `programme_admin` or `grant_approver`, held
//! programme-wide.
//!
//! Who acts is who called: a grant's requester is the caller (or the person a delegate
//! names, `Caller::actor`); an approver or a reviewer acts in person
//! (`Caller::in_person`); paying a grant needs an authenticated principal. Those are read
//! with the request in `grpc`; every handler then names its [`Check`] here, after parsing
//! (a malformed request is INVALID_ARGUMENT whoever sends it), and [`admit`] decides.

use sqlx::AnyConnection;
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::db::Database;
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::storage;

/// The record a call touches, named by its parsed request.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// A new fund, for this organisation (`None`: the programme office's).
    NewFund(Option<&'a DirectoryId>),
    /// A fund.
    Fund(&'a RecordId),
    /// A donation, held through its fund.
    Donation(&'a RecordId),
    /// A grant, held through its fund.
    Grant(&'a RecordId),
    /// The whole ledger, for doing this: an act no limited caller may do.
    Ledger(&'static str),
}

/// What a call needs over the record's organisation, beyond seeing it.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Only that the record lies inside the caller's boundary.
    See,
    /// This role, for doing `what`.
    Role(Role, &'static str),
    /// The first role, else the second (the one a refusal names), for doing `what`.
    EitherRole(Role, Role, &'static str),
}

/// A call's record and rule.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The record touched.
    pub record: Record<'a>,
    /// What it needs.
    pub rule: Rule,
}

impl<'a> Check<'a> {
    /// `record`, which the caller must see.
    pub fn see(record: Record<'a>) -> Self {
        Self {
            record,
            rule: Rule::See,
        }
    }

    /// `record`, whose organisation the caller must hold `role` over, for doing `what`.
    pub fn role(record: Record<'a>, role: Role, what: &'static str) -> Self {
        Self {
            record,
            rule: Rule::Role(role, what),
        }
    }

    /// `record`, whose organisation the caller must hold `first` or else `role` over.
    pub fn either(record: Record<'a>, first: Role, role: Role, what: &'static str) -> Self {
        Self {
            record,
            rule: Rule::EitherRole(first, role, what),
        }
    }
}

/// Admits `caller` to `check`: NOT_FOUND when the record is missing or lies outside its
/// boundary, PERMISSION_DENIED when a new fund would, when a limited caller attempts a
/// ledger-wide act, or when a role is missing. A ledger-wide act reads nothing.
pub async fn admit(db: &Database, caller: &Caller, check: Check<'_>) -> Result<(), Error> {
    let lineage = match check.record {
        Record::Ledger(what) => {
            programme_wide(caller, what)?;
            // Held programme-wide: over no organisation.
            Vec::new()
        }
        Record::NewFund(organisation_id) => {
            new_fund(&mut *db.pool().acquire().await?, caller, organisation_id).await?
        }
        Record::Fund(id) => fund(&mut *db.pool().acquire().await?, caller, id).await?,
        Record::Donation(id) => donation(&mut *db.pool().acquire().await?, caller, id).await?,
        Record::Grant(id) => grant(&mut *db.pool().acquire().await?, caller, id).await?,
    };
    match check.rule {
        Rule::See => Ok(()),
        Rule::Role(role, what) => caller.require(role, &lineage, what),
        Rule::EitherRole(first, role, what) => {
            if caller.may(first, &lineage) {
                return Ok(());
            }
            caller.require(role, &lineage, what)
        }
    }
}

/// The organisations inside `caller`'s boundary, to filter lists and reports; `None`
/// when it has none.
pub async fn scope(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<Option<Vec<String>>, Error> {
    match (&caller.organisation, &caller.township) {
        // Funds are located nowhere: a township boundary holds none of them.
        (_, Some(_)) => Ok(Some(Vec::new())),
        (Some(root), None) => Ok(Some(known::subtree(conn, Hierarchy::Known, root).await?)),
        (None, None) => Ok(None),
    }
}

/// The lineage of `organisation_id` (empty for the programme office's own funds).
async fn lineage(
    conn: &mut AnyConnection,
    organisation_id: Option<&DirectoryId>,
) -> Result<Vec<String>, Error> {
    let organisation_id = organisation_id.map_or("", DirectoryId::as_str);
    Ok(known::lineage(conn, Hierarchy::Known, organisation_id).await?)
}

/// Fund `fund_id`'s owner's lineage, for role checks: NOT_FOUND when the fund is missing
/// or outside the caller's boundary.
async fn fund(
    conn: &mut AnyConnection,
    caller: &Caller,
    fund_id: &RecordId,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "fund",
        id: fund_id.to_string(),
    };
    let owner = storage::funds::get(conn, fund_id)
        .await?
        .ok_or_else(not_found)?
        .organisation_id;
    let lineage = lineage(conn, owner.as_ref()).await?;
    if caller.sees(&lineage) {
        Ok(lineage)
    } else {
        Err(not_found())
    }
}

/// Grant `grant_id`'s owner's lineage through its fund, as [`fund`] does; NOT_FOUND
/// names the grant.
async fn grant(
    conn: &mut AnyConnection,
    caller: &Caller,
    grant_id: &RecordId,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "grant",
        id: grant_id.to_string(),
    };
    let fund_id = storage::grants::get(conn, grant_id)
        .await?
        .ok_or_else(not_found)?
        .fund_id;
    fund(conn, caller, &fund_id).await.map_err(|_| not_found())
}

/// Donation `donation_id`'s owner's lineage through its fund; NOT_FOUND names the
/// donation.
async fn donation(
    conn: &mut AnyConnection,
    caller: &Caller,
    donation_id: &RecordId,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "donation",
        id: donation_id.to_string(),
    };
    let fund_id = storage::donations::get(conn, donation_id)
        .await?
        .ok_or_else(not_found)?
        .fund_id;
    fund(conn, caller, &fund_id).await.map_err(|_| not_found())
}

/// The lineage of a new fund's `organisation_id` (`None`: the programme office's),
/// PERMISSION_DENIED when it lies outside the caller's boundary.
async fn new_fund(
    conn: &mut AnyConnection,
    caller: &Caller,
    organisation_id: Option<&DirectoryId>,
) -> Result<Vec<String>, Error> {
    let lineage = lineage(conn, organisation_id).await?;
    if !caller.sees(&lineage) {
        return Err(Error::denied(
            "OUTSIDE_BOUNDARY",
            format!(
                "a fund of {:?} lies outside the caller's organisation {:?}",
                organisation_id.map_or("", DirectoryId::as_str),
                caller.organisation.as_deref().unwrap_or_default()
            ),
        ));
    }
    Ok(lineage)
}

/// Refuses a caller limited to an organisation an act that spans the whole ledger.
fn programme_wide(caller: &Caller, what: &str) -> Result<(), Error> {
    if !caller.is_limited() {
        return Ok(());
    }
    let boundary = caller.organisation.as_ref().or(caller.township.as_ref());
    Err(Error::denied(
        "PROGRAMME_WIDE",
        format!("{what} spans every fund; the caller is limited to {boundary:?}"),
    ))
}
