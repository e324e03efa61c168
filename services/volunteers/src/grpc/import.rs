//! ImportDirectory: a CSV file streamed in chunks, parsed into organisations and
//! communities (every row checked, every bad row reported with the line it starts on).
//! Only a programme-wide caller gets here (`access::importing_the_directory`).

use futures_util::StreamExt as _;
use tonic::Streaming;
use xingfu_platform::checked::DirectoryId;
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, FieldViolation};
use xingfu_proto::volunteers as pb;

use crate::domain::{
    self, Community, CommunityKind, Name, Organisation, OrganisationKind, Township,
};
use crate::ops::{DirectoryRow, ImportReport, Volunteers};

/// Largest file accepted, in bytes.
const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// ImportDirectory: the file read whole (up to [`MAX_FILE_BYTES`]), then registered.
pub(super) async fn import_directory(
    volunteers: &Volunteers,
    _caller: &Caller,
    mut stream: Streaming<pb::ImportDirectoryChunk>,
) -> Result<pb::ImportDirectoryResponse, tonic::Status> {
    let mut data = Vec::new();
    while let Some(chunk) = stream.next().await {
        data.extend_from_slice(&chunk?.data);
        if data.len() > MAX_FILE_BYTES {
            return Err(Error::invalid(
                "data",
                format!("the file is larger than {MAX_FILE_BYTES} bytes"),
            )
            .into());
        }
    }
    let (rows, report) = parse(&data).map_err(Error::from)?;
    let report = volunteers.import_directory(rows, report).await?;
    Ok(pb::ImportDirectoryResponse {
        organisations: report.organisations,
        communities: report.communities,
        already_registered: report.already_registered,
        rejected: report
            .rejected
            .into_iter()
            .map(|(line, reason)| pb::DirectoryRowError { line, reason })
            .collect(),
    })
}

/// Parses a directory CSV file: the good rows with their lines, and a report with the bad.
fn parse(data: &[u8]) -> Result<(Vec<(i64, DirectoryRow)>, ImportReport), FieldViolation> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| FieldViolation::new("data", format!("the header line cannot be read: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let (Some(type_at), Some(id_at), Some(name_at), Some(kind_at)) =
        (column("type"), column("id"), column("name"), column("kind"))
    else {
        return Err(FieldViolation::new(
            "data",
            "the header must name the columns type, id, name and kind",
        ));
    };
    let (parent_at, township_at) = (column("parent_id"), column("township"));
    let line_at = |byte: u64| {
        let mut end = usize::try_from(byte).unwrap_or(data.len()).min(data.len());
        while end < data.len() && (data[end] == b'\n' || data[end] == b'\r') {
            end += 1;
        }
        i64::try_from(data[..end].iter().filter(|b| **b == b'\n').count())
            .unwrap_or(i64::MAX)
            .saturating_add(1)
    };
    let mut rows = Vec::new();
    let mut report = ImportReport::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                report.rejected.push((
                    err.position().map_or(0, |p| line_at(p.byte())),
                    format!("unreadable: {err}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
        match row(
            cell(Some(type_at)),
            cell(Some(id_at)),
            cell(Some(name_at)),
            cell(Some(kind_at)),
            cell(parent_at),
            cell(township_at),
        ) {
            Ok(row) => rows.push((line, row)),
            Err(v) => report
                .rejected
                .push((line, format!("{}: {}", v.field, v.description))),
        }
    }
    Ok((rows, report))
}

fn row(
    kind_of_row: &str,
    id: &str,
    name: &str,
    kind: &str,
    parent: &str,
    township: &str,
) -> Result<DirectoryRow, FieldViolation> {
    let id = DirectoryId::parse(id, "id")?;
    let name = Name::parse(name, "name")?;
    match kind_of_row.to_lowercase().as_str() {
        "organisation" | "organization" => {
            let kind = OrganisationKind::parse(&kind.to_uppercase()).ok_or_else(|| {
                FieldViolation::new(
                    "kind",
                    "must be AGENCY_PARTY, VILLAGE_PARTY, COMMUNITY_PARTY or SOCIAL",
                )
            })?;
            let parent_id = domain::parse_parent(parent, "parent_id")?;
            if parent_id.as_ref() == Some(&id) {
                return Err(FieldViolation::new(
                    "parent_id",
                    "must not be the organisation itself",
                ));
            }
            Ok(DirectoryRow::Organisation(Organisation {
                id,
                name,
                kind,
                parent_id,
                version: 1,
                created_at: now_micros(),
            }))
        }
        "community" => {
            let kind = CommunityKind::parse(&kind.to_uppercase())
                .ok_or_else(|| FieldViolation::new("kind", "must be VILLAGE or RESIDENTIAL"))?;
            let township = Township::parse(township, "township")?;
            Ok(DirectoryRow::Community(Community {
                id,
                name,
                kind,
                township,
                version: 1,
                created_at: now_micros(),
            }))
        }
        _ => Err(FieldViolation::new(
            "type",
            "must be organisation or community",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_and_numbered_by_line() {
        let csv = "type,id,name,kind,parent_id,township\n\
                   organisation,org-edu,教育局机关党委,AGENCY_PARTY,,\n\
                   community,beiao,北岙小区,RESIDENTIAL,,北岙街道\n\
                   \n\
                   club,x,y,z,,\n\
                   community,bad id,name,VILLAGE,,town\n";
        let (rows, report) = parse(csv.as_bytes()).unwrap();
        assert_eq!(rows.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(
            report.rejected.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [5, 6]
        );
        assert!(parse(b"id,name\n").is_err());
    }
}
