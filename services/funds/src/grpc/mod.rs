//! `xingfu.funds.v1.FundsService`: requests parsed into the domain, the ledger's
//! operations, answers built from the domain; errors mapped once by the platform.

pub mod convert;

use std::collections::HashSet;

use sqlx::Any;
use sqlx::pool::PoolConnection;
use tonic::{Request, Response, Status};
use xingfu_platform::principal::Role;
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, FieldViolation, Violations, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_server::FundsService;

use self::convert::{
    channel_from_proto, donation_to_proto, donor_kind_from_proto, fund_to_proto,
    grant_kind_from_proto, grant_status_from_proto, grant_to_proto, money, purpose_from_proto,
    purpose_to_proto,
};
use crate::access;
use crate::domain::{self, Date, DonorKind, GrantStatus, Item, NewDonation, NewFund, NewGrant};
use crate::ops::{Ledger, ReportFilter};
use crate::storage;
use crate::storage::grants::GrantFilter;

/// The API over the ledger.
#[derive(Clone)]
pub struct FundsApi {
    ledger: Ledger,
}

type Answer<T> = Result<Response<T>, Status>;

impl FundsApi {
    /// The API over `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }

    /// A connection for admitting a call (see [`access`]).
    async fn conn(&self) -> Result<PoolConnection<Any>, Error> {
        Ok(self.ledger.db().pool().acquire().await?)
    }

    /// The funds a report for `caller` covers: every fund, or those inside its boundary.
    async fn report_funds(&self, caller: &Caller) -> Result<Option<HashSet<String>>, Error> {
        let mut conn = self.conn().await?;
        let Some(owners) = access::scope(&mut conn, caller).await? else {
            return Ok(None);
        };
        let funds = storage::funds::all(&mut conn).await?;
        Ok(Some(
            funds
                .into_iter()
                .filter(|fund| owners.contains(&fund.organisation_id))
                .map(|fund| fund.id)
                .collect(),
        ))
    }
}

fn report_filter(request: &pb::GetReportRequest) -> Result<ReportFilter, Error> {
    let mut v = Violations::default();
    let period = |value: &str, field: &str, v: &mut Violations| {
        if value.is_empty() {
            None
        } else {
            v.check(domain::parse_period(value, field))
        }
    };
    let filter = ReportFilter {
        from: period(&request.from_period, "from_period", &mut v),
        to: period(&request.to_period, "to_period", &mut v),
        funds: None,
    };
    v.finish()?;
    Ok(filter)
}

async fn report_to_proto(ledger: &Ledger, filter: &ReportFilter) -> Result<pb::Report, Error> {
    let report = ledger.report(filter).await?;
    Ok(pb::Report {
        rows: report
            .rows
            .into_iter()
            .map(|(row, purpose)| pb::ReportRow {
                period: row.period,
                fund_id: row.fund_id,
                purpose: purpose_to_proto(purpose) as i32,
                project_id: row.project_id,
                raised: Some(money(row.raised_fen)),
                disbursed: Some(money(row.disbursed_fen)),
                grants: row.grants,
            })
            .collect(),
        raised: Some(money(report.raised_fen)),
        disbursed: Some(money(report.disbursed_fen)),
        children_supported: report.children_supported,
        study_corners: report.study_corners,
        projects_funded: report.projects_funded,
    })
}

#[tonic::async_trait]
impl FundsService for FundsApi {
    async fn create_fund(&self, request: Request<pb::CreateFundRequest>) -> Answer<pb::Fund> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let request_id = v.check(validate::request_id(&r.request_id, "request_id"));
        let name = v.check(validate::single_line(&r.name, "name", 200));
        let purpose = v.check(required(
            purpose_from_proto(r.purpose, "purpose"),
            "purpose",
        ));
        let organisation_id = if r.organisation_id.is_empty() {
            Some(String::new())
        } else {
            v.check(validate::directory_id(
                &r.organisation_id,
                "organisation_id",
            ))
        };
        v.finish()?;
        let (Some(request_id), Some(name), Some(purpose), Some(organisation_id)) =
            (request_id, name, purpose, organisation_id)
        else {
            return Err(Error::invalid("", "invalid request").into());
        };
        access::create(&mut *self.conn().await?, &caller, &organisation_id).await?;
        let new = NewFund {
            name,
            purpose,
            organisation_id,
        };
        Ok(Response::new(fund_to_proto(
            self.ledger.create_fund(&request_id, &new).await?,
        )))
    }

    async fn get_fund(&self, request: Request<pb::GetFundRequest>) -> Answer<pb::Fund> {
        let caller = Caller::from_metadata(request.metadata());
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        access::fund(&mut *self.conn().await?, &caller, &id).await?;
        Ok(Response::new(fund_to_proto(self.ledger.fund(&id).await?)))
    }

    async fn list_funds(
        &self,
        request: Request<pb::ListFundsRequest>,
    ) -> Answer<pb::ListFundsResponse> {
        let caller = Caller::from_metadata(request.metadata());
        let page = paging::parse(request.get_ref().page.as_ref(), "funds", "page")?;
        let mut conn = self.conn().await?;
        let owners = access::scope(&mut conn, &caller).await?;
        let mut funds = storage::funds::list(
            &mut conn,
            owners.as_deref(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut funds, &page, "funds", |f| &f.id);
        Ok(Response::new(pb::ListFundsResponse {
            funds: funds.into_iter().map(fund_to_proto).collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn donate(&self, request: Request<pb::DonateRequest>) -> Answer<pb::Donation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let key = v.check(validate::request_id(&r.idempotency_key, "idempotency_key"));
        let fund_id = v.check(validate::uuid(&r.fund_id, "fund_id"));
        let donor_kind = v.check(required(
            donor_kind_from_proto(r.donor_kind, "donor_kind"),
            "donor_kind",
        ));
        let donor_name = match donor_kind {
            Some(DonorKind::Anonymous) if !r.donor_name.trim().is_empty() => {
                v.add("donor_name", "must be empty for an anonymous donation");
                None
            }
            Some(DonorKind::Anonymous) => Some(String::new()),
            _ => v.check(validate::single_line(&r.donor_name, "donor_name", 100)),
        };
        let amount = v.check(domain::parse_amount(r.amount_fen, "amount_fen"));
        let channel = v.check(required(
            channel_from_proto(r.channel, "channel"),
            "channel",
        ));
        let received_on = match &r.received_on {
            None => Some(None),
            Some(d) => v
                .check(
                    Date::new(d.year, d.month, d.day, "received_on").and_then(|date| {
                        if date > Date::today() {
                            Err(FieldViolation::new(
                                "received_on",
                                "must not be in the future",
                            ))
                        } else {
                            Ok(date)
                        }
                    }),
                )
                .map(Some),
        };
        v.finish()?;
        let (
            Some(key),
            Some(fund_id),
            Some(donor_kind),
            Some(donor_name),
            Some(amount_fen),
            Some(channel),
            Some(received_on),
        ) = (
            key,
            fund_id,
            donor_kind,
            donor_name,
            amount,
            channel,
            received_on,
        )
        else {
            return Err(Error::invalid("", "invalid request").into());
        };
        access::fund(&mut *self.conn().await?, &caller, &fund_id).await?;
        let new = NewDonation {
            key,
            fund_id,
            donor_kind,
            donor_name,
            amount_fen,
            channel,
            received_on,
        };
        Ok(Response::new(donation_to_proto(
            self.ledger.donate(new).await?,
        )))
    }

    async fn get_donation(&self, request: Request<pb::GetDonationRequest>) -> Answer<pb::Donation> {
        let caller = Caller::from_metadata(request.metadata());
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        access::donation(&mut *self.conn().await?, &caller, &id).await?;
        Ok(Response::new(donation_to_proto(
            self.ledger.donation(&id).await?,
        )))
    }

    async fn refund_donation(
        &self,
        request: Request<pb::RefundDonationRequest>,
    ) -> Answer<pb::Donation> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(validate::uuid(&r.id, "id"));
        let reason = v.check(validate::single_line(&r.reason, "reason", 500));
        v.finish()?;
        let (id, reason) = id
            .zip(reason)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        let owner = access::donation(&mut *self.conn().await?, &caller, &id).await?;
        // Money leaving a fund, as a payment does: the approver's act.
        caller.require(Role::GrantApprover, &owner, "refunding a donation")?;
        Ok(Response::new(donation_to_proto(
            self.ledger.refund(&id, &reason).await?,
        )))
    }

    async fn request_grant(&self, request: Request<pb::RequestGrantRequest>) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        // The requester is the caller (or, for a delegate, the person it names).
        let actor = caller.actor("requested_by", &request.get_ref().requested_by)?;
        let mut r = request.into_inner();
        r.requested_by = actor.id;
        let mut v = Violations::default();
        let request_id = v.check(validate::request_id(&r.request_id, "request_id"));
        let fund_id = v.check(validate::uuid(&r.fund_id, "fund_id"));
        let kind = v.check(required(grant_kind_from_proto(r.kind, "kind"), "kind"));
        let amount = v.check(domain::parse_amount(r.amount_fen, "amount_fen"));
        let requested_by = v.check(validate::single_line(&r.requested_by, "requested_by", 64));
        let beneficiary = match kind {
            Some(kind) if crate::ops::needs_beneficiary(kind) => v.check(validate::directory_id(
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
            Some(domain::GrantKind::Project) => v
                .check(validate::uuid(&r.project_id, "project_id"))
                .map(Some),
            _ if !r.project_id.is_empty() => {
                v.add("project_id", "is only for PROJECT grants");
                None
            }
            _ => Some(None),
        };
        let items = match kind {
            Some(domain::GrantKind::StudyCorner) if r.items.is_empty() || r.items.len() > 20 => {
                v.add("items", "must list 1 to 20 items for a study corner");
                None
            }
            Some(domain::GrantKind::StudyCorner) => Some(
                r.items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let name = v.check(validate::single_line(
                            &item.name,
                            &format!("items[{i}].name"),
                            100,
                        ));
                        if !(1..=1000).contains(&item.quantity) {
                            v.add(format!("items[{i}].quantity"), "must be 1 to 1000");
                        }
                        name.map(|name| Item {
                            name,
                            quantity: item.quantity,
                        })
                    })
                    .collect::<Vec<_>>(),
            ),
            _ if !r.items.is_empty() => {
                v.add("items", "are only for STUDY_CORNER grants");
                None
            }
            _ => Some(Vec::new()),
        };
        v.finish()?;
        let (
            Some(request_id),
            Some(fund_id),
            Some(kind),
            Some(amount_fen),
            Some(requested_by),
            Some(beneficiary_ref),
            Some(project_id),
            Some(items),
        ) = (
            request_id,
            fund_id,
            kind,
            amount,
            requested_by,
            beneficiary,
            project_id,
            items,
        )
        else {
            return Err(Error::invalid("", "invalid request").into());
        };
        let owner = access::fund(&mut *self.conn().await?, &caller, &fund_id).await?;
        caller.require(Role::GrantRequester, &owner, "requesting a grant")?;
        let new = NewGrant {
            request_id,
            fund_id,
            kind,
            beneficiary_ref,
            project_id,
            items,
            amount_fen,
            requested_by,
        };
        Ok(Response::new(grant_to_proto(
            self.ledger.request_grant(new).await?,
        )))
    }

    async fn get_grant(&self, request: Request<pb::GetGrantRequest>) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        access::grant(&mut *self.conn().await?, &caller, &id).await?;
        Ok(Response::new(grant_to_proto(self.ledger.grant(&id).await?)))
    }

    async fn list_grants(
        &self,
        request: Request<pb::ListGrantsRequest>,
    ) -> Answer<pb::ListGrantsResponse> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let fund_id = if r.fund_id.is_empty() {
            None
        } else {
            v.check(validate::uuid(&r.fund_id, "fund_id"))
        };
        let status: Option<GrantStatus> = v
            .check(grant_status_from_proto(r.status, "status"))
            .flatten();
        let project_id = if r.project_id.is_empty() {
            None
        } else {
            v.check(validate::uuid(&r.project_id, "project_id"))
        };
        v.finish()?;
        let filters = format!("{fund_id:?}/{status:?}/{project_id:?}");
        let page = paging::parse(r.page.as_ref(), &filters, "page")?;
        let mut conn = self.conn().await?;
        let owners = access::scope(&mut conn, &caller).await?;
        let filter = GrantFilter {
            fund_id: fund_id.as_deref(),
            status,
            project_id: project_id.as_deref(),
            owners: owners.as_deref(),
        };
        let mut grants = storage::grants::list(
            &mut conn,
            &filter,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut grants, &page, &filters, |g| &g.id);
        Ok(Response::new(pb::ListGrantsResponse {
            grants: grants.into_iter().map(grant_to_proto).collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn approve_grant(&self, request: Request<pb::ApproveGrantRequest>) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        // Four eyes are two persons: each approval is its approver's own call.
        let approver = caller.in_person("approver", &request.get_ref().approver)?;
        let r = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(validate::uuid(&r.id, "id"));
        let approver = v.check(validate::single_line(&approver, "approver", 64));
        v.finish()?;
        let (id, approver) = id
            .zip(approver)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        let owner = access::grant(&mut *self.conn().await?, &caller, &id).await?;
        caller.require(Role::GrantApprover, &owner, "approving a grant")?;
        Ok(Response::new(grant_to_proto(
            self.ledger.approve_grant(&id, &approver).await?,
        )))
    }

    async fn reject_grant(&self, request: Request<pb::RejectGrantRequest>) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        let reviewer = caller.in_person("reviewer", &request.get_ref().reviewer)?;
        let mut r = request.into_inner();
        r.reviewer = reviewer;
        let mut v = Violations::default();
        let id = v.check(validate::uuid(&r.id, "id"));
        v.check(validate::single_line(&r.reviewer, "reviewer", 64));
        let reason = v.check(validate::single_line(&r.reason, "reason", 500));
        v.finish()?;
        let (id, reason) = id
            .zip(reason)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        let owner = access::grant(&mut *self.conn().await?, &caller, &id).await?;
        caller.require(Role::GrantApprover, &owner, "rejecting a grant")?;
        let reason = format!("{}: {reason}", r.reviewer);
        Ok(Response::new(grant_to_proto(
            self.ledger
                .end_grant(&id, GrantStatus::Rejected, &reason)
                .await?,
        )))
    }

    async fn cancel_grant(&self, request: Request<pb::CancelGrantRequest>) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(validate::uuid(&r.id, "id"));
        let reason = v.check(validate::single_line(&r.reason, "reason", 500));
        v.finish()?;
        let (id, reason) = id
            .zip(reason)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        let owner = access::grant(&mut *self.conn().await?, &caller, &id).await?;
        if !caller.may(Role::GrantRequester, &owner) {
            caller.require(Role::GrantApprover, &owner, "cancelling a grant")?;
        }
        Ok(Response::new(grant_to_proto(
            self.ledger
                .end_grant(&id, GrantStatus::Cancelled, &reason)
                .await?,
        )))
    }

    async fn disburse_grant(
        &self,
        request: Request<pb::DisburseGrantRequest>,
    ) -> Answer<pb::Grant> {
        let caller = Caller::from_metadata(request.metadata());
        caller.principal()?;
        let id = validate::uuid(&request.get_ref().id, "id").map_err(Error::from)?;
        let owner = access::grant(&mut *self.conn().await?, &caller, &id).await?;
        caller.require(Role::GrantApprover, &owner, "paying a grant")?;
        Ok(Response::new(grant_to_proto(
            self.ledger.disburse_grant(&id).await?,
        )))
    }

    async fn close_period(&self, request: Request<pb::ClosePeriodRequest>) -> Answer<pb::Period> {
        let caller = Caller::from_metadata(request.metadata());
        access::programme_wide(&caller, "closing a period")?;
        if !caller.may(Role::ProgrammeAdmin, &[]) {
            caller.require(Role::GrantApprover, &[], "closing a period")?;
        }
        let period =
            domain::parse_period(&request.get_ref().period, "period").map_err(Error::from)?;
        let closed = self.ledger.close_period(&period).await?;
        Ok(Response::new(pb::Period {
            period,
            close_time: Some(to_timestamp(closed)),
        }))
    }

    async fn verify_ledger(
        &self,
        request: Request<pb::VerifyLedgerRequest>,
    ) -> Answer<pb::LedgerVerification> {
        access::programme_wide(
            &Caller::from_metadata(request.metadata()),
            "verifying the ledger",
        )?;
        let found = self.ledger.verify().await?;
        Ok(Response::new(pb::LedgerVerification {
            ok: found.first_break.is_none(),
            entries: found.entries,
            transactions: found.transactions,
            first_break: found.first_break.unwrap_or_default(),
            first_broken_entry: found.first_broken_entry.unwrap_or(0),
        }))
    }

    async fn get_balance(&self, request: Request<pb::GetBalanceRequest>) -> Answer<pb::Balance> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let fund_id = validate::uuid(&r.fund_id, "fund_id").map_err(Error::from)?;
        access::fund(&mut *self.conn().await?, &caller, &fund_id).await?;
        let at = validate::timestamp(r.at.as_ref(), "at")
            .map_err(Error::from)?
            .unwrap_or_else(now_micros);
        let balance = self.ledger.balance_at(&fund_id, at).await?;
        Ok(Response::new(pb::Balance {
            fund_id,
            at: Some(to_timestamp(at)),
            balance: Some(money(balance)),
        }))
    }

    async fn get_report(&self, request: Request<pb::GetReportRequest>) -> Answer<pb::Report> {
        let mut filter = report_filter(request.get_ref())?;
        filter.funds = self
            .report_funds(&Caller::from_metadata(request.metadata()))
            .await?;
        Ok(Response::new(report_to_proto(&self.ledger, &filter).await?))
    }

    async fn get_transparency_report(
        &self,
        _request: Request<pb::GetTransparencyReportRequest>,
    ) -> Answer<pb::TransparencyReport> {
        let report = self.ledger.report(&ReportFilter::default()).await?;
        Ok(Response::new(pb::TransparencyReport {
            donations: self.ledger.donations_kept().await?,
            raised: Some(money(report.raised_fen)),
            disbursed: Some(money(report.disbursed_fen)),
            balance: Some(money(self.ledger.total_balance().await?)),
            children_supported: report.children_supported,
            study_corners: report.study_corners,
            projects_funded: report.projects_funded,
            as_of: Some(to_timestamp(now_micros())),
        }))
    }

    async fn export_report(&self, request: Request<pb::GetReportRequest>) -> Answer<pb::CsvExport> {
        let mut filter = report_filter(request.get_ref())?;
        filter.funds = self
            .report_funds(&Caller::from_metadata(request.metadata()))
            .await?;
        let report = self.ledger.report(&filter).await?;
        Ok(Response::new(pb::CsvExport {
            data: crate::ops::to_csv(&report),
        }))
    }
}
