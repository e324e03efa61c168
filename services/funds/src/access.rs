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

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::known::{self, Hierarchy};
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::storage;

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
pub async fn lineage(
    conn: &mut AnyConnection,
    organisation_id: &str,
) -> Result<Vec<String>, Error> {
    Ok(known::lineage(conn, Hierarchy::Known, organisation_id).await?)
}

/// Admits `caller` to fund `fund_id`, answering its owner's lineage for role checks:
/// NOT_FOUND when the fund is missing or outside the caller's boundary.
pub async fn fund(
    conn: &mut AnyConnection,
    caller: &Caller,
    fund_id: &str,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "fund",
        id: fund_id.to_owned(),
    };
    let owner = storage::funds::get(conn, fund_id)
        .await?
        .ok_or_else(not_found)?
        .organisation_id;
    let lineage = lineage(conn, &owner).await?;
    if caller.sees(&lineage) {
        Ok(lineage)
    } else {
        Err(not_found())
    }
}

/// Admits `caller` to grant `grant_id` through its fund, as [`fund`] does; NOT_FOUND
/// names the grant.
pub async fn grant(
    conn: &mut AnyConnection,
    caller: &Caller,
    grant_id: &str,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "grant",
        id: grant_id.to_owned(),
    };
    let fund_id = storage::grants::get(conn, grant_id)
        .await?
        .ok_or_else(not_found)?
        .fund_id;
    fund(conn, caller, &fund_id).await.map_err(|_| not_found())
}

/// Admits `caller` to donation `donation_id` through its fund; NOT_FOUND names the
/// donation.
pub async fn donation(
    conn: &mut AnyConnection,
    caller: &Caller,
    donation_id: &str,
) -> Result<Vec<String>, Error> {
    let not_found = || Error::NotFound {
        resource: "donation",
        id: donation_id.to_owned(),
    };
    let fund_id = storage::donations::get(conn, donation_id)
        .await?
        .ok_or_else(not_found)?
        .fund_id;
    fund(conn, caller, &fund_id).await.map_err(|_| not_found())
}

/// Admits `caller` to creating a fund for `organisation_id` (empty: the programme
/// office's): inside its boundary, holding `organisation_admin` over it or
/// `programme_admin`.
pub async fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    organisation_id: &str,
) -> Result<(), Error> {
    let lineage = lineage(conn, organisation_id).await?;
    if !caller.sees(&lineage) {
        return Err(Error::denied(
            "OUTSIDE_BOUNDARY",
            format!(
                "a fund of {:?} lies outside the caller's organisation {:?}",
                organisation_id,
                caller.organisation.as_deref().unwrap_or_default()
            ),
        ));
    }
    if caller.may(Role::ProgrammeAdmin, &lineage) {
        return Ok(());
    }
    caller.require(Role::OrganisationAdmin, &lineage, "creating a fund")
}

/// Refuses a caller limited to an organisation an act that spans the whole ledger.
pub fn programme_wide(caller: &Caller, what: &str) -> Result<(), Error> {
    if !caller.is_limited() {
        return Ok(());
    }
    let boundary = caller.organisation.as_ref().or(caller.township.as_ref());
    Err(Error::denied(
        "PROGRAMME_WIDE",
        format!("{what} spans every fund; the caller is limited to {boundary:?}"),
    ))
}
