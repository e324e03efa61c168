//! What the ledger publishes, built from the domain records the operations hold, so no
//! operation reaches into the API's conversions.

use xingfu_proto::funds as pb;

use crate::domain::{ActorId, Donation, Fund, Grant, GrantStatus};
use crate::wire::{
    channel_to_proto, donor_kind_to_proto, grant_kind_to_proto, grant_status_to_proto,
    purpose_to_proto,
};

impl From<&Fund> for pb::FundCreated {
    fn from(fund: &Fund) -> Self {
        Self {
            fund_id: fund.id.to_string(),
            name: fund.name.to_string(),
            purpose: purpose_to_proto(fund.purpose) as i32,
            organisation_id: fund
                .organisation_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }
}

impl From<&Donation> for pb::DonationReceived {
    fn from(donation: &Donation) -> Self {
        Self {
            donation_id: donation.id.to_string(),
            fund_id: donation.fund_id.to_string(),
            amount_fen: donation.amount_fen,
            receipt_number: donation.receipt_number.clone(),
            donor_kind: donor_kind_to_proto(donation.donor_kind) as i32,
            channel: channel_to_proto(donation.channel) as i32,
            received_on: donation.received_on.to_string(),
        }
    }
}

impl From<&Donation> for pb::RefundIssued {
    fn from(donation: &Donation) -> Self {
        Self {
            donation_id: donation.id.to_string(),
            fund_id: donation.fund_id.to_string(),
            amount_fen: donation.amount_fen,
        }
    }
}

impl From<&Grant> for pb::GrantRequested {
    fn from(grant: &Grant) -> Self {
        Self {
            grant_id: grant.id.to_string(),
            fund_id: grant.fund_id.to_string(),
            kind: grant_kind_to_proto(grant.kind) as i32,
            project_id: grant
                .project_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            amount_fen: grant.amount_fen,
        }
    }
}

/// `approver`'s approval of `grant` (as it stands after it).
pub(super) fn grant_approved(grant: &Grant, approver: &ActorId) -> pb::GrantApproved {
    pb::GrantApproved {
        grant_id: grant.id.to_string(),
        approver: approver.to_string(),
        fully_approved: grant.status == GrantStatus::Approved,
    }
}

/// A grant rejected or cancelled.
impl From<&Grant> for pb::GrantRejected {
    fn from(grant: &Grant) -> Self {
        Self {
            grant_id: grant.id.to_string(),
            status: grant_status_to_proto(grant.status) as i32,
            // The reason is free text and may name people: it stays in the service.
            reason: String::new(),
        }
    }
}

impl From<&Grant> for pb::GrantDisbursed {
    fn from(grant: &Grant) -> Self {
        Self {
            grant_id: grant.id.to_string(),
            fund_id: grant.fund_id.to_string(),
            project_id: grant
                .project_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            amount_fen: grant.amount_fen,
            kind: grant_kind_to_proto(grant.kind) as i32,
        }
    }
}
