//! Reports: raised and disbursed per period, fund and project, with beneficiaries
//! counted; the figures of the transparency report; a report as CSV.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use xingfu_platform::Error;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::trust::Caller;

use super::Ledger;
use crate::access;
use crate::domain::{Fund, Grant, GrantKind, Purpose};
use crate::storage::{donations, funds, grants, reports};

/// Which months a report covers (inclusive; `None` is open-ended).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// First month.
    pub from: Option<String>,
    /// Last month.
    pub to: Option<String>,
    /// Only these funds (a caller's boundary); `None` is every fund.
    pub funds: Option<HashSet<RecordId>>,
}

/// A line of a report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRow {
    /// The month.
    pub period: String,
    /// The fund.
    pub fund_id: RecordId,
    /// The project, for project grants.
    pub project_id: Option<RecordId>,
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
    /// Raised and disbursed per period, fund and project, with beneficiaries counted.
    pub async fn report(&self, filter: &ReportFilter) -> Result<Report, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let from = filter.from.clone().unwrap_or_else(|| "0000-00".into());
        let to = filter.to.clone().unwrap_or_else(|| "9999-99".into());
        let lines = reports::fund_lines(&mut conn, &from, &to).await?;
        let paid: HashMap<RecordId, Grant> = grants::paid(&mut conn)
            .await?
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect();
        let purposes: HashMap<RecordId, Purpose> = funds::all(&mut conn)
            .await?
            .into_iter()
            .map(|f: Fund| (f.id, f.purpose))
            .collect();
        let mut rows: BTreeMap<(String, RecordId, Option<RecordId>), ReportRow> = BTreeMap::new();
        let mut report = Report::default();
        let (mut children, mut corners, mut projects) = (BTreeSet::new(), 0, BTreeSet::new());
        let inside = |fund_id: &RecordId| filter.funds.as_ref().is_none_or(|f| f.contains(fund_id));
        for line in lines.into_iter().filter(|line| inside(&line.fund_id)) {
            let grant = paid
                .get(&line.reference_id)
                .filter(|_| line.kind == "DISBURSEMENT");
            let project = grant.and_then(|g| g.project_id.clone());
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
    pub async fn funds_seen_by(&self, caller: &Caller) -> Result<Option<HashSet<RecordId>>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let Some(owners) = access::scope(&mut conn, caller).await? else {
            return Ok(None);
        };
        let funds = funds::all(&mut conn).await?;
        Ok(Some(
            funds
                .into_iter()
                .filter(|fund| {
                    let owner = fund
                        .organisation_id
                        .as_ref()
                        .map_or("", DirectoryId::as_str);
                    owners.iter().any(|o| o == owner)
                })
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
            row.fund_id.as_str(),
            purpose.as_str(),
            row.project_id.as_ref().map_or("", RecordId::as_str),
            row.raised_fen,
            row.disbursed_fen,
            row.grants
        ));
    }
    out.into_bytes()
}
