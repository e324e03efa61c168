//! Workers and income: requests parsed into the domain, answers built from it. Violations
//! name fields, never echo values: the values are personal data.

use xingfu_platform::checked::{Note, RecordId, RequestId};
use xingfu_platform::date::Date;
use xingfu_platform::pii::{parse_id_number, parse_phone};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::workshops as pb;

use crate::domain::parse_month;
use crate::domain::workers::{IncomeSource, NewIncome, NewWorker, Worker, mean_floor};
use crate::ops::Workshops;

enum_map!(source_to_proto, source_from_proto, IncomeSource, pb::IncomeSource, "income source", {
    Wages <=> Wages,
    Piecework <=> Piecework,
    Dividend <=> Dividend,
    Other <=> Other,
});

/// EnrolWorker.
pub(super) async fn enrol(
    workshops: &Workshops,
    r: pb::EnrolWorkerRequest,
) -> Result<pb::Worker, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let workshop = v.check(RecordId::parse(&r.workshop_id, "workshop_id"));
    // Personal data keeps its own types (sealed before it is stored): a name stays a String.
    let name = v.check(validate::single_line(&r.name, "name", 50));
    let phone = v.check(parse_phone(&r.phone, "phone"));
    let id_number = v.check(parse_id_number(&r.id_number, "id_number"));
    let background = v.check(Note::parse(&r.background, "background"));
    let joined_on = v.check(validate::date(r.joined_on.as_ref(), "joined_on"));
    if joined_on.flatten().is_some_and(|day| day > Date::today()) {
        v.add("joined_on", "must not be in the future");
    }
    let (request_id, workshop_id, name, phone, id_number, background, joined_on) =
        v.finish_with((
            request_id, workshop, name, phone, id_number, background, joined_on,
        ))?;
    let worker = workshops
        .enrol_worker(NewWorker {
            request_id,
            workshop_id,
            name,
            phone,
            id_number,
            background,
            baseline_fen: r.baseline_monthly_income_fen,
            joined_on: joined_on.unwrap_or_else(Date::today),
        })
        .await?;
    Ok(worker_to_proto(worker))
}

/// GetWorker.
pub(super) async fn get(
    workshops: &Workshops,
    r: pb::GetWorkerRequest,
) -> Result<pb::Worker, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(worker_to_proto(workshops.worker(&id).await?))
}

/// ListWorkers.
pub(super) async fn list(
    workshops: &Workshops,
    r: pb::ListWorkersRequest,
) -> Result<pb::ListWorkersResponse, Error> {
    let workshop = RecordId::parse(&r.workshop_id, "workshop_id")?;
    let page = paging::parse(r.page.as_ref(), workshop.as_str(), "page")?;
    let mut found = workshops
        .workers(&workshop, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut found, &page, workshop.as_str(), |w| w.id.as_str());
    Ok(pb::ListWorkersResponse {
        workers: found.into_iter().map(worker_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// RecordIncome.
pub(super) async fn record_income(
    workshops: &Workshops,
    r: pb::RecordIncomeRequest,
) -> Result<pb::IncomeRecord, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    // Delivered takes record their pay under `take:<id>`: the prefix is the service's.
    if r.request_id.starts_with("take:") {
        v.add("request_id", "must not start with \"take:\"");
    }
    let worker = v.check(RecordId::parse(&r.worker_id, "worker_id"));
    let month = parse_month(&r.month);
    if month.is_none() {
        v.add("month", "must be a month such as 2026-10");
    }
    let source = v.check(validate::required(
        source_from_proto(r.source, "source"),
        "source",
    ));
    let (request_id, worker_id, month, source) =
        v.finish_with((request_id, worker, month, source))?;
    let income = workshops
        .record_income(NewIncome {
            request_id,
            worker_id,
            month,
            amount_fen: r.amount_fen,
            source,
        })
        .await?;
    Ok(pb::IncomeRecord {
        id: income.id.into_string(),
        worker_id: income.worker_id.into_string(),
        month: income.month,
        amount: Some(Money::cny(income.amount_fen)),
        source: source_to_proto(income.source) as i32,
        create_time: Some(to_timestamp(income.created_at)),
    })
}

/// GetWorkerIncome.
pub(super) async fn worker_income(
    workshops: &Workshops,
    r: pb::GetWorkerIncomeRequest,
) -> Result<pb::WorkerIncome, Error> {
    let id = RecordId::parse(&r.worker_id, "worker_id")?;
    let (worker, uplift) = workshops.worker_income(&id, r.year).await?;
    Ok(pb::WorkerIncome {
        worker_id: worker.id.into_string(),
        year: r.year,
        months: uplift
            .months
            .iter()
            .map(|(month, income)| pb::MonthIncome {
                month: month.clone(),
                income: Some(Money::cny(*income)),
                uplift: Some(Money::cny(income - uplift.baseline_fen)),
            })
            .collect(),
        annual_income: Some(Money::cny(uplift.total())),
        average_monthly_uplift: Some(Money::cny(uplift.average_monthly().unwrap_or(0))),
    })
}

/// GetWorkshopIncome.
pub(super) async fn workshop_income(
    workshops: &Workshops,
    r: pb::GetWorkshopIncomeRequest,
) -> Result<pb::WorkshopIncome, Error> {
    let id = RecordId::parse(&r.workshop_id, "workshop_id")?;
    let (beneficiaries, uplifts) = workshops.workshop_income(&id, r.year).await?;
    let averages: Vec<i64> = uplifts.iter().filter_map(|u| u.average_monthly()).collect();
    Ok(pb::WorkshopIncome {
        workshop_id: id.into_string(),
        year: r.year,
        beneficiaries,
        earning_workers: i64::try_from(uplifts.len()).unwrap_or(i64::MAX),
        total_income: Some(Money::cny(uplifts.iter().map(|u| u.total()).sum())),
        average_monthly_uplift: Some(Money::cny(mean_floor(&averages))),
    })
}

fn worker_to_proto(w: Worker) -> pb::Worker {
    pb::Worker {
        id: w.id.into_string(),
        workshop_id: w.workshop_id.into_string(),
        name_masked: w.name_masked,
        phone_masked: w.phone_masked,
        id_number_masked: w.id_number_masked,
        birth_year: i32::try_from(w.birth_year).unwrap_or(0),
        background: w.background.into_string(),
        baseline_monthly_income: Some(Money::cny(w.baseline_fen)),
        joined_on: Some(w.joined_on.into()),
        create_time: Some(to_timestamp(w.created_at)),
    }
}
