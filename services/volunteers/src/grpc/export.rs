//! ExportServiceRecord: a volunteer's verified service as a JSON or CSV file, streamed
//! a page of records at a time so an export of any length holds one page in memory.

use tokio_stream::wrappers::ReceiverStream;
use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_platform::time::to_rfc3339;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, FieldViolation, Violations, validate};
use xingfu_proto::volunteers as pb;

use crate::access;
use crate::domain::records::ServiceRecord;
use crate::domain::register::Volunteer;
use crate::ops::Volunteers;

/// ExportServiceRecord: only the records inside the caller's boundary (of its subtree's
/// organisations, served in its township), written out as they are read. The first page
/// is read before answering, so a failure is the call's status; a later one ends the
/// stream with it.
pub(super) async fn export_service_record(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ExportServiceRecordRequest,
) -> Result<ReceiverStream<Result<pb::ExportChunk, tonic::Status>>, Error> {
    let id = RecordId::parse(&r.volunteer_id, "volunteer_id")?;
    let format = match pb::ExportFormat::try_from(r.format) {
        Ok(pb::ExportFormat::Json) => Format::Json,
        Ok(pb::ExportFormat::Csv) => Format::Csv,
        // The request's rules require a defined format (`format` in the proto).
        _ => {
            return Err(Error::Unexpected(anyhow::anyhow!(
                "an ExportServiceRecord request without a format passed the request's rules"
            )));
        }
    };
    let (volunteer, mut pages) = volunteers
        .export_service_record(caller, &id, access::reveals(caller))
        .await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut writer = Writer::new(format, &volunteer);
        loop {
            let page = match pages.next().await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => {
                    let _ = sender.send(Err(e.into())).await;
                    return;
                }
            };
            if sender.send(Ok(writer.records(&page))).await.is_err() {
                return; // the caller went away
            }
        }
        let _ = sender.send(Ok(writer.finish())).await;
    });
    Ok(ReceiverStream::new(receiver))
}

/// The national layout's header: one column per field the national volunteer
/// information system's batch import asks for (docs/volunteers.md gives each).
const NATIONAL_HEADER: &str = "记录编号,姓名,证件类型,证件号码,服务组织代码,服务组织,服务项目,\
                               服务类别,服务地点,服务日期,开始时间,结束时间,服务时长（小时）,审核人\n";

/// ExportNationalRecords: an organisation's verified records over a period, inside the
/// caller's boundary, in the national layout; names and ID numbers in clear only for a
/// caller holding `pii:read`. Streamed a page at a time, as ExportServiceRecord is.
pub(super) async fn export_national_records(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ExportNationalRecordsRequest,
) -> Result<ReceiverStream<Result<pb::ExportChunk, tonic::Status>>, Error> {
    let mut v = Violations::default();
    let organisation = v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"));
    let day = |date, field: &str| {
        validate::date(date, field)
            .and_then(|d| d.ok_or_else(|| FieldViolation::new(field, "must be set")))
    };
    let from = v.check(day(r.from.as_ref(), "from"));
    let to = v.check(day(r.to.as_ref(), "to"));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        v.add("to", "must not be before from");
    }
    let (organisation, from, to) = v.finish_with((organisation, from, to))?;
    let reveal = access::reveals(caller);
    let mut pages = volunteers
        .export_national_records(caller, &organisation, from, to)
        .await?;
    let volunteers = volunteers.clone();
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut head = Some(NATIONAL_HEADER.to_owned());
        loop {
            let page = match pages.next().await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => {
                    let _ = sender.send(Err(e.into())).await;
                    return;
                }
            };
            let people = match volunteers.people_of(&page, reveal).await {
                Ok(people) => people,
                Err(e) => {
                    let _ = sender.send(Err(e.into())).await;
                    return;
                }
            };
            let first = head.is_some();
            let mut out = head.take().unwrap_or_default();
            for record in &page {
                let (name, id_number) = people
                    .get(&record.volunteer_id)
                    .cloned()
                    .unwrap_or_default();
                out.push_str(&national_row(record, &name, &id_number));
            }
            let chunk = pb::ExportChunk {
                content_type: if first { CSV.into() } else { String::new() },
                data: out.into_bytes(),
            };
            if sender.send(Ok(chunk)).await.is_err() {
                return; // the caller went away
            }
        }
        // No record at all: the header alone.
        if let Some(head) = head {
            let _ = sender
                .send(Ok(pb::ExportChunk {
                    content_type: CSV.into(),
                    data: head.into_bytes(),
                }))
                .await;
        }
    });
    Ok(ReceiverStream::new(receiver))
}

/// The content type of a CSV export.
const CSV: &str = "text/csv; charset=utf-8";

/// One record in the national layout.
fn national_row(r: &ServiceRecord, name: &str, id_number: &str) -> String {
    let end = r
        .served_at
        .saturating_add(r.minutes.saturating_mul(60_000_000));
    let row = [
        r.record_id.as_str(),
        name,
        "居民身份证",
        id_number,
        r.organisation_id.as_str(),
        r.organisation_name.as_str(),
        r.activity_title.as_str(),
        r.activity_kind.as_str(),
        r.community_name.as_str(),
        &local_date(r.served_at),
        &local_time(r.served_at),
        &local_time(end),
        &hours(r.minutes),
        &r.verified_by,
    ];
    csv_line(&row)
}

/// `fields` as one CSV line, quoted where they need it.
fn csv_line(fields: &[&str]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; an empty line would show if it ever did.
    let _ = writer.write_record(fields);
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// Writes an export chunk by chunk: the head goes out with the first records.
struct Writer {
    format: Format,
    head: Option<String>,
    written: usize,
    name: String,
    id_number_masked: String,
}

impl Writer {
    fn new(format: Format, volunteer: &Volunteer) -> Self {
        let head = match format {
            Format::Json => format!(
                "{{\"volunteer\":{},\"records\":[",
                serde_json::json!({
                    "id": volunteer.id.as_str(),
                    "name": volunteer.name,
                    "id_number_masked": volunteer.id_number_masked,
                    "work_organisation_id": volunteer.work_organisation_id.as_str(),
                    "home_community_id": volunteer.home_community_id.as_str(),
                })
            ),
            Format::Csv => "record_id,name,id_number_masked,organisation_id,organisation,\
                            activity_id,activity,activity_kind,community_id,date,minutes,hours,\
                            verifier\n"
                .to_owned(),
        };
        Self {
            format,
            head: Some(head),
            written: 0,
            name: volunteer.name.clone(),
            id_number_masked: volunteer.id_number_masked.clone(),
        }
    }

    fn records(&mut self, records: &[ServiceRecord]) -> pb::ExportChunk {
        let first = self.head.is_some();
        let mut out = self.head.take().unwrap_or_default();
        for record in records {
            match self.format {
                Format::Json => {
                    if self.written > 0 {
                        out.push(',');
                    }
                    out.push_str(&self.json(record).to_string());
                }
                Format::Csv => out.push_str(&self.csv(record)),
            }
            self.written += 1;
        }
        pb::ExportChunk {
            content_type: if first {
                match self.format {
                    Format::Json => "application/json".into(),
                    Format::Csv => CSV.into(),
                }
            } else {
                String::new()
            },
            data: out.into_bytes(),
        }
    }

    fn finish(self) -> pb::ExportChunk {
        pb::ExportChunk {
            content_type: String::new(),
            data: match self.format {
                Format::Json => b"]}".to_vec(),
                Format::Csv => Vec::new(),
            },
        }
    }

    fn json(&self, r: &ServiceRecord) -> serde_json::Value {
        serde_json::json!({
            "record_id": r.record_id.as_str(),
            "name": self.name,
            "id_number_masked": self.id_number_masked,
            "organisation_id": r.organisation_id.as_str(),
            "organisation": r.organisation_name.as_str(),
            "activity_id": r.activity_id.as_str(),
            "activity": r.activity_title.as_str(),
            "activity_kind": r.activity_kind.as_str(),
            "community_id": r.community_id.as_str(),
            "date": local_date(r.served_at),
            "minutes": r.minutes,
            "hours": hours(r.minutes),
            "verifier": r.verified_by,
        })
    }

    fn csv(&self, r: &ServiceRecord) -> String {
        let minutes = r.minutes.to_string();
        csv_line(&[
            r.record_id.as_str(),
            &self.name,
            &self.id_number_masked,
            r.organisation_id.as_str(),
            r.organisation_name.as_str(),
            r.activity_id.as_str(),
            r.activity_title.as_str(),
            r.activity_kind.as_str(),
            r.community_id.as_str(),
            &local_date(r.served_at),
            &minutes,
            &hours(r.minutes),
            &r.verified_by,
        ])
    }
}

/// The day of `micros` in the district (UTC+8), `YYYY-MM-DD`.
fn local_date(micros: i64) -> String {
    to_rfc3339(micros.saturating_add(8 * 3600 * 1_000_000))[..10].to_owned()
}

/// The time of day of `micros` in the district (UTC+8), `HH:MM`.
fn local_time(micros: i64) -> String {
    to_rfc3339(micros.saturating_add(8 * 3600 * 1_000_000))[11..16].to_owned()
}

/// Minutes as hours with two decimals, computed in integers: `90` → `"1.50"`.
fn hours(minutes: i64) -> String {
    let hundredths = minutes * 100 / 60;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_exact_to_the_hundredth_and_dates_local() {
        assert_eq!(hours(90), "1.50");
        assert_eq!(hours(1), "0.01");
        assert_eq!(hours(0), "0.00");
        assert_eq!(hours(600), "10.00");
        // 2026-11-28 17:00 UTC is 01:00 on the 29th in the district.
        let micros = xingfu_platform::time::from_rfc3339("2026-11-28T17:00:00Z").unwrap();
        assert_eq!(local_date(micros), "2026-11-29");
    }
}
