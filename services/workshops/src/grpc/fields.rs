//! Request fields parsed alike wherever they appear: optional id filters.

use xingfu_platform::{FieldViolation, Violations};

/// An optional id filter: `None` when empty, else checked with `parse`
/// (`RecordId::parse`, `DirectoryId::parse`).
pub(super) fn optional_id<T>(
    value: &str,
    field: &str,
    parse: fn(&str, &str) -> Result<T, FieldViolation>,
    v: &mut Violations,
) -> Option<T> {
    if value.is_empty() {
        None
    } else {
        v.check(parse(value, field))
    }
}
