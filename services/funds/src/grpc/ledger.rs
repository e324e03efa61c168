//! The journal: closing periods, verifying the chain, balances as of a moment.

use xingfu_platform::checked::RecordId;
use xingfu_platform::principal::Role;
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, validate};
use xingfu_proto::common::Money;
use xingfu_proto::funds as pb;

use crate::access::{Check, Record};
use crate::domain;
use crate::ops::Ledger;

/// ClosePeriod: a programme-wide act of a programme admin or a grant approver.
pub(super) async fn close_period(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::ClosePeriodRequest,
) -> Result<pb::Period, Error> {
    let check = Check::either(
        Record::Ledger("closing a period"),
        Role::ProgrammeAdmin,
        Role::GrantApprover,
        "closing a period",
    );
    ledger.admit(caller, check).await?;
    let period = domain::parse_period(&r.period, "period")?;
    let closed = ledger.close_period(&period).await?;
    Ok(pb::Period {
        period,
        close_time: Some(to_timestamp(closed)),
    })
}

/// VerifyLedger: programme-wide.
pub(super) async fn verify(
    ledger: &Ledger,
    caller: &Caller,
    _: pb::VerifyLedgerRequest,
) -> Result<pb::LedgerVerification, Error> {
    let check = Check::see(Record::Ledger("verifying the ledger"));
    ledger.admit(caller, check).await?;
    let found = ledger.verify().await?;
    Ok(pb::LedgerVerification {
        ok: found.first_break.is_none(),
        entries: found.entries,
        transactions: found.transactions,
        first_break: found.first_break.unwrap_or_default(),
        first_broken_entry: found.first_broken_entry.unwrap_or(0),
    })
}

/// GetBalance: a fund's balance now, or as of `at`.
pub(super) async fn balance(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetBalanceRequest,
) -> Result<pb::Balance, Error> {
    let fund_id = RecordId::parse(&r.fund_id, "fund_id")?;
    ledger
        .admit(caller, Check::see(Record::Fund(&fund_id)))
        .await?;
    let at = validate::timestamp(r.at.as_ref(), "at")?.unwrap_or_else(now_micros);
    let balance = ledger.balance_at(&fund_id, at).await?;
    Ok(pb::Balance {
        fund_id: fund_id.into_string(),
        at: Some(to_timestamp(at)),
        balance: Some(Money::cny(balance)),
    })
}
