//! Two-place evaluation (两地双评议): each quarter a volunteer is rated by the work side
//! and the home side, and the two combine into a grade. No SQL, no gRPC.

use xingfu_platform::checked::{Note, RecordId, RequestId};
use xingfu_platform::{FieldViolation, named_enum};

/// A rating's comment: up to 500 characters, possibly empty.
pub type Comment = Note<500>;

named_enum! {
    /// Which side rates.
    Side {
        /// The work side (单位).
        Work = "WORK",
        /// The home side (居住地).
        Home = "HOME",
    }
}

named_enum! {
    /// The grade of a combined evaluation.
    Grade {
        /// 优秀: 4.5 or more.
        Excellent = "EXCELLENT",
        /// 良好: 3.5 or more.
        Good = "GOOD",
        /// 合格: 2.5 or more.
        Pass = "PASS",
        /// 不合格: below 2.5.
        Fail = "FAIL",
    }
}

/// Checks a period: a quarter, `YYYY-Qn`, of the years 2000 to 2999.
pub fn parse_period(value: &str, field: &str) -> Result<String, FieldViolation> {
    let quarter = value.split_once("-Q").and_then(|(year, q)| {
        let year_ok = year.len() == 4 && year.starts_with('2') && year.parse::<u16>().is_ok();
        let q_ok = matches!(q, "1" | "2" | "3" | "4");
        (year_ok && q_ok).then_some(())
    });
    quarter
        .map(|()| value.to_owned())
        .ok_or_else(|| FieldViolation::new(field, "must be a quarter such as 2026-Q3"))
}

/// A rating as its evaluator asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvaluation {
    /// The evaluator's idempotency key.
    pub request_id: RequestId,
    /// The volunteer rated.
    pub volunteer_id: RecordId,
    /// The quarter.
    pub period: String,
    /// Work or home.
    pub side: Side,
    /// 1 to 5.
    pub score: i64,
    /// Comment, possibly empty.
    pub comment: Comment,
    /// Who rated, a principal id.
    pub evaluator: String,
}

impl NewEvaluation {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.volunteer_id.as_str(),
            self.period.as_str(),
            self.side.as_str(),
            &self.score.to_string(),
            self.comment.as_str(),
            self.evaluator.as_str(),
        ])
    }
}

/// A stored rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The volunteer rated.
    pub volunteer_id: RecordId,
    /// The quarter.
    pub period: String,
    /// Work or home.
    pub side: Side,
    /// 1 to 5.
    pub score: i64,
    /// Comment.
    pub comment: Comment,
    /// Who rated, a principal id.
    pub evaluator: String,
    /// Recorded, microseconds since the epoch.
    pub created_at: i64,
}

/// A volunteer's two ratings for one period, and what they come to.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationResult {
    /// The volunteer.
    pub volunteer_id: RecordId,
    /// The quarter.
    pub period: String,
    /// The work side's rating.
    pub work: Option<Evaluation>,
    /// The home side's rating.
    pub home: Option<Evaluation>,
}

impl EvaluationResult {
    /// The two ratings of `period` among `ratings` (of one volunteer).
    pub fn of(volunteer_id: &RecordId, period: &str, ratings: Vec<Evaluation>) -> Self {
        let mut result = Self {
            volunteer_id: volunteer_id.clone(),
            period: period.to_owned(),
            work: None,
            home: None,
        };
        for rating in ratings.into_iter().filter(|r| r.period == period) {
            match rating.side {
                Side::Work => result.work = Some(rating),
                Side::Home => result.home = Some(rating),
            }
        }
        result
    }

    /// The mean of the two scores and its grade, once both sides have rated.
    pub fn combined(&self) -> Option<(f64, Grade)> {
        let (work, home) = (self.work.as_ref()?, self.home.as_ref()?);
        // Twice the mean is a whole number: compare it exactly, never as a float.
        let twice = work.score + home.score;
        let grade = match twice {
            9.. => Grade::Excellent,
            7..=8 => Grade::Good,
            5..=6 => Grade::Pass,
            _ => Grade::Fail,
        };
        Some((twice as f64 / 2.0, grade))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volunteer() -> RecordId {
        RecordId::parse("0192f0c1-7a1b-7c3d-8e4f-123456789abc", "volunteer_id").unwrap()
    }

    fn rating(side: Side, score: i64) -> Evaluation {
        Evaluation {
            volunteer_id: volunteer(),
            period: "2026-Q3".into(),
            side,
            score,
            comment: Comment::parse("", "comment").unwrap(),
            evaluator: "e".into(),
            created_at: 0,
        }
    }

    #[test]
    fn periods_are_quarters() {
        assert!(parse_period("2026-Q3", "p").is_ok());
        for bad in [
            "2026-Q5", "2026Q3", "26-Q1", "2026-Q", "", "1999-Q1", "2026-Q3 ",
        ] {
            assert!(parse_period(bad, "p").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn both_sides_combine_into_a_grade() {
        let mut result = EvaluationResult::of(&volunteer(), "2026-Q3", vec![rating(Side::Work, 5)]);
        assert_eq!(result.combined(), None);
        result.home = Some(rating(Side::Home, 4));
        assert_eq!(result.combined(), Some((4.5, Grade::Excellent)));
        result.home = Some(rating(Side::Home, 2));
        assert_eq!(result.combined(), Some((3.5, Grade::Good)));
        result.work = Some(rating(Side::Work, 1));
        assert_eq!(result.combined(), Some((1.5, Grade::Fail)));
    }
}
