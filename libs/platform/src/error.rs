//! The one error type every service returns and its single mapping to `tonic::Status`
//! with google.rpc error details. Internal causes are logged here, never returned.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One invalid field of a request: its path (`page.page_token`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field path, as in the proto (`title`, `page.page_size`).
    pub field: String,
    /// What is wrong with it, for the caller.
    pub description: String,
}

/// The longest field path or description a violation carries: a description may quote
/// what the caller sent, and an answer must not grow with a hostile request.
const MAX_VIOLATION_CHARS: usize = 200;

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: bounded(field.into()),
            description: bounded(description.into()),
        }
    }
}

/// `text`, cut to [`MAX_VIOLATION_CHARS`] characters with an ellipsis.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_VIOLATION_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_VIOLATION_CHARS).collect();
    cut.push('…');
    cut
}

/// Collects the violations of a whole request, so the caller hears of every bad field
/// at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Keeps the value of `result`, or records its violation.
    pub fn check<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        result.map_err(|v| self.0.push(v)).ok()
    }

    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// `Ok` when nothing was recorded, else INVALID_ARGUMENT with every violation.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }

    /// The parsed `fields` (a tuple of the `Option`s [`Violations::check`] gave) once
    /// nothing was recorded, else INVALID_ARGUMENT with every violation. A field left
    /// `None` without a violation is a parser's bug, reported as such.
    pub fn finish_with<F: AllParsed>(self, fields: F) -> Result<F::Parsed, Error> {
        self.finish()?;
        fields.all_parsed().ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!(
                "a request field was neither parsed nor refused"
            ))
        })
    }
}

/// A tuple of parsed fields, each `Some` when its parsing succeeded.
pub trait AllParsed {
    /// The tuple of the values.
    type Parsed;
    /// Every value, when each field was parsed.
    fn all_parsed(self) -> Option<Self::Parsed>;
}

impl<A> AllParsed for Option<A> {
    type Parsed = A;
    fn all_parsed(self) -> Option<A> {
        self
    }
}

macro_rules! all_parsed {
    ($($name:ident),+) => {
        impl<$($name),+> AllParsed for ($(Option<$name>,)+) {
            type Parsed = ($($name,)+);
            #[allow(non_snake_case)]
            fn all_parsed(self) -> Option<Self::Parsed> {
                let ($($name,)+) = self;
                Some(($($name?,)+))
            }
        }
    };
}

all_parsed!(A, B);
all_parsed!(A, B, C);
all_parsed!(A, B, C, D);
all_parsed!(A, B, C, D, E);
all_parsed!(A, B, C, D, E, F);
all_parsed!(A, B, C, D, E, F, G);
all_parsed!(A, B, C, D, E, F, G, H);
all_parsed!(A, B, C, D, E, F, G, H, I);
all_parsed!(A, B, C, D, E, F, G, H, I, J);

/// Everything a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request itself is wrong: INVALID_ARGUMENT with a BadRequest of the fields.
    #[error("invalid request: {0:?}")]
    Invalid(Vec<FieldViolation>),
    /// NOT_FOUND with the resource named.
    #[error("{resource} {id} not found")]
    NotFound {
        /// Kind of resource (`project`).
        resource: &'static str,
        /// Its id as given.
        id: String,
    },
    /// ALREADY_EXISTS: a unique thing already exists, or an idempotency key was reused
    /// for a different request.
    #[error("{resource} {id}: {message}")]
    AlreadyExists {
        /// Kind of resource.
        resource: &'static str,
        /// Its id or key.
        id: String,
        /// What collided.
        message: String,
    },
    /// FAILED_PRECONDITION: the system is not in a state that allows the call.
    #[error("{message}")]
    FailedPrecondition {
        /// Machine-readable kind (`PROJECT_NOT_PUBLISHED`).
        kind: &'static str,
        /// Subject of the check (`projects/<id>`).
        subject: String,
        /// For the caller.
        message: String,
    },
    /// PERMISSION_DENIED: the authenticated principal may not do this (a rule about people:
    /// the actor is not the caller, a role is missing, the record is outside its boundary).
    #[error("{message}")]
    PermissionDenied {
        /// Machine-readable reason (`ACTOR_NOT_CALLER`, `ROLE_REQUIRED`).
        reason: &'static str,
        /// For the caller.
        message: String,
    },
    /// ABORTED: a concurrent change won (stale version); the caller may re-read and retry.
    #[error("{0}")]
    Aborted(String),
    /// UNAVAILABLE: a dependency is down; the caller may retry after a while.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// INTERNAL: a bug or an unexpected failure; the cause is logged, not returned.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    /// INVALID_ARGUMENT for a single field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// NOT_FOUND for the `resource` with `id`.
    pub fn not_found(resource: &'static str, id: &str) -> Self {
        Error::NotFound {
            resource,
            id: id.to_owned(),
        }
    }

    /// ALREADY_EXISTS: an idempotency key used before for a different request (`what`).
    pub fn reused_key(resource: &'static str, request_id: &str, what: &str) -> Self {
        Error::AlreadyExists {
            resource,
            id: request_id.to_owned(),
            message: format!("request_id was used for another {what}"),
        }
    }

    /// PERMISSION_DENIED for `reason`.
    pub fn denied(reason: &'static str, message: impl Into<String>) -> Self {
        Error::PermissionDenied {
            reason,
            message: message.into(),
        }
    }

    /// FAILED_PRECONDITION of `kind` about `subject` (`collection/id`).
    pub fn precondition(
        kind: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::FailedPrecondition {
            kind,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl From<FieldViolation> for Error {
    fn from(violation: FieldViolation) -> Self {
        Error::Invalid(vec![violation])
    }
}

/// Codes of a concurrent change in the way: serialization failure, deadlock; SQLite busy or
/// locked past its timeout.
const CONFLICT_CODES: &[&str] = &["40001", "40P01", "5", "6", "517"];

/// Codes of a database not answering now: admin shutdown, cannot connect now, too many
/// connections.
const AWAY_CODES: &[&str] = &["57P01", "57P02", "57P03", "53300"];

/// True when the same work may pass if tried again: the database away, busy or in a
/// conflict, as opposed to refusing the work itself.
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            CONFLICT_CODES.contains(&code.as_ref()) || AWAY_CODES.contains(&code.as_ref())
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Error::Unavailable("the database is not answering".into())
            }
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some(code) if CONFLICT_CODES.contains(&code) => {
                    Error::Aborted("a concurrent change got in the way; retry the call".into())
                }
                Some(code) if AWAY_CODES.contains(&code) => {
                    Error::Unavailable("the database is not answering".into())
                }
                _ => Error::Unexpected(anyhow::Error::new(sqlx::Error::Database(db))),
            },
            other => Error::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(violations) => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let message = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound { resource, id } => Status::with_error_details(
                Code::NotFound,
                format!("{resource} {id} not found"),
                ErrorDetails::with_resource_info(resource, id, "", "not found"),
            ),
            Error::AlreadyExists {
                resource,
                id,
                message,
            } => Status::with_error_details(
                Code::AlreadyExists,
                format!("{resource} {id}: {message}"),
                ErrorDetails::with_resource_info(resource, id, "", message.clone()),
            ),
            Error::FailedPrecondition {
                kind,
                subject,
                message,
            } => Status::with_error_details(
                Code::FailedPrecondition,
                message.clone(),
                ErrorDetails::with_precondition_failure_violation(kind, subject, message),
            ),
            Error::PermissionDenied { reason, message } => Status::with_error_details(
                Code::PermissionDenied,
                message,
                ErrorDetails::with_error_info(reason, "xingfu", std::collections::HashMap::new()),
            ),
            Error::Aborted(message) => Status::aborted(message),
            Error::Unavailable(message) => Status::with_error_details(
                Code::Unavailable,
                message,
                ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
            ),
            Error::Unexpected(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                Status::internal("internal error; the server log has the details")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_never_grows_with_what_the_caller_sent() {
        let long = "x".repeat(5_000);
        let violation = FieldViolation::new(long.clone(), format!("{long:?} is not a field"));
        assert_eq!(violation.field.chars().count(), 201);
        assert!(violation.description.ends_with('…'));
        assert_eq!(FieldViolation::new("title", "short").description, "short");
    }

    #[test]
    fn invalid_carries_each_field_as_a_violation() {
        let status = Status::from(Error::Invalid(vec![
            FieldViolation::new("title", "must not be empty"),
            FieldViolation::new("category", "must be set"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["title", "category"]);
    }

    #[test]
    fn unexpected_hides_its_cause() {
        let status = Status::from(Error::Unexpected(anyhow::anyhow!("password=hunter2")));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let status = Status::from(Error::from(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }

    #[test]
    fn finish_with_gives_every_field_or_every_violation() {
        let mut v = Violations::default();
        let a = v.check(Ok::<_, FieldViolation>(1));
        let b = v.check(Ok::<_, FieldViolation>("b"));
        assert_eq!(v.finish_with((a, b)).unwrap(), (1, "b"));
        let mut v = Violations::default();
        let a = v.check(Err::<i32, _>(FieldViolation::new("a", "bad")));
        let b = v.check(Ok::<_, FieldViolation>("b"));
        assert!(matches!(v.finish_with((a, b)), Err(Error::Invalid(f)) if f.len() == 1));
        // A field left unparsed without a word is the parser's bug, not the caller's.
        let unparsed: (Option<i32>, Option<i32>) = (Some(1), None);
        assert!(matches!(
            Violations::default().finish_with(unparsed),
            Err(Error::Unexpected(_))
        ));
    }
}
