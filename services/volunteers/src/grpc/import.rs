//! Directory CSV files into organisations and communities: every row checked, every bad
//! row reported with the line it starts on.

use xingfu_platform::time::now_micros;
use xingfu_platform::{FieldViolation, validate};

use crate::domain::{self, Community, CommunityKind, Organisation, OrganisationKind};
use crate::ops::{DirectoryRow, ImportReport};

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Parses a directory CSV file: the good rows with their lines, and a report with the bad.
pub fn parse(data: &[u8]) -> Result<(Vec<(i64, DirectoryRow)>, ImportReport), FieldViolation> {
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
    let id = validate::directory_id(id, "id")?;
    let name = domain::parse_name(name, "name")?;
    match kind_of_row.to_lowercase().as_str() {
        "organisation" | "organization" => {
            let kind = OrganisationKind::parse(&kind.to_uppercase()).ok_or_else(|| {
                FieldViolation::new(
                    "kind",
                    "must be AGENCY_PARTY, VILLAGE_PARTY, COMMUNITY_PARTY or SOCIAL",
                )
            })?;
            let parent_id = domain::parse_parent(parent, "parent_id")?;
            if parent_id.as_deref() == Some(id.as_str()) {
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
            let township = domain::parse_township(township, "township")?;
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
