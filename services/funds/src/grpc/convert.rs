//! Between the domain and `xingfu.funds.v1`.

use xingfu_platform::time::to_timestamp;
use xingfu_proto::common::{Date as PbDate, Money};
use xingfu_proto::funds as pb;

use crate::domain::{Date, Donation, Fund, Grant};
pub use crate::enums::*;

/// Fen as `Money` (CNY).
pub fn money(fen: i64) -> Money {
    Money::cny(fen)
}

fn date(date: Date) -> PbDate {
    date.into()
}

/// A fund as the API shows it.
pub fn fund_to_proto(fund: Fund) -> pb::Fund {
    pb::Fund {
        id: fund.id,
        name: fund.name,
        purpose: purpose_to_proto(fund.purpose) as i32,
        balance: Some(money(fund.balance_fen)),
        raised: Some(money(fund.raised_fen)),
        disbursed: Some(money(fund.disbursed_fen)),
        create_time: Some(to_timestamp(fund.created_at)),
        organisation_id: fund.organisation_id,
    }
}

/// A donation as the API shows it (a person's name masked).
pub fn donation_to_proto(donation: Donation) -> pb::Donation {
    pb::Donation {
        id: donation.id,
        receipt_number: donation.receipt_number,
        fund_id: donation.fund_id,
        donor_kind: donor_kind_to_proto(donation.donor_kind) as i32,
        donor_display: donation.donor_display,
        amount: Some(money(donation.amount_fen)),
        channel: channel_to_proto(donation.channel) as i32,
        received_on: Some(date(donation.received_on)),
        refunded: donation.refunded,
        refund_reason: donation.refund_reason.unwrap_or_default(),
        create_time: Some(to_timestamp(donation.created_at)),
    }
}

/// A grant as the API shows it.
pub fn grant_to_proto(grant: Grant) -> pb::Grant {
    pb::Grant {
        id: grant.id,
        fund_id: grant.fund_id,
        kind: grant_kind_to_proto(grant.kind) as i32,
        beneficiary_ref: grant.beneficiary_ref,
        project_id: grant.project_id.unwrap_or_default(),
        items: grant
            .items
            .into_iter()
            .map(|i| pb::StudyCornerItem {
                name: i.name,
                quantity: i.quantity,
            })
            .collect(),
        amount: Some(money(grant.amount_fen)),
        status: grant_status_to_proto(grant.status) as i32,
        requested_by: grant.requested_by,
        approved_by: grant.approved_by,
        approvals_required: grant.approvals_required,
        reason: grant.reason.unwrap_or_default(),
        create_time: Some(to_timestamp(grant.created_at)),
        disburse_time: grant.disbursed_at.map(to_timestamp),
    }
}
