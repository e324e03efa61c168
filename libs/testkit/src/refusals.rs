//! What a refusal says: the reason a PERMISSION_DENIED names in its `ErrorInfo`, which the
//! hostile tests of every service check.

use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// The `ErrorInfo` reason of `status`, which must be PERMISSION_DENIED.
pub fn denial_reason(status: &Status) -> String {
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// Asserts that `status` is PERMISSION_DENIED for `reason` (`ROLE_REQUIRED`,
/// `OUTSIDE_BOUNDARY`, …).
pub fn assert_denied(status: &Status, reason: &str) {
    assert_eq!(denial_reason(status), reason, "{status:?}");
}

/// The fields `status`'s BadRequest details name, in order; none when it has none.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}
