//! Reports: by period, fund and project for those who keep the funds, the
//! transparency report for everyone, and the same report as CSV.

use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations};
use xingfu_proto::common::Money;
use xingfu_proto::funds as pb;

use crate::domain;
use crate::ops::{Ledger, Report, ReportFilter, to_csv};
use crate::wire::purpose_to_proto;

/// GetReport: over the funds inside the caller's boundary.
pub(super) async fn get(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetReportRequest,
) -> Result<pb::Report, Error> {
    let report = report(ledger, caller, &r).await?;
    Ok(report_to_proto(report))
}

/// GetTransparencyReport: open to everyone, over every fund; it names nobody.
pub(super) async fn transparency(
    ledger: &Ledger,
    _: &Caller,
    _: pb::GetTransparencyReportRequest,
) -> Result<pb::TransparencyReport, Error> {
    let report = ledger.report(&ReportFilter::default()).await?;
    Ok(pb::TransparencyReport {
        donations: ledger.donations_kept().await?,
        raised: Some(Money::cny(report.raised_fen)),
        disbursed: Some(Money::cny(report.disbursed_fen)),
        balance: Some(Money::cny(ledger.total_balance().await?)),
        children_supported: report.children_supported,
        study_corners: report.study_corners,
        projects_funded: report.projects_funded,
        as_of: Some(to_timestamp(now_micros())),
    })
}

/// ExportReport: GetReport as CSV.
pub(super) async fn export(
    ledger: &Ledger,
    caller: &Caller,
    r: pb::GetReportRequest,
) -> Result<pb::CsvExport, Error> {
    let report = report(ledger, caller, &r).await?;
    Ok(pb::CsvExport {
        data: to_csv(&report),
    })
}

/// The report `r` asks for, over the funds `caller` sees.
async fn report(
    ledger: &Ledger,
    caller: &Caller,
    r: &pb::GetReportRequest,
) -> Result<Report, Error> {
    let mut filter = parse_filter(r)?;
    filter.funds = ledger.funds_seen_by(caller).await?;
    ledger.report(&filter).await
}

/// The months a report covers; every fund until the caller's boundary narrows them.
fn parse_filter(r: &pb::GetReportRequest) -> Result<ReportFilter, Error> {
    let mut v = Violations::default();
    let period = |value: &str, field: &str, v: &mut Violations| {
        if value.is_empty() {
            None
        } else {
            v.check(domain::parse_period(value, field))
        }
    };
    let filter = ReportFilter {
        from: period(&r.from_period, "from_period", &mut v),
        to: period(&r.to_period, "to_period", &mut v),
        funds: None,
    };
    v.finish()?;
    Ok(filter)
}

/// A report as the API shows it.
fn report_to_proto(report: Report) -> pb::Report {
    pb::Report {
        rows: report
            .rows
            .into_iter()
            .map(|(row, purpose)| pb::ReportRow {
                period: row.period,
                fund_id: row.fund_id.into_string(),
                purpose: purpose_to_proto(purpose) as i32,
                project_id: row.project_id.map(String::from).unwrap_or_default(),
                raised: Some(Money::cny(row.raised_fen)),
                disbursed: Some(Money::cny(row.disbursed_fen)),
                grants: row.grants,
            })
            .collect(),
        raised: Some(Money::cny(report.raised_fen)),
        disbursed: Some(Money::cny(report.disbursed_fen)),
        children_supported: report.children_supported,
        study_corners: report.study_corners,
        projects_funded: report.projects_funded,
    }
}
