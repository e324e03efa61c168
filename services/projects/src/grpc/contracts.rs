//! Service contracts (服务契约): signed, read, listed, renewed, ended.

use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;

use super::answers;
use super::convert::required_date;
use super::fields::optional;
use crate::access::Access;
use crate::domain::contract::Filter;
use crate::domain::project::check_schedule;
use crate::domain::{Date, DirectoryId, Line, NewContract, Reason, RecordId, RequestId};
use crate::ops::Library;
use crate::wire::{contract_status_from_proto, provider_kind_from_proto};

/// SignContract: of a project, the lead's or a co-organiser's work (judged on the project
/// as the signing locks it); without one, as `Access::keep_contract` says.
pub(super) async fn sign(
    library: &Library,
    access: Access,
    r: pb::SignContractRequest,
) -> Result<pb::Contract, Error> {
    let new = new_contract(&r)?;
    let signing = match &new.project_id {
        Some(_) => library.guarded(access.guard(Access::owner_work, "signing a contract")),
        None => {
            access.keep_contract(new.provider_kind, new.provider.as_str(), None)?;
            library.clone()
        }
    };
    answers::contract(library, signing.sign_contract(new).await?).await
}

/// GetContract.
pub(super) async fn get(
    library: &Library,
    access: Access,
    r: pb::GetContractRequest,
) -> Result<pb::Contract, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    let (contract, _) = library.visible_contract(&access, &id).await?;
    answers::contract(library, contract).await
}

/// ListContracts: those the caller sees, each with its status as of today.
pub(super) async fn list(
    library: &Library,
    access: Access,
    r: pb::ListContractsRequest,
) -> Result<pb::ListContractsResponse, Error> {
    let mut v = Violations::default();
    let filter = Filter {
        community_id: optional(&r.community_id, "community_id", &mut v, DirectoryId::parse),
        provider_id: optional(&r.provider_id, "provider_id", &mut v, DirectoryId::parse),
        status: v
            .check(contract_status_from_proto(r.status, "status"))
            .flatten(),
    };
    v.finish()?;
    // As when the ids were strings (`Some("…")`), so page tokens stay valid.
    let filters = format!(
        "{:?}/{:?}/{:?}",
        filter.community_id.as_ref().map(DirectoryId::as_str),
        filter.provider_id.as_ref().map(DirectoryId::as_str),
        filter.status,
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let today = Date::today();
    let mut contracts = library
        .contracts(
            &access,
            &filter,
            today,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut contracts, &page, &filters, |c| c.id.as_str());
    Ok(pb::ListContractsResponse {
        contracts: answers::contracts(library, contracts).await?,
        page: Some(PageResponse { next_page_token }),
    })
}

/// RenewContract: by whoever may keep the contract.
pub(super) async fn renew(
    library: &Library,
    access: Access,
    r: pb::RenewContractRequest,
) -> Result<pb::Contract, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let end = v.check(required_date(r.end_date.as_ref(), "end_date"));
    let (id, end) = v.finish_with((id, end))?;
    library.may_keep_contract(&access, &id).await?;
    answers::contract(library, library.renew_contract(&id, end).await?).await
}

/// TerminateContract: by whoever may keep the contract, with a reason.
pub(super) async fn terminate(
    library: &Library,
    access: Access,
    r: pb::TerminateContractRequest,
) -> Result<pb::Contract, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    library.may_keep_contract(&access, &id).await?;
    answers::contract(library, library.terminate_contract(&id, reason).await?).await
}

fn new_contract(r: &pb::SignContractRequest) -> Result<NewContract, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let kind = v.check(required(
        provider_kind_from_proto(r.provider_kind, "provider_kind"),
        "provider_kind",
    ));
    let provider = v.check(DirectoryId::parse(&r.provider_id, "provider_id"));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let services: Vec<_> = r
        .services
        .iter()
        .enumerate()
        .filter_map(|(i, s)| v.check(Line::parse(s, &format!("services[{i}]"))))
        .collect();
    let start = v.check(required_date(r.start_date.as_ref(), "start_date"));
    let end = v.check(required_date(r.end_date.as_ref(), "end_date"));
    if let (Some(start), Some(end)) = (start, end) {
        v.check(check_schedule(Some(start), Some(end), "end_date"));
    }
    let project_id = optional(&r.project_id, "project_id", &mut v, RecordId::parse);
    let (request_id, provider_kind, provider, community, start_date, end_date) =
        v.finish_with((request_id, kind, provider, community, start, end))?;
    Ok(NewContract {
        request_id,
        provider_kind,
        provider,
        community,
        services,
        start_date,
        end_date,
        project_id,
    })
}
