//! Workers (务工群众) and what a workshop does for their income: the monthly income before
//! joining, income after, and the uplift between.

use xingfu_platform::checked::{Note, RecordId, RequestId};
use xingfu_platform::date::Date;
use xingfu_platform::named_enum;

named_enum! {
    /// Where income came from.
    IncomeSource {
        /// Wages (工资).
        Wages = "WAGES",
        /// Piecework pay for delivered tasks (计件).
        Piecework = "PIECEWORK",
        /// Dividends or profit shares (分红).
        Dividend = "DIVIDEND",
        /// Anything else.
        Other = "OTHER",
    }
}

/// A worker as enrolled, personal data in clear (it is sealed before it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorker {
    /// The idempotency key.
    pub request_id: RequestId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// Name.
    pub name: String,
    /// Phone, normalised.
    pub phone: String,
    /// ID number, normalised.
    pub id_number: String,
    /// What they did before.
    pub background: Note<100>,
    /// Monthly income before joining, fen (bounded by
    /// `EnrolWorkerRequest.baseline_monthly_income_fen` in the proto: a million yuan).
    pub baseline_fen: i64,
    /// The day they joined.
    pub joined_on: Date,
}

/// A stored worker as shown: personal data masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Server-assigned id.
    pub id: RecordId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// Name, masked.
    pub name_masked: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// Year of birth.
    pub birth_year: i64,
    /// What they did before.
    pub background: Note<100>,
    /// Monthly income before joining, fen.
    pub baseline_fen: i64,
    /// The day they joined.
    pub joined_on: Date,
    /// Enrolled, microseconds since the epoch.
    pub created_at: i64,
}

/// Income as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncome {
    /// The idempotency key.
    pub request_id: RequestId,
    /// The worker.
    pub worker_id: RecordId,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Amount, fen (bounded by `RecordIncomeRequest.amount_fen` in the proto: a million
    /// yuan).
    pub amount_fen: i64,
    /// Where it came from.
    pub source: IncomeSource,
}

impl NewIncome {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.worker_id.as_str(),
            self.month.as_str(),
            &self.amount_fen.to_string(),
            self.source.as_str(),
        ])
    }
}

/// A stored income record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Income {
    /// Server-assigned id.
    pub id: RecordId,
    /// The worker.
    pub worker_id: RecordId,
    /// The month.
    pub month: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Where it came from.
    pub source: IncomeSource,
    /// Recorded, microseconds since the epoch.
    pub created_at: i64,
}

/// A worker's income over some months against their income before joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplift {
    /// (month, income) of the months with income, in order.
    pub months: Vec<(String, i64)>,
    /// Monthly income before joining.
    pub baseline_fen: i64,
}

impl Uplift {
    /// Income over the months.
    pub fn total(&self) -> i64 {
        self.months.iter().map(|(_, fen)| fen).sum()
    }

    /// The mean uplift of the months with income, rounded down to the fen; `None`
    /// without any.
    pub fn average_monthly(&self) -> Option<i64> {
        let n = i64::try_from(self.months.len()).ok().filter(|n| *n > 0)?;
        Some((self.total() - self.baseline_fen * n).div_euclid(n))
    }
}

/// The mean of some values, rounded down; 0 for none.
pub fn mean_floor(values: &[i64]) -> i64 {
    match i64::try_from(values.len()) {
        Ok(n) if n > 0 => values.iter().sum::<i64>().div_euclid(n),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uplift_is_income_over_the_baseline_in_whole_fen() {
        let uplift = Uplift {
            months: vec![("2026-01".into(), 500_000), ("2026-02".into(), 400_001)],
            baseline_fen: 200_000,
        };
        assert_eq!(uplift.total(), 900_001);
        assert_eq!(uplift.average_monthly(), Some(250_000));
        let none = Uplift {
            months: Vec::new(),
            baseline_fen: 1,
        };
        assert_eq!(none.average_monthly(), None);
        let less = Uplift {
            months: vec![("2026-01".into(), 100)],
            baseline_fen: 201,
        };
        assert_eq!(less.average_monthly(), Some(-101));
        assert_eq!(mean_floor(&[3, 4]), 3);
        assert_eq!(mean_floor(&[]), 0);
    }
}
