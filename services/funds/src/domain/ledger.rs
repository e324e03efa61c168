//! Double entry and the hash chain: every journal transaction has two or more entries
//! that sum to zero, and every entry's hash covers the previous entry's hash, so changing
//! any stored entry breaks the chain from there on.

use sha2::{Digest, Sha256};
use xingfu_platform::checked::RecordId;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The account of the money donors gave (the other side of every donation).
pub const DONORS: &str = "donors";
/// The account of the money paid to beneficiaries (the other side of every grant).
pub const BENEFICIARIES: &str = "beneficiaries";

/// The ledger account of fund `fund_id`.
pub fn fund_account(fund_id: &RecordId) -> String {
    format!("fund:{}", fund_id.as_str())
}

/// What a journal transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Money in.
    Donation,
    /// A donation returned.
    Refund,
    /// A grant paid.
    Disbursement,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Donation => "DONATION",
            Kind::Refund => "REFUND",
            Kind::Disbursement => "DISBURSEMENT",
        }
    }
}

/// One line of a journal transaction: an account and a signed amount in fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The account.
    pub account: String,
    /// Fen; positive into the account, negative out of it.
    pub amount_fen: i64,
}

/// The lines of moving `amount` from `from` to `to`.
pub fn transfer(from: &str, to: &str, amount: i64) -> Vec<Line> {
    vec![
        Line {
            account: from.to_owned(),
            amount_fen: -amount,
        },
        Line {
            account: to.to_owned(),
            amount_fen: amount,
        },
    ]
}

/// Whether `lines` form a valid transaction: two or more, summing to zero without overflow.
pub fn balanced(lines: &[Line]) -> bool {
    lines.len() >= 2
        && lines
            .iter()
            .try_fold(0i64, |sum, line| sum.checked_add(line.amount_fen))
            .is_some_and(|sum| sum == 0)
}

/// An entry as it is chained: the text hashed, which verification reads back as stored
/// (a header may be missing, a value changed), so it stays plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Its transaction.
    pub transaction_id: String,
    /// The transaction's kind (DONATION, REFUND, DISBURSEMENT).
    pub kind: String,
    /// The donation or grant the transaction records.
    pub reference_id: String,
    /// The transaction's booking date, YYYY-MM-DD.
    pub booked_on: String,
    /// The account.
    pub account: String,
    /// Signed fen.
    pub amount_fen: i64,
    /// Its period, `YYYY-MM`.
    pub period: String,
    /// When recorded, microseconds since the epoch.
    pub recorded_at: i64,
}

/// The hash of `entry` (its transaction's header included) following `prev_hash`.
pub fn chain_hash(prev_hash: &str, entry: &Entry) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev_hash,
        &entry.seq.to_string(),
        &entry.transaction_id,
        &entry.kind,
        &entry.reference_id,
        &entry.booked_on,
        &entry.account,
        &entry.amount_fen.to_string(),
        &entry.period,
        &entry.recorded_at.to_string(),
    ] {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    xingfu_platform::hex::encode(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_balance() {
        assert!(balanced(&transfer(DONORS, "fund:a", 500)));
        assert!(!balanced(&[Line {
            account: "a".into(),
            amount_fen: 0
        }]));
        let unbalanced = vec![
            Line {
                account: "a".into(),
                amount_fen: 5,
            },
            Line {
                account: "b".into(),
                amount_fen: -4,
            },
        ];
        assert!(!balanced(&unbalanced));
        let overflowing = vec![
            Line {
                account: "a".into(),
                amount_fen: i64::MAX,
            },
            Line {
                account: "b".into(),
                amount_fen: i64::MAX,
            },
            Line {
                account: "c".into(),
                amount_fen: 2,
            },
        ];
        assert!(!balanced(&overflowing));
    }

    #[test]
    fn every_field_of_an_entry_is_in_its_hash() {
        let entry = Entry {
            seq: 1,
            transaction_id: "t".into(),
            kind: "DONATION".into(),
            reference_id: "d".into(),
            booked_on: "2026-11-29".into(),
            account: "fund:a".into(),
            amount_fen: 100,
            period: "2026-11".into(),
            recorded_at: 5,
        };
        let hash = chain_hash(GENESIS, &entry);
        assert_eq!(hash.len(), 64);
        let changed = Entry {
            amount_fen: 101,
            ..entry.clone()
        };
        assert_ne!(chain_hash(GENESIS, &changed), hash);
        let moved = Entry {
            booked_on: "2026-10-01".into(),
            ..entry.clone()
        };
        assert_ne!(
            chain_hash(GENESIS, &moved),
            hash,
            "the transaction's header counts"
        );
        assert_ne!(chain_hash(&hash, &entry), hash, "the previous hash counts");
    }
}
