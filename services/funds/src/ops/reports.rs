//! Verification, balances, closing periods and reports.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use xingfu_platform::Error;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;

use super::Ledger;
use crate::access;
use crate::domain::ledger::{GENESIS, chain_hash, fund_account};
use crate::domain::{Date, Fund, GrantKind, Purpose};
use crate::storage::{donations, funds, grants, ledger, reports};
use xingfu_platform::db::Backend;

/// Entries read per round while verifying.
const BATCH: i64 = 5_000;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// Transactions checked.
    pub transactions: i64,
    /// The first problem, in words.
    pub first_break: Option<String>,
    /// The entry where the chain first breaks.
    pub first_broken_entry: Option<i64>,
}

/// Which months a report covers (inclusive; `None` is open-ended).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// First month.
    pub from: Option<String>,
    /// Last month.
    pub to: Option<String>,
    /// Only these funds (a caller's boundary); `None` is every fund.
    pub funds: Option<HashSet<String>>,
}

/// A line of a report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRow {
    /// The month.
    pub period: String,
    /// The fund.
    pub fund_id: String,
    /// The project, for project grants.
    pub project_id: String,
    /// Raised, fen.
    pub raised_fen: i64,
    /// Disbursed, fen.
    pub disbursed_fen: i64,
    /// Grants paid.
    pub grants: i64,
}

/// A report: its rows and totals.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The rows, by period, fund and project.
    pub rows: Vec<(ReportRow, Purpose)>,
    /// Raised, fen.
    pub raised_fen: i64,
    /// Disbursed, fen.
    pub disbursed_fen: i64,
    /// Distinct children supported.
    pub children_supported: i64,
    /// Study corners renovated.
    pub study_corners: i64,
    /// Projects funded.
    pub projects_funded: i64,
}

impl Ledger {
    /// Recomputes the hash chain (each entry's transaction header included), every
    /// transaction's sum and size, every fund's balance, and that every donation, refund
    /// and paid grant has its journal transaction; the first break found is reported. It
    /// reads one consistent snapshot, so postings going on meanwhile raise no false alarm.
    pub async fn verify(&self) -> Result<Verification, Error> {
        let mut snapshot = match self.db.backend() {
            Backend::Postgres => {
                self.db
                    .pool()
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
            // A read transaction on SQLite (WAL) sees one snapshot until it ends.
            Backend::Sqlite => self.db.pool().begin().await?,
        };
        let mut found = Verification::default();
        let (head_seq, head_hash) = ledger::head(&mut snapshot).await?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq: i64 = 1;
        let mut sums: HashMap<String, (i64, i64)> = HashMap::new();
        let mut balances: HashMap<String, i64> = HashMap::new();
        let mut last = 0;
        let broken = |found: &mut Verification, seq: Option<i64>, what: String| {
            if found.first_break.is_none() {
                found.first_break = Some(what);
                found.first_broken_entry = seq;
            }
        };
        loop {
            let batch = ledger::entries(&mut snapshot, last, head_seq, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            for stored in &batch {
                let entry = &stored.entry;
                found.entries += 1;
                last = entry.seq;
                if entry.seq != expected_seq {
                    broken(
                        &mut found,
                        Some(expected_seq),
                        format!("entry {expected_seq} is missing"),
                    );
                }
                expected_seq = entry.seq.saturating_add(1);
                if stored.header_missing {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!(
                            "the transaction of entry {} is missing or was changed",
                            entry.seq
                        ),
                    );
                }
                if stored.prev_hash != prev {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!("entry {} does not follow the entry before it", entry.seq),
                    );
                }
                if chain_hash(&stored.prev_hash, entry) != stored.hash {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!("entry {} was changed after it was written", entry.seq),
                    );
                }
                prev = stored.hash.clone();
                let (sum, count) = sums.entry(entry.transaction_id.clone()).or_default();
                *sum = sum.saturating_add(entry.amount_fen);
                *count += 1;
                let balance = balances.entry(entry.account.clone()).or_default();
                *balance = balance.saturating_add(entry.amount_fen);
            }
        }
        if last != head_seq || (last > 0 && head_hash != prev) {
            broken(
                &mut found,
                Some(last.saturating_add(1)),
                format!("the chain ends at entry {last} but its head says {head_seq}"),
            );
        }
        found.transactions = i64::try_from(sums.len()).unwrap_or(i64::MAX);
        let mut unbalanced: Vec<&String> = sums
            .iter()
            .filter(|(_, (sum, count))| *sum != 0 || *count < 2)
            .map(|(id, _)| id)
            .collect();
        unbalanced.sort();
        if let Some(id) = unbalanced.first() {
            broken(
                &mut found,
                None,
                format!("transaction {id} does not balance"),
            );
        }
        for fund in funds::all(&mut snapshot).await? {
            let computed = balances.get(&fund_account(&fund.id)).copied().unwrap_or(0);
            if computed != fund.balance_fen {
                broken(
                    &mut found,
                    None,
                    format!(
                        "fund {} holds {} fen by its entries but records {}",
                        fund.id, computed, fund.balance_fen
                    ),
                );
            }
            if computed < 0 {
                broken(&mut found, None, format!("fund {} is below zero", fund.id));
            }
        }
        if let Some(what) = ledger::unbooked(&mut snapshot).await?.into_iter().next() {
            broken(&mut found, None, what);
        }
        snapshot.rollback().await?;
        Ok(found)
    }

    /// A fund's balance over what was recorded up to `at` (microseconds).
    pub async fn balance_at(&self, fund_id: &str, at: i64) -> Result<i64, Error> {
        self.fund(fund_id).await?;
        let mut conn = self.db.pool().acquire().await?;
        Ok(ledger::balance_at(&mut conn, &fund_account(fund_id), at).await?)
    }

    /// Closes a month before the current one; closing it again changes nothing.
    pub async fn close_period(&self, period: &str) -> Result<i64, Error> {
        if period >= Date::today().month_key().as_str() {
            return Err(Error::FailedPrecondition {
                kind: "PERIOD_OPEN",
                subject: format!("periods/{period}"),
                message: format!("{period} is not over yet; only past months can be closed"),
            });
        }
        let mut tx = self.db.begin().await?;
        let (closed, by_this_call) = ledger::close(&mut tx, period, now_micros()).await?;
        if by_this_call {
            // Closed by this call (not before): a fact for the other tools.
            let event = xingfu_proto::funds::PeriodClosed {
                period: period.to_owned(),
            };
            self.outbox.enqueue(&mut tx, period, &event).await?;
        }
        self.outbox.commit(tx).await?;
        Ok(closed)
    }

    /// Raised and disbursed per period, fund and project, with beneficiaries counted.
    pub async fn report(&self, filter: &ReportFilter) -> Result<Report, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let from = filter.from.clone().unwrap_or_else(|| "0000-00".into());
        let to = filter.to.clone().unwrap_or_else(|| "9999-99".into());
        let lines = reports::fund_lines(&mut conn, &from, &to).await?;
        let paid: HashMap<String, crate::domain::Grant> = grants::paid(&mut conn)
            .await?
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect();
        let purposes: HashMap<String, Purpose> = funds::all(&mut conn)
            .await?
            .into_iter()
            .map(|f: Fund| (f.id, f.purpose))
            .collect();
        let mut rows: BTreeMap<(String, String, String), ReportRow> = BTreeMap::new();
        let mut report = Report::default();
        let (mut children, mut corners, mut projects) = (BTreeSet::new(), 0, BTreeSet::new());
        let inside = |fund_id: &str| filter.funds.as_ref().is_none_or(|f| f.contains(fund_id));
        for line in lines.into_iter().filter(|line| inside(&line.fund_id)) {
            let grant = paid
                .get(&line.reference_id)
                .filter(|_| line.kind == "DISBURSEMENT");
            let project = grant.and_then(|g| g.project_id.clone()).unwrap_or_default();
            let row = rows
                .entry((line.period.clone(), line.fund_id.clone(), project.clone()))
                .or_insert_with(|| ReportRow {
                    period: line.period.clone(),
                    fund_id: line.fund_id.clone(),
                    project_id: project.clone(),
                    raised_fen: 0,
                    disbursed_fen: 0,
                    grants: 0,
                });
            match line.kind.as_str() {
                "DONATION" | "REFUND" => {
                    row.raised_fen = row.raised_fen.saturating_add(line.amount_fen);
                    report.raised_fen = report.raised_fen.saturating_add(line.amount_fen);
                }
                _ => {
                    row.disbursed_fen = row.disbursed_fen.saturating_sub(line.amount_fen);
                    row.grants += 1;
                    report.disbursed_fen = report.disbursed_fen.saturating_sub(line.amount_fen);
                    match grant.map(|g| g.kind) {
                        Some(GrantKind::ChildSupport) => {
                            children.insert(
                                grant.map(|g| g.beneficiary_ref.clone()).unwrap_or_default(),
                            );
                        }
                        Some(GrantKind::StudyCorner) => corners += 1,
                        Some(GrantKind::Project) => {
                            projects.insert(project);
                        }
                        None => {}
                    }
                }
            }
        }
        report.children_supported = i64::try_from(children.len()).unwrap_or(i64::MAX);
        report.study_corners = corners;
        report.projects_funded = i64::try_from(projects.len()).unwrap_or(i64::MAX);
        report.rows = rows
            .into_values()
            .map(|row| {
                let purpose = purposes
                    .get(&row.fund_id)
                    .copied()
                    .unwrap_or(Purpose::General);
                (row, purpose)
            })
            .collect();
        Ok(report)
    }

    /// The funds a report for `caller` covers: every fund (`None`), or those inside its
    /// boundary.
    pub async fn funds_seen_by(&self, caller: &Caller) -> Result<Option<HashSet<String>>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let Some(owners) = access::scope(&mut conn, caller).await? else {
            return Ok(None);
        };
        let funds = funds::all(&mut conn).await?;
        Ok(Some(
            funds
                .into_iter()
                .filter(|fund| owners.contains(&fund.organisation_id))
                .map(|fund| fund.id)
                .collect(),
        ))
    }

    /// Donations kept (not refunded), for the transparency report.
    pub async fn donations_kept(&self) -> Result<i64, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(donations::count_kept(&mut conn).await?)
    }

    /// Money held by every fund together, fen.
    pub async fn total_balance(&self) -> Result<i64, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let funds = funds::all(&mut conn).await?;
        Ok(funds
            .iter()
            .fold(0i64, |sum, f| sum.saturating_add(f.balance_fen)))
    }
}

/// A report as CSV: a header, then a line per row. Numbers in fen; no personal data.
pub fn to_csv(report: &Report) -> Vec<u8> {
    let mut out =
        String::from("period,fund_id,purpose,project_id,raised_fen,disbursed_fen,grants\n");
    for (row, purpose) in &report.rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            row.period,
            row.fund_id,
            purpose.as_str(),
            row.project_id,
            row.raised_fen,
            row.disbursed_fen,
            row.grants
        ));
    }
    out.into_bytes()
}
