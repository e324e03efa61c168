//! Donations: received, read and refunded.

use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::paging;
use xingfu_platform::principal::Role;
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, FieldViolation, Violations, validate};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::funds as pb;

use crate::access::{Check, Record};
use crate::domain::{self, Date, Donation, DonationFilter, DonorKind, NewDonation, Reason};
use crate::ops::Ledger;
use crate::wire::{
    channel_from_proto, channel_to_proto, donor_kind_from_proto, donor_kind_to_proto,
};

/// Donate: into any fund the caller sees.
pub(super) async fn donate(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::DonateRequest,
) -> Result<pb::Donation, Error> {
    let new = parse_new(&r)?;
    ledger
        .admit(caller, Check::see(Record::Fund(&new.fund_id)))
        .await?;
    Ok(donation_to_proto(ledger.donate(new).await?))
}

/// GetDonation.
pub(super) async fn get(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetDonationRequest,
) -> Result<pb::Donation, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    ledger
        .admit(caller, Check::see(Record::Donation(&id)))
        .await?;
    Ok(donation_to_proto(ledger.donation(&id).await?))
}

/// ListDonations: of the funds the caller sees.
pub(super) async fn list(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::ListDonationsRequest,
) -> Result<pb::ListDonationsResponse, Error> {
    let mut v = Violations::default();
    let fund_id = match r.fund_id.as_str() {
        "" => None,
        id => v.check(RecordId::parse(id, "fund_id")),
    };
    let mut period = |value: &str, field: &str| match value {
        "" => None,
        month => v.check(domain::parse_period(month, field)),
    };
    let from_period = period(&r.from_period, "from_period");
    let to_period = period(&r.to_period, "to_period");
    let donor_kind = v
        .check(donor_kind_from_proto(r.donor_kind, "donor_kind"))
        .flatten();
    let channel = v.check(channel_from_proto(r.channel, "channel")).flatten();
    if let (Some(from), Some(to)) = (&from_period, &to_period)
        && from > to
    {
        v.add("to_period", "must not be before from_period");
    }
    v.finish()?;
    let filters = format!(
        "{:?}/{from_period:?}/{to_period:?}/{donor_kind:?}/{channel:?}",
        fund_id.as_ref().map(RecordId::as_str)
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let owners = ledger.owners_seen_by(caller).await?;
    let filter = DonationFilter {
        fund_id: fund_id.as_ref(),
        from_period: from_period.as_deref(),
        to_period: to_period.as_deref(),
        donor_kind,
        channel,
        owners: owners.as_deref(),
    };
    let mut donations = ledger
        .donations(&filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut donations, &page, &filters, |d| d.id.as_str());
    Ok(pb::ListDonationsResponse {
        donations: donations.into_iter().map(donation_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// RefundDonation: money leaving a fund, as a payment does, is the approver's act.
pub(super) async fn refund(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::RefundDonationRequest,
) -> Result<pb::Donation, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    let check = Check::role(
        Record::Donation(&id),
        Role::GrantApprover,
        "refunding a donation",
    );
    ledger.admit(caller, check).await?;
    Ok(donation_to_proto(ledger.refund(&id, &reason).await?))
}

/// The donation a Donate asks to record.
fn parse_new(r: &pb::DonateRequest) -> Result<NewDonation, Error> {
    let mut v = Violations::default();
    let key = v.check(RequestId::parse(&r.idempotency_key, "idempotency_key"));
    let fund_id = v.check(RecordId::parse(&r.fund_id, "fund_id"));
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
    let channel = v.check(required(
        channel_from_proto(r.channel, "channel"),
        "channel",
    ));
    // Absent: received today.
    let received_on = match &r.received_on {
        None => Some(None),
        Some(d) => v.check(received(d)).map(Some),
    };
    let (key, fund_id, donor_kind, donor_name, channel, received_on) =
        v.finish_with((key, fund_id, donor_kind, donor_name, channel, received_on))?;
    Ok(NewDonation {
        key,
        fund_id,
        donor_kind,
        donor_name,
        amount_fen: r.amount_fen,
        channel,
        received_on,
    })
}

/// The day money was received: a real date, not in the future.
fn received(d: &xingfu_proto::common::Date) -> Result<Date, FieldViolation> {
    let date = Date::new(d.year, d.month, d.day, "received_on")?;
    if date > Date::today() {
        Err(FieldViolation::new(
            "received_on",
            "must not be in the future",
        ))
    } else {
        Ok(date)
    }
}

/// A donation as the API shows it (a person's name masked).
fn donation_to_proto(donation: Donation) -> pb::Donation {
    pb::Donation {
        id: donation.id.into_string(),
        receipt_number: donation.receipt_number,
        fund_id: donation.fund_id.into_string(),
        donor_kind: donor_kind_to_proto(donation.donor_kind) as i32,
        donor_display: donation.donor_display,
        amount: Some(Money::cny(donation.amount_fen)),
        channel: channel_to_proto(donation.channel) as i32,
        received_on: Some(donation.received_on.into()),
        refunded: donation.refunded,
        refund_reason: donation.refund_reason.map(String::from).unwrap_or_default(),
        create_time: Some(to_timestamp(donation.created_at)),
    }
}
