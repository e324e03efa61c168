//! Request fields parsed alike wherever they appear: optional text, optional ids.

use xingfu_platform::{Violations, validate};

/// Optional free text, up to `max` characters.
pub(super) fn optional_text(
    value: &str,
    field: &str,
    max: usize,
    v: &mut Violations,
) -> Option<String> {
    v.check(validate::multi_line(value, field, max))
}

/// An optional directory-form id filter.
pub(super) fn optional_id(value: &str, field: &str, v: &mut Violations) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        v.check(validate::directory_id(value, field))
    }
}
