//! `xingfu.funds.v1.FundsService`: its calls arrive with the ledger.

use xingfu_proto::funds::funds_service_server::FundsService;

/// The API (no calls yet).
#[derive(Clone, Copy, Debug)]
pub struct FundsApi;

impl FundsService for FundsApi {}
