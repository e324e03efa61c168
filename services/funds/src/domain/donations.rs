//! Donations (捐赠): who gave, how, and how the donor may be shown.

use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::named_enum;

use super::{Date, Reason};

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

/// A validated donation.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDonation {
    /// Idempotency key.
    pub key: RequestId,
    /// The fund.
    pub fund_id: RecordId,
    /// Who gave.
    pub donor_kind: DonorKind,
    /// The donor's name (empty when anonymous; personal data for a person).
    pub donor_name: String,
    /// Amount, fen (`DonateRequest.amount_fen` in the proto bounds it: a hundred million
    /// yuan at most, so sums of many stay far from i64's end).
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
            self.fund_id.to_string(),
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
    pub id: RecordId,
    /// Receipt number.
    pub receipt_number: String,
    /// The fund.
    pub fund_id: RecordId,
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
    pub refund_reason: Option<Reason>,
    /// Recorded, microseconds since the epoch.
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn donors_are_shown_as_they_may_be() {
        let mut d = NewDonation {
            key: RequestId::parse("k", "key").unwrap(),
            fund_id: RecordId::generate(),
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

/// Which donations a list shows.
#[derive(Debug, Default)]
pub struct DonationFilter<'a> {
    /// Only this fund's.
    pub fund_id: Option<&'a RecordId>,
    /// Only received in this month (`YYYY-MM`) or later.
    pub from_period: Option<&'a str>,
    /// Only received in this month (`YYYY-MM`) or earlier.
    pub to_period: Option<&'a str>,
    /// Only from this kind of donor.
    pub donor_kind: Option<DonorKind>,
    /// Only come in this way.
    pub channel: Option<DonationChannel>,
    /// Only to funds owned by one of these organisations (a caller's boundary).
    pub owners: Option<&'a [String]>,
}
