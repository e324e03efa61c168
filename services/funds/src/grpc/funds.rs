//! Funds: created, read and listed.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId};
use xingfu_platform::principal::Role;
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::funds as pb;

use crate::access::{Check, Record};
use crate::domain::{Fund, NewFund};
use crate::ops::Ledger;
use crate::wire::{purpose_from_proto, purpose_to_proto};

/// CreateFund: by an organisation admin over the fund's organisation, or a programme
/// admin.
pub(super) async fn create(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::CreateFundRequest,
) -> Result<pb::Fund, Error> {
    let (request_id, new) = parse_new(&r)?;
    let check = Check::either(
        Record::NewFund(new.organisation_id.as_ref()),
        Role::ProgrammeAdmin,
        Role::OrganisationAdmin,
        "creating a fund",
    );
    ledger.admit(caller, check).await?;
    Ok(fund_to_proto(ledger.create_fund(&request_id, &new).await?))
}

/// GetFund.
pub(super) async fn get(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetFundRequest,
) -> Result<pb::Fund, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    ledger.admit(caller, Check::see(Record::Fund(&id))).await?;
    Ok(fund_to_proto(ledger.fund(&id).await?))
}

/// ListFunds: those inside the caller's boundary.
pub(super) async fn list(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::ListFundsRequest,
) -> Result<pb::ListFundsResponse, Error> {
    let page = paging::parse(r.page.as_ref(), "funds", "page")?;
    let owners = ledger.owners_seen_by(caller).await?;
    let mut funds = ledger
        .funds(owners.as_deref(), page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut funds, &page, "funds", |f| f.id.as_str());
    Ok(pb::ListFundsResponse {
        funds: funds.into_iter().map(fund_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// The request id and the fund a CreateFund asks for.
fn parse_new(r: &pb::CreateFundRequest) -> Result<(RequestId, NewFund), Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let name = v.check(Line::parse(&r.name, "name"));
    let purpose = v.check(required(
        purpose_from_proto(r.purpose, "purpose"),
        "purpose",
    ));
    // No organisation: the programme office's own fund.
    let organisation_id = if r.organisation_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"))
            .map(Some)
    };
    let (request_id, name, purpose, organisation_id) =
        v.finish_with((request_id, name, purpose, organisation_id))?;
    let new = NewFund {
        name,
        purpose,
        organisation_id,
    };
    Ok((request_id, new))
}

/// A fund as the API shows it.
fn fund_to_proto(fund: Fund) -> pb::Fund {
    pb::Fund {
        id: fund.id.into_string(),
        name: fund.name.into_string(),
        purpose: purpose_to_proto(fund.purpose) as i32,
        balance: Some(Money::cny(fund.balance_fen)),
        raised: Some(Money::cny(fund.raised_fen)),
        disbursed: Some(Money::cny(fund.disbursed_fen)),
        create_time: Some(to_timestamp(fund.created_at)),
        organisation_id: fund.organisation_id.map(String::from).unwrap_or_default(),
    }
}
