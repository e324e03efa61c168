//! `xingfu.funds.v1.FundsService`: requests parsed into the domain, admitted by
//! [`crate::access`], the ledger's operations, answers built from the domain; errors
//! mapped once by the platform. One module per area; this one only routes.
//!
//! Callers are admitted inside each handler, after its request is parsed, so a malformed
//! request is INVALID_ARGUMENT whoever sends it; each handler names its check.

mod donations;
mod funds;
mod grants;
mod ledger;
mod reports;

use tonic::{Request, Response, Status};
use xingfu_platform::trust::Caller;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_server::FundsService;

use crate::ops::Ledger;

/// The API over the ledger.
#[derive(Clone)]
pub struct FundsApi {
    ledger: Ledger,
}

impl FundsApi {
    /// The API over `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Routes each call to its area's handler, `handler(&Ledger, &Caller, request)`:
/// `method(Request) -> Response => handler;`.
macro_rules! routes {
    ($($method:ident($request:ty) -> $response:ty => $handler:path;)*) => {
        #[tonic::async_trait]
        impl FundsService for FundsApi {
            $(
                async fn $method(&self, request: Request<$request>) -> Answer<$response> {
                    let caller = Caller::from_metadata(request.metadata());
                    let answer = $handler(&self.ledger, &caller, request.into_inner());
                    Ok(Response::new(answer.await?))
                }
            )*
        }
    };
}

routes! {
    create_fund(pb::CreateFundRequest) -> pb::Fund => funds::create;
    get_fund(pb::GetFundRequest) -> pb::Fund => funds::get;
    list_funds(pb::ListFundsRequest) -> pb::ListFundsResponse => funds::list;
    donate(pb::DonateRequest) -> pb::Donation => donations::donate;
    get_donation(pb::GetDonationRequest) -> pb::Donation => donations::get;
    list_donations(pb::ListDonationsRequest) -> pb::ListDonationsResponse => donations::list;
    refund_donation(pb::RefundDonationRequest) -> pb::Donation => donations::refund;
    request_grant(pb::RequestGrantRequest) -> pb::Grant => grants::request;
    get_grant(pb::GetGrantRequest) -> pb::Grant => grants::get;
    list_grants(pb::ListGrantsRequest) -> pb::ListGrantsResponse => grants::list;
    approve_grant(pb::ApproveGrantRequest) -> pb::Grant => grants::approve;
    reject_grant(pb::RejectGrantRequest) -> pb::Grant => grants::reject;
    cancel_grant(pb::CancelGrantRequest) -> pb::Grant => grants::cancel;
    disburse_grant(pb::DisburseGrantRequest) -> pb::Grant => grants::disburse;
    close_period(pb::ClosePeriodRequest) -> pb::Period => ledger::close_period;
    verify_ledger(pb::VerifyLedgerRequest) -> pb::LedgerVerification => ledger::verify;
    get_balance(pb::GetBalanceRequest) -> pb::Balance => ledger::balance;
    get_report(pb::GetReportRequest) -> pb::Report => reports::get;
    get_transparency_report(pb::GetTransparencyReportRequest) -> pb::TransparencyReport
        => reports::transparency;
    export_report(pb::GetReportRequest) -> pb::CsvExport => reports::export;
}
