//! Questionnaire CSV exports into needs: every row checked, every bad row reported with
//! its line; row identity from the file's own `id` column, or from the row's content.

use xingfu_platform::FieldViolation;

use crate::domain::{Category, Channel, Contact, DirectoryId, NeedKey, NewNeed, Text};
use crate::ops::ImportReport;

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Parses a CSV file: the good rows with their line numbers, and a report with the bad.
pub fn parse(data: &[u8]) -> Result<(Vec<(i64, NewNeed)>, ImportReport), FieldViolation> {
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
    let (Some(channel_at), Some(community_at), Some(description_at)) = (
        column("channel"),
        column("community_id"),
        column("description"),
    ) else {
        return Err(FieldViolation::new(
            "data",
            "the header must name the columns channel, community_id and description",
        ));
    };
    let (id_at, category_at, name_at, phone_at) = (
        column("id"),
        column("suggested_category"),
        column("contact_name"),
        column("contact_phone"),
    );
    let mut rows = Vec::new();
    let mut report = ImportReport::default();
    // The line a record starts on, counted from its byte offset, so blank lines and line
    // breaks inside quoted fields count as the file shows them.
    let line_at = |byte: u64| {
        let mut end = usize::try_from(byte).unwrap_or(data.len()).min(data.len());
        // A record's position is where reading began, before any blank lines it skipped.
        while end < data.len() && (data[end] == b'\n' || data[end] == b'\r') {
            end += 1;
        }
        let breaks = data[..end].iter().filter(|b| **b == b'\n').count();
        i64::try_from(breaks).unwrap_or(i64::MAX).saturating_add(1)
    };
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| line_at(p.byte()));
                report.rejected.push((line, format!("unreadable: {err}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").trim();
        match row(
            cell(id_at),
            cell(Some(channel_at)),
            cell(Some(community_at)),
            cell(Some(description_at)),
            cell(category_at),
            cell(name_at),
            cell(phone_at),
        ) {
            Ok(need) => rows.push((line, need)),
            Err(violation) => report.rejected.push((
                line,
                format!("{}: {}", violation.field, violation.description),
            )),
        }
    }
    Ok((rows, report))
}

fn row(
    id: &str,
    channel: &str,
    community: &str,
    description: &str,
    category: &str,
    contact_name: &str,
    contact_phone: &str,
) -> Result<NewNeed, FieldViolation> {
    let channel = Channel::parse(&channel.to_uppercase())
        .ok_or_else(|| FieldViolation::new("channel", "must be VISIT, SURVEY or ONLINE"))?;
    let community = DirectoryId::parse(community, "community_id")?;
    let description = Text::parse(description, "description")?;
    let suggested_category = if category.is_empty() {
        None
    } else {
        Some(Category::parse(&category.to_uppercase()).ok_or_else(|| {
            FieldViolation::new("suggested_category", "is not one of the seven categories")
        })?)
    };
    let contact = Contact::parse(contact_name, contact_phone, "contact")?;
    if id.chars().count() > 128 || id.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            "id",
            "must be at most 128 printable characters",
        ));
    }
    let key = if id.is_empty() {
        NeedKey::Content
    } else {
        NeedKey::FileRow(id.to_owned())
    };
    Ok(NewNeed {
        key,
        channel,
        community,
        description,
        suggested_category,
        contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_kept_and_bad_ones_reported_by_line() {
        let csv = "id,channel,community_id,description,suggested_category,contact_name,contact_phone\n\
                   q-1,SURVEY,beiao,路灯坏了,INFRASTRUCTURE,王小明,13812345678\n\
                   q-2,letter,beiao,x,,,\n\
                   ,online,niaoyu,老人吃饭难,,,\n\
                   q-4,VISIT,bad id,x,,,\n";
        let (rows, report) = parse(csv.as_bytes()).unwrap();
        let lines: Vec<i64> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(rows[0].1.key, NeedKey::FileRow("q-1".into()));
        assert_eq!(rows[1].1.key, NeedKey::Content);
        let rejected: Vec<i64> = report.rejected.iter().map(|(line, _)| *line).collect();
        assert_eq!(rejected, [3, 5]);
        assert!(report.rejected[0].1.starts_with("channel"));
    }

    #[test]
    fn line_numbers_count_blank_lines_and_quoted_line_breaks() {
        let csv = "channel,community_id,description\n\
                   VISIT,beiao,\"two\nlines\"\n\
                   \n\
                   FAX,beiao,x\n";
        let (rows, report) = parse(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(report.rejected[0].0, 5, "{report:?}");
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused() {
        assert!(parse(b"name,phone\nx,y\n").is_err());
    }
}
