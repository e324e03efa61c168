//! Requests about service records, links and the Four Ones parsed into the domain, and
//! answers (summaries, exports, reports) built from it.

use tokio_stream::wrappers::ReceiverStream;
use xingfu_platform::time::to_rfc3339;
use xingfu_platform::{Error, Violations, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use super::activities::kind_to_proto;
use crate::domain::records::{CommunityLink, HoursScope, ServiceRecord};
use crate::domain::register::Volunteer;
use crate::ops::Volunteers;
use xingfu_platform::trust::Caller;

/// Records read per page while exporting.
const EXPORT_PAGE: i64 = 500;

/// SummariseHours.
pub(super) async fn summarise(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::SummariseHoursRequest,
) -> Result<pb::HoursSummary, Error> {
    let mut v = Violations::default();
    let scope = match (
        r.volunteer_id.is_empty(),
        r.organisation_id.is_empty(),
        r.community_id.is_empty(),
    ) {
        (false, true, true) => v
            .check(validate::uuid(&r.volunteer_id, "volunteer_id"))
            .map(HoursScope::Volunteer),
        (true, false, true) => v
            .check(validate::directory_id(
                &r.organisation_id,
                "organisation_id",
            ))
            .map(HoursScope::Organisation),
        (true, true, false) => v
            .check(validate::directory_id(&r.community_id, "community_id"))
            .map(HoursScope::Community),
        _ => {
            v.add(
                "volunteer_id",
                "give exactly one of volunteer_id, organisation_id and community_id",
            );
            None
        }
    };
    let from = v.check(validate::date(r.from.as_ref(), "from")).flatten();
    let to = v.check(validate::date(r.to.as_ref(), "to")).flatten();
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        v.add("to", "must not be before from");
    }
    v.finish()?;
    let scope = scope.ok_or_else(|| Error::invalid("", "invalid request"))?;
    let summary = volunteers.summarise_hours(caller, scope, from, to).await?;
    Ok(pb::HoursSummary {
        minutes: summary.minutes,
        records: summary.records,
        volunteers: summary.volunteers,
    })
}

/// ExportServiceRecord: the volunteer's records read a page at a time and written out
/// as they come, so an export of any length holds one page in memory.
pub(super) async fn export(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ExportServiceRecordRequest,
) -> Result<ReceiverStream<Result<pb::ExportChunk, tonic::Status>>, Error> {
    let mut v = Violations::default();
    let id = v.check(validate::uuid(&r.volunteer_id, "volunteer_id"));
    let format = match pb::ExportFormat::try_from(r.format) {
        Ok(pb::ExportFormat::Json) => Some(Format::Json),
        Ok(pb::ExportFormat::Csv) => Some(Format::Csv),
        _ => {
            v.add("format", "must be EXPORT_FORMAT_JSON or EXPORT_FORMAT_CSV");
            None
        }
    };
    v.finish()?;
    let (Some(id), Some(format)) = (id, format) else {
        return Err(Error::invalid("", "invalid request"));
    };
    let volunteer = volunteers
        .volunteer_for(caller, &id, caller.holds(super::PII_READ))
        .await?;
    // Only the records inside the caller's boundary are exported: of its subtree's
    // organisations, served in its township.
    let inside = volunteers.export_scope(caller).await?;
    // The first page is read before answering, so a failure is the call's status.
    let first = volunteers
        .service_records(&id, &inside, "", EXPORT_PAGE)
        .await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let volunteers = volunteers.clone();
    tokio::spawn(async move {
        let mut writer = Writer::new(format, &volunteer);
        let mut page = first;
        loop {
            let chunk = writer.records(&page);
            if sender.send(Ok(chunk)).await.is_err() {
                return; // the caller went away
            }
            let Some(last) = page.last().map(|r| r.record_id.clone()) else {
                break;
            };
            if page.len() < usize::try_from(EXPORT_PAGE).unwrap_or(usize::MAX) {
                break;
            }
            page = match volunteers
                .service_records(&id, &inside, &last, EXPORT_PAGE)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let _ = sender.send(Err(e.into())).await;
                    return;
                }
            };
        }
        let _ = sender.send(Ok(writer.finish())).await;
    });
    Ok(ReceiverStream::new(receiver))
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
                    "id": volunteer.id,
                    "name": volunteer.name,
                    "id_number_masked": volunteer.id_number_masked,
                    "work_organisation_id": volunteer.work_organisation_id,
                    "home_community_id": volunteer.home_community_id,
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
                    Format::Csv => "text/csv; charset=utf-8".into(),
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
            "record_id": r.record_id,
            "name": self.name,
            "id_number_masked": self.id_number_masked,
            "organisation_id": r.organisation_id,
            "organisation": r.organisation_name,
            "activity_id": r.activity_id,
            "activity": r.activity_title,
            "activity_kind": r.activity_kind.as_str(),
            "community_id": r.community_id,
            "date": local_date(r.served_at),
            "minutes": r.minutes,
            "hours": hours(r.minutes),
            "verifier": r.verified_by,
        })
    }

    fn csv(&self, r: &ServiceRecord) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let minutes = r.minutes.to_string();
        let row = [
            r.record_id.as_str(),
            &self.name,
            &self.id_number_masked,
            &r.organisation_id,
            &r.organisation_name,
            &r.activity_id,
            &r.activity_title,
            r.activity_kind.as_str(),
            &r.community_id,
            &local_date(r.served_at),
            &minutes,
            &hours(r.minutes),
            &r.verified_by,
        ];
        // Writing to a Vec cannot fail; an empty line would show if it ever did.
        let _ = writer.write_record(row);
        writer
            .into_inner()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

/// The day of `micros` in the district (UTC+8), `YYYY-MM-DD`.
fn local_date(micros: i64) -> String {
    to_rfc3339(micros.saturating_add(8 * 3600 * 1_000_000))[..10].to_owned()
}

/// Minutes as hours with two decimals, computed in integers: `90` → `"1.50"`.
fn hours(minutes: i64) -> String {
    let hundredths = minutes * 100 / 60;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// LinkCommunity (`linked`) and UnlinkCommunity.
pub(super) async fn set_link(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CommunityLinkRequest,
    linked: bool,
) -> Result<pb::CommunityLink, Error> {
    let mut v = Violations::default();
    let organisation = v.check(validate::directory_id(
        &r.organisation_id,
        "organisation_id",
    ));
    let community = v.check(validate::directory_id(&r.community_id, "community_id"));
    v.finish()?;
    let link = CommunityLink {
        organisation_id: organisation.unwrap_or_default(),
        community_id: community.unwrap_or_default(),
        linked,
    };
    let link = volunteers.set_community_link(caller, link).await?;
    Ok(pb::CommunityLink {
        organisation_id: link.organisation_id,
        community_id: link.community_id,
        linked: link.linked,
    })
}

/// FourOnesReport.
pub(super) async fn four_ones(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::FourOnesReportRequest,
) -> Result<pb::FourOnesReportResponse, Error> {
    let mut v = Violations::default();
    if !(2000..=2999).contains(&r.year) {
        v.add("year", "must be 2000 to 2999");
    }
    let organisation = if r.organisation_id.is_empty() {
        None
    } else {
        v.check(validate::directory_id(
            &r.organisation_id,
            "organisation_id",
        ))
    };
    v.finish()?;
    let filters = format!("{}/{organisation:?}/{}", r.year, r.missing_only);
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    // Directory ids never hold a '/', so the pair's key splits back unambiguously.
    let after = page.after.as_deref().and_then(|key| key.split_once('/'));
    let report = volunteers
        .four_ones(
            caller,
            r.year,
            organisation.as_deref(),
            r.missing_only,
            after,
            page.size,
        )
        .await?;
    let next_page_token = match (&report.last, report.more) {
        (Some((org, community)), true) => {
            paging::next_token(&format!("{org}/{community}"), &filters)
        }
        _ => String::new(),
    };
    Ok(pb::FourOnesReportResponse {
        rows: report
            .rows
            .into_iter()
            .map(|row| {
                let missing = row
                    .missing()
                    .into_iter()
                    .map(|k| kind_to_proto(k) as i32)
                    .collect();
                let [
                    festival_visits,
                    collective_birthdays,
                    collective_exchanges,
                    practical_matters,
                ] = row.done;
                pb::FourOnesRow {
                    organisation_id: row.organisation_id,
                    community_id: row.community_id,
                    festival_visits,
                    collective_birthdays,
                    collective_exchanges,
                    practical_matters,
                    missing,
                }
            })
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
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
