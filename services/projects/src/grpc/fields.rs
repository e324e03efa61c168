//! Request fields every area parses the same way.

use xingfu_platform::{FieldViolation, Violations};

/// An optional field, `None` when empty, else checked by `parse` (a violation goes to `v`):
/// `optional(&r.community_id, "community_id", &mut v, DirectoryId::parse)`.
pub(super) fn optional<T>(
    value: &str,
    field: &str,
    v: &mut Violations,
    parse: fn(&str, &str) -> Result<T, FieldViolation>,
) -> Option<T> {
    if value.is_empty() {
        None
    } else {
        v.check(parse(value, field))
    }
}
