//! Field rules every service shares, each returning a [`FieldViolation`] that names the
//! field. Text is trimmed; control characters are refused (PostgreSQL cannot store NUL,
//! and neither backend should store what no person typed).

use crate::error::FieldViolation;

/// Longest idempotency key, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 128;

/// One line of text, trimmed, `1..=max` characters.
pub fn single_line(value: &str, field: &str, max: usize) -> Result<String, FieldViolation> {
    let text = value.trim();
    if text.is_empty() {
        return Err(FieldViolation::new(field, "must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            field,
            "must not contain control characters",
        ));
    }
    within(text, field, max)
}

/// Free text, trimmed, up to `max` characters; line breaks and tabs allowed, other
/// control characters not.
pub fn multi_line(value: &str, field: &str, max: usize) -> Result<String, FieldViolation> {
    let text = value.trim();
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldViolation::new(
            field,
            "must not contain control characters",
        ));
    }
    within(text, field, max)
}

/// Free text as [`multi_line`], and not empty: 1 to `max` characters.
pub fn text(value: &str, field: &str, max: usize) -> Result<String, FieldViolation> {
    let text = multi_line(value, field, max)?;
    if text.is_empty() {
        return Err(FieldViolation::new(field, "must not be empty"));
    }
    Ok(text)
}

fn within(text: &str, field: &str, max: usize) -> Result<String, FieldViolation> {
    if text.chars().count() > max {
        Err(FieldViolation::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// An idempotency key: 1 to [`MAX_REQUEST_ID_CHARS`] visible characters, taken as given.
pub fn request_id(value: &str, field: &str) -> Result<String, FieldViolation> {
    let ok = !value.is_empty()
        && value.chars().count() <= MAX_REQUEST_ID_CHARS
        && !value.chars().any(char::is_control)
        && value.trim() == value;
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldViolation::new(
            field,
            format!("must be 1 to {MAX_REQUEST_ID_CHARS} characters without surrounding spaces"),
        ))
    }
}

/// A directory id (organisation, community, team): 1 to 64 of `[A-Za-z0-9_-]`.
pub fn directory_id(value: &str, field: &str) -> Result<String, FieldViolation> {
    let ok = (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldViolation::new(
            field,
            "must be 1 to 64 letters, digits, '_' or '-'",
        ))
    }
}

/// A month, `YYYY-MM`.
pub fn month(value: &str, field: &str) -> Result<String, FieldViolation> {
    let ok = value.len() == 7
        && value.as_bytes()[4] == b'-'
        && value[..4].bytes().all(|b| b.is_ascii_digit())
        && value[..4] != *"0000"
        && matches!(value[5..].parse::<u8>(), Ok(1..=12))
        && value[5..].bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldViolation::new(field, "must be a month, YYYY-MM"))
    }
}

/// A server-assigned id (a UUID), in its canonical lower-case form.
pub fn uuid(value: &str, field: &str) -> Result<String, FieldViolation> {
    uuid::Uuid::try_parse(value)
        .map(|id| id.to_string())
        .map_err(|_| FieldViolation::new(field, "must be an id returned by this API (a UUID)"))
}

/// A stable hex digest of `parts`, to tell a retry (same request) from a different request
/// reusing an idempotency key.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    crate::hex::encode(&hasher.finalize())
}

/// A value that must be present, e.g. an enum whose UNSPECIFIED parsed as `None`.
pub fn required<T>(
    value: Result<Option<T>, FieldViolation>,
    field: &str,
) -> Result<T, FieldViolation> {
    value?.ok_or_else(|| FieldViolation::new(field, "must be set"))
}

/// An optional timestamp, in microseconds since the epoch; out of range is a violation.
pub fn timestamp(
    value: Option<&prost_types::Timestamp>,
    field: &str,
) -> Result<Option<i64>, FieldViolation> {
    value
        .map(|ts| {
            crate::time::from_timestamp(ts)
                .ok_or_else(|| FieldViolation::new(field, "is not a valid time"))
        })
        .transpose()
}

/// An optional calendar date; an impossible one is a violation.
pub fn date(
    value: Option<&xingfu_proto::common::Date>,
    field: &str,
) -> Result<Option<crate::date::Date>, FieldViolation> {
    value
        .map(|d| crate::date::Date::new(d.year, d.month, d.day, field))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_lines_are_trimmed_bounded_and_printable() {
        assert_eq!(
            single_line("  小桔灯 课堂 ", "t", 10).unwrap(),
            "小桔灯 课堂"
        );
        assert!(single_line("   ", "t", 10).is_err());
        assert!(single_line("a\u{0}b", "t", 10).is_err());
        assert!(single_line("a\nb", "t", 10).is_err());
        assert!(single_line(&"灯".repeat(10), "t", 10).is_ok());
        assert!(single_line(&"灯".repeat(11), "t", 10).is_err());
    }

    #[test]
    fn multi_lines_keep_line_breaks_but_not_nul() {
        assert_eq!(multi_line("a\nb\tc", "d", 10).unwrap(), "a\nb\tc");
        assert_eq!(multi_line("", "d", 10).unwrap(), "");
        assert!(multi_line("a\u{0}", "d", 10).is_err());
        assert!(multi_line("a\u{1b}[31m", "d", 10).is_err());
    }

    #[test]
    fn request_ids_reject_blank_and_padded_keys() {
        assert!(request_id("req-1", "r").is_ok());
        for bad in ["", " req", "req\n", &"r".repeat(129)] {
            assert!(request_id(bad, "r").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn directory_ids_are_plain_tokens() {
        assert!(directory_id("dongtou-beiao_01", "c").is_ok());
        for bad in ["", "a b", "村", &"a".repeat(65), "a/b"] {
            assert!(directory_id(bad, "c").is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(["ab", "c"]), fingerprint(["a", "bc"]));
        assert_eq!(fingerprint(["x", "y"]), fingerprint(["x", "y"]));
    }
}
