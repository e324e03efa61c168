//! Request fields every area parses the same way.

use xingfu_platform::{Error, Violations, validate};

/// An id field that must be a UUID.
pub(super) fn id(value: &str, field: &str) -> Result<String, Error> {
    Ok(validate::uuid(value, field)?)
}

/// An optional directory id filter: `None` when empty.
pub(super) fn optional_directory_id(
    value: &str,
    field: &str,
    v: &mut Violations,
) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        v.check(validate::directory_id(value, field))
    }
}
