//! The charity ledger's model and rules: no SQL, no gRPC.

pub mod ledger;

use xingfu_platform::named_enum;
use xingfu_platform::{FieldViolation, validate};

pub use xingfu_platform::date::Date;

/// Largest single amount, fen (a hundred million yuan): sums of many stay far from i64's end.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000_000;

named_enum! {
    /// What a fund's money may be spent on.
    Purpose {
        /// Anything the programme funds.
        General = "GENERAL",
        /// Children in hardship only.
        ChildSupport = "CHILD_SUPPORT",
        /// "Warm Little Study" renovations only.
        StudyCorner = "STUDY_CORNER",
        /// Projects only.
        Project = "PROJECT",
    }
}

named_enum! {
    /// Who gave.
    DonorKind {
        /// A person.
        Person = "PERSON",
        /// A company or organisation.
        Company = "COMPANY",
        /// Anonymous.
        Anonymous = "ANONYMOUS",
    }
}

named_enum! {
    /// How money came in.
    DonationChannel {
        /// Bank transfer.
        BankTransfer = "BANK_TRANSFER",
        /// WeChat Pay.
        WechatPay = "WECHAT_PAY",
        /// Alipay.
        Alipay = "ALIPAY",
        /// Cash.
        Cash = "CASH",
    }
}

named_enum! {
    /// What a grant is for.
    GrantKind {
        /// Support to a child in hardship.
        ChildSupport = "CHILD_SUPPORT",
        /// A study-corner renovation.
        StudyCorner = "STUDY_CORNER",
        /// Money to a project.
        Project = "PROJECT",
    }
}

named_enum! {
    /// Where a grant stands.
    GrantStatus {
        /// Waiting for approval.
        Requested = "REQUESTED",
        /// Approved, waiting to be paid.
        Approved = "APPROVED",
        /// Paid.
        Disbursed = "DISBURSED",
        /// Rejected.
        Rejected = "REJECTED",
        /// Cancelled.
        Cancelled = "CANCELLED",
    }
}

impl GrantKind {
    /// Whether a grant of this kind names a beneficiary (child support and study corners
    /// do).
    pub fn needs_beneficiary(self) -> bool {
        matches!(self, GrantKind::ChildSupport | GrantKind::StudyCorner)
    }
}

impl Purpose {
    /// Whether money of this purpose may pay a grant of `kind`.
    pub fn allows(self, kind: GrantKind) -> bool {
        matches!(
            (self, kind),
            (Purpose::General, _)
                | (Purpose::ChildSupport, GrantKind::ChildSupport)
                | (Purpose::StudyCorner, GrantKind::StudyCorner)
                | (Purpose::Project, GrantKind::Project)
        )
    }
}

/// A fund: a pool of charity money, an account of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    /// Id (UUIDv7).
    pub id: String,
    /// Name.
    pub name: String,
    /// What its money may be spent on.
    pub purpose: Purpose,
    /// Money held, fen.
    pub balance_fen: i64,
    /// Money received less refunds, fen.
    pub raised_fen: i64,
    /// Money paid out, fen.
    pub disbursed_fen: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
    /// Owning organisation; empty for the programme office's own fund.
    pub organisation_id: String,
}

/// A validated fund to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFund {
    /// Name.
    pub name: String,
    /// What its money may be spent on.
    pub purpose: Purpose,
    /// Owning organisation; empty for the programme office's own fund.
    pub organisation_id: String,
}

/// A validated donation.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDonation {
    /// Idempotency key.
    pub key: String,
    /// The fund.
    pub fund_id: String,
    /// Who gave.
    pub donor_kind: DonorKind,
    /// The donor's name (empty when anonymous; personal data for a person).
    pub donor_name: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// How it came in.
    pub channel: DonationChannel,
    /// The day received, as the caller gave it (today when absent).
    pub received_on: Option<Date>,
}

impl std::fmt::Debug for NewDonation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDonation")
            .field("fund_id", &self.fund_id)
            .field("donor_kind", &self.donor_kind)
            .field("amount_fen", &self.amount_fen)
            .finish_non_exhaustive()
    }
}

impl NewDonation {
    /// The day it is booked on: the day received, or today.
    pub fn booked_on(&self) -> Date {
        self.received_on.unwrap_or_else(Date::today)
    }

    /// Everything asked, as asked (so a retry after midnight still matches), the donor's
    /// name included: to be hashed with a key only.
    pub fn fingerprint_parts(&self) -> [String; 6] {
        [
            self.fund_id.clone(),
            self.donor_kind.as_str().to_owned(),
            self.donor_name.clone(),
            self.amount_fen.to_string(),
            self.channel.as_str().to_owned(),
            self.received_on.map(|d| d.to_string()).unwrap_or_default(),
        ]
    }

    /// How the donor may be shown: a company in full, a person masked, nobody anonymous.
    pub fn donor_display(&self) -> String {
        match self.donor_kind {
            DonorKind::Company => self.donor_name.clone(),
            DonorKind::Person => xingfu_platform::pii::mask_name(&self.donor_name),
            DonorKind::Anonymous => String::new(),
        }
    }
}

/// A recorded donation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    /// Id.
    pub id: String,
    /// Receipt number.
    pub receipt_number: String,
    /// The fund.
    pub fund_id: String,
    /// Who gave.
    pub donor_kind: DonorKind,
    /// How the donor is shown.
    pub donor_display: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// How it came in.
    pub channel: DonationChannel,
    /// The day received.
    pub received_on: Date,
    /// Refunded.
    pub refunded: bool,
    /// Why refunded.
    pub refund_reason: Option<String>,
    /// Recorded, microseconds since the epoch.
    pub created_at: i64,
}

/// An item of a study-corner renovation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What.
    pub name: String,
    /// How many.
    pub quantity: i32,
}

/// A validated grant request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    /// Idempotency key.
    pub request_id: String,
    /// The fund to pay it.
    pub fund_id: String,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference (empty for project grants).
    pub beneficiary_ref: String,
    /// The project, for project grants.
    pub project_id: Option<String>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Who requests it.
    pub requested_by: String,
}

impl NewGrant {
    /// A digest of everything asked.
    pub fn fingerprint(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| format!("{}x{}", i.quantity, i.name))
            .collect();
        let amount = self.amount_fen.to_string();
        let items = items.join(",");
        validate::fingerprint([
            self.fund_id.as_str(),
            self.kind.as_str(),
            self.beneficiary_ref.as_str(),
            self.project_id.as_deref().unwrap_or(""),
            items.as_str(),
            amount.as_str(),
            self.requested_by.as_str(),
        ])
    }
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Id.
    pub id: String,
    /// The fund paying it.
    pub fund_id: String,
    /// What it is for.
    pub kind: GrantKind,
    /// The beneficiary's reference.
    pub beneficiary_ref: String,
    /// The project.
    pub project_id: Option<String>,
    /// The renovation's items.
    pub items: Vec<Item>,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub status: GrantStatus,
    /// Who requested it.
    pub requested_by: String,
    /// Who approved it, in order.
    pub approved_by: Vec<String>,
    /// Approvals needed.
    pub approvals_required: i32,
    /// Why rejected or cancelled.
    pub reason: Option<String>,
    /// Requested, microseconds since the epoch.
    pub created_at: i64,
    /// Paid, microseconds since the epoch.
    pub disbursed_at: Option<i64>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// Which grants a list shows.
#[derive(Debug, Default)]
pub struct GrantFilter<'a> {
    /// Only this fund's.
    pub fund_id: Option<&'a str>,
    /// Only in this status.
    pub status: Option<GrantStatus>,
    /// Only for this project.
    pub project_id: Option<&'a str>,
    /// Only of funds owned by one of these organisations (a caller's boundary).
    pub owners: Option<&'a [String]>,
}

/// A project the funds service has learnt of from the projects service's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProject {
    /// The project id.
    pub project_id: String,
    /// Its title.
    pub title: String,
    /// Its category (the `xingfu.projects.v1.Category` number).
    pub category: i32,
    /// The community it serves.
    pub community_id: String,
    /// When it was created, microseconds since the epoch.
    pub created_at: i64,
}

/// Checks an amount: 1 to [`MAX_AMOUNT_FEN`] fen.
pub fn parse_amount(value: i64, field: &str) -> Result<i64, FieldViolation> {
    if (1..=MAX_AMOUNT_FEN).contains(&value) {
        Ok(value)
    } else {
        Err(FieldViolation::new(
            field,
            format!("must be 1 to {MAX_AMOUNT_FEN} fen"),
        ))
    }
}

/// Checks an accounting period, `YYYY-MM`.
pub fn parse_period(value: &str, field: &str) -> Result<String, FieldViolation> {
    let ok = value.len() == 7
        && value.as_bytes()[4] == b'-'
        && Date::parse(&format!("{value}-01")).is_some();
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldViolation::new(field, "must be a month, YYYY-MM"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_funds_pay_only_their_purpose() {
        assert!(Purpose::General.allows(GrantKind::Project));
        assert!(Purpose::StudyCorner.allows(GrantKind::StudyCorner));
        assert!(!Purpose::StudyCorner.allows(GrantKind::ChildSupport));
        assert!(!Purpose::ChildSupport.allows(GrantKind::Project));
    }

    #[test]
    fn amounts_and_periods_are_checked() {
        assert!(parse_amount(0, "a").is_err());
        assert!(parse_amount(-5, "a").is_err());
        assert!(parse_amount(31_200_000, "a").is_ok());
        assert!(parse_amount(MAX_AMOUNT_FEN + 1, "a").is_err());
        assert!(parse_period("2026-10", "p").is_ok());
        for bad in ["2026-13", "2026-1", "202610", "abcd-ef"] {
            assert!(parse_period(bad, "p").is_err(), "{bad}");
        }
    }

    #[test]
    fn donors_are_shown_as_they_may_be() {
        let mut d = NewDonation {
            key: "k".into(),
            fund_id: "f".into(),
            donor_kind: DonorKind::Person,
            donor_name: "李大海".into(),
            amount_fen: 100,
            channel: DonationChannel::Cash,
            received_on: None,
        };
        assert_eq!(d.donor_display(), "李**");
        assert!(!format!("{d:?}").contains("李大海"));
        d.donor_kind = DonorKind::Company;
        d.donor_name = "洞头渔业有限公司".into();
        assert_eq!(d.donor_display(), "洞头渔业有限公司");
    }
}
