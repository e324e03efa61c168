//! Grants: requested, read, listed, approved or rejected, cancelled and paid.

use xingfu_platform::checked::{Line, RecordId, RequestId};
use xingfu_platform::principal::Role;
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, paging, validate};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::funds as pb;

use crate::access::{Check, Record};
use crate::domain::{ActorId, Grant, GrantFilter, GrantKind, GrantStatus, Item, NewGrant, Reason};
use crate::ops::Ledger;
use crate::wire::{
    grant_kind_from_proto, grant_kind_to_proto, grant_status_from_proto, grant_status_to_proto,
};

/// RequestGrant: by a grant requester over the fund's organisation. The requester is the
/// caller (or, for a delegate, the person it names).
pub(super) async fn request(
    ledger: &Ledger,
    caller: &Caller,
    mut r: pb::RequestGrantRequest,
) -> Result<pb::Grant, Error> {
    r.requested_by = caller.actor("requested_by", &r.requested_by)?.id;
    let new = parse_new(&r)?;
    let check = Check::role(
        Record::Fund(&new.fund_id),
        Role::GrantRequester,
        "requesting a grant",
    );
    ledger.admit(caller, check).await?;
    Ok(grant_to_proto(ledger.request_grant(new).await?))
}

/// GetGrant.
pub(super) async fn get(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetGrantRequest,
) -> Result<pb::Grant, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    ledger.admit(caller, Check::see(Record::Grant(&id))).await?;
    Ok(grant_to_proto(ledger.grant(&id).await?))
}

/// ListGrants: those of funds inside the caller's boundary.
pub(super) async fn list(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::ListGrantsRequest,
) -> Result<pb::ListGrantsResponse, Error> {
    let mut v = Violations::default();
    let fund_id = optional_id(&r.fund_id, "fund_id", &mut v);
    let status: Option<GrantStatus> = v
        .check(grant_status_from_proto(r.status, "status"))
        .flatten();
    let project_id = optional_id(&r.project_id, "project_id", &mut v);
    v.finish()?;
    // The ids as text, so a page token's fingerprint of the filters stays as it was.
    let filters = format!(
        "{:?}/{status:?}/{:?}",
        fund_id.as_ref().map(RecordId::as_str),
        project_id.as_ref().map(RecordId::as_str)
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let owners = ledger.owners_seen_by(caller).await?;
    let filter = GrantFilter {
        fund_id: fund_id.as_ref(),
        status,
        project_id: project_id.as_ref(),
        owners: owners.as_deref(),
    };
    let mut grants = ledger
        .grants(&filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut grants, &page, &filters, |g| g.id.as_str());
    Ok(pb::ListGrantsResponse {
        grants: grants.into_iter().map(grant_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// ApproveGrant: by a grant approver, in person (four eyes are two persons: each
/// approval is its approver's own call).
pub(super) async fn approve(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::ApproveGrantRequest,
) -> Result<pb::Grant, Error> {
    let approver = caller.in_person("approver", &r.approver)?;
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let approver = v.check(ActorId::parse(&approver, "approver"));
    let (id, approver) = v.finish_with((id, approver))?;
    let check = Check::role(Record::Grant(&id), Role::GrantApprover, "approving a grant");
    ledger.admit(caller, check).await?;
    Ok(grant_to_proto(ledger.approve_grant(&id, &approver).await?))
}

/// RejectGrant: by a grant approver, in person.
pub(super) async fn reject(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::RejectGrantRequest,
) -> Result<pb::Grant, Error> {
    let reviewer = caller.in_person("reviewer", &r.reviewer)?;
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reviewer = v.check(ActorId::parse(&reviewer, "reviewer"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reviewer, reason) = v.finish_with((id, reviewer, reason))?;
    let check = Check::role(Record::Grant(&id), Role::GrantApprover, "rejecting a grant");
    ledger.admit(caller, check).await?;
    let reason = format!("{reviewer}: {reason}");
    let rejected = ledger
        .end_grant(&id, GrantStatus::Rejected, &reason)
        .await?;
    Ok(grant_to_proto(rejected))
}

/// CancelGrant: by a grant requester or a grant approver over the fund's organisation.
pub(super) async fn cancel(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::CancelGrantRequest,
) -> Result<pb::Grant, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    let check = Check::either(
        Record::Grant(&id),
        Role::GrantRequester,
        Role::GrantApprover,
        "cancelling a grant",
    );
    ledger.admit(caller, check).await?;
    let cancelled = ledger
        .end_grant(&id, GrantStatus::Cancelled, reason.as_str())
        .await?;
    Ok(grant_to_proto(cancelled))
}

/// DisburseGrant: by a grant approver, an authenticated principal.
pub(super) async fn disburse(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::DisburseGrantRequest,
) -> Result<pb::Grant, Error> {
    caller.principal()?;
    let id = RecordId::parse(&r.id, "id")?;
    let check = Check::role(Record::Grant(&id), Role::GrantApprover, "paying a grant");
    ledger.admit(caller, check).await?;
    Ok(grant_to_proto(ledger.disburse_grant(&id).await?))
}

/// The grant a RequestGrant asks for, its requester already the actor.
fn parse_new(r: &pb::RequestGrantRequest) -> Result<NewGrant, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let fund_id = v.check(RecordId::parse(&r.fund_id, "fund_id"));
    let kind = v.check(required(grant_kind_from_proto(r.kind, "kind"), "kind"));
    let requested_by = v.check(ActorId::parse(&r.requested_by, "requested_by"));
    let beneficiary_ref = match kind {
        Some(kind) if kind.needs_beneficiary() => v.check(validate::directory_id(
            &r.beneficiary_ref,
            "beneficiary_ref",
        )),
        _ if !r.beneficiary_ref.is_empty() => v.check(validate::directory_id(
            &r.beneficiary_ref,
            "beneficiary_ref",
        )),
        _ => Some(String::new()),
    };
    let project_id = match kind {
        Some(GrantKind::Project) => v
            .check(RecordId::parse(&r.project_id, "project_id"))
            .map(Some),
        _ if !r.project_id.is_empty() => {
            v.add("project_id", "is only for PROJECT grants");
            None
        }
        _ => Some(None),
    };
    let items = match kind {
        Some(GrantKind::StudyCorner) => parse_items(&r.items, &mut v),
        _ if !r.items.is_empty() => {
            v.add("items", "are only for STUDY_CORNER grants");
            None
        }
        _ => Some(Vec::new()),
    };
    let (request_id, fund_id, kind, requested_by, beneficiary_ref, project_id, items) = v
        .finish_with((
            request_id,
            fund_id,
            kind,
            requested_by,
            beneficiary_ref,
            project_id,
            items,
        ))?;
    Ok(NewGrant {
        request_id,
        fund_id,
        kind,
        beneficiary_ref,
        project_id,
        items,
        amount_fen: r.amount_fen,
        requested_by,
    })
}

/// A study corner's items: 1 to 20, each named (each one's quantity is bounded by
/// `StudyCornerItem.quantity` in the proto).
fn parse_items(items: &[pb::StudyCornerItem], v: &mut Violations) -> Option<Vec<Item>> {
    if items.is_empty() || items.len() > 20 {
        v.add("items", "must list 1 to 20 items for a study corner");
        return None;
    }
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                v.check(Line::parse(&item.name, &format!("items[{i}].name")))
                    .map(|name| Item {
                        name,
                        quantity: item.quantity,
                    })
            })
            .collect(),
    )
}

/// An optional id filter: empty is none.
fn optional_id(value: &str, field: &str, v: &mut Violations) -> Option<RecordId> {
    if value.is_empty() {
        None
    } else {
        v.check(RecordId::parse(value, field))
    }
}

/// A grant as the API shows it.
fn grant_to_proto(grant: Grant) -> pb::Grant {
    pb::Grant {
        id: grant.id.into_string(),
        fund_id: grant.fund_id.into_string(),
        kind: grant_kind_to_proto(grant.kind) as i32,
        beneficiary_ref: grant.beneficiary_ref,
        project_id: grant.project_id.map(String::from).unwrap_or_default(),
        items: grant
            .items
            .into_iter()
            .map(|i| pb::StudyCornerItem {
                name: i.name.into_string(),
                quantity: i.quantity,
            })
            .collect(),
        amount: Some(Money::cny(grant.amount_fen)),
        status: grant_status_to_proto(grant.status) as i32,
        requested_by: grant.requested_by.into_string(),
        approved_by: grant.approved_by.into_iter().map(String::from).collect(),
        approvals_required: grant.approvals_required,
        reason: grant.reason.unwrap_or_default(),
        create_time: Some(to_timestamp(grant.created_at)),
        disburse_time: grant.disbursed_at.map(to_timestamp),
    }
}
