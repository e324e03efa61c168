//! Checked values as types: ids and bounded text. A value of one of these has passed its
//! rule at the edge, so the code past it never checks again, and a record id is never
//! taken for a directory id. Storage binds them with `as_str()` and reads them back with
//! `from_stored` (what the database holds was checked on the way in).

use std::fmt;

use crate::error::FieldViolation;
use crate::validate;

/// A string that passed a rule: `as_str`, `Display`, `AsRef<str>`, `Into<String>` and
/// `from_stored`, written once for each type below.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident $(<const $max:ident: usize>)?) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name$(<const $max: usize>)?(String);

        impl$(<const $max: usize>)? $name$(<$max>)? {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, owned.
            pub fn into_string(self) -> String {
                self.0
            }

            /// A value read back from the service's own database, checked when written.
            pub fn from_stored(value: String) -> Self {
                Self(value)
            }
        }

        /// As the string it holds: a filter's debug text (a page token's key) reads the
        /// same whether its fields are checked or not.
        impl$(<const $max: usize>)? fmt::Debug for $name$(<$max>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl$(<const $max: usize>)? fmt::Display for $name$(<$max>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl$(<const $max: usize>)? AsRef<str> for $name$(<$max>)? {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl$(<const $max: usize>)? From<$name$(<$max>)?> for String {
            fn from(value: $name$(<$max>)?) -> String {
                value.0
            }
        }

        impl$(<const $max: usize>)? PartialEq<str> for $name$(<$max>)? {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

checked_string! {
    /// A server-assigned id (a UUID), in its canonical lower-case form.
    RecordId
}

impl RecordId {
    /// Checks `value`; `field` names it in the violation. Upper-case input is accepted and
    /// stored lower-case, so both spellings find the same record.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::uuid(value, field).map(Self)
    }

    /// A new id, time-ordered (UUID v7) so that new rows land at the end of an index.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
}

checked_string! {
    /// A directory id (organisation, community, team): 1 to 64 of `[A-Za-z0-9_-]`.
    DirectoryId
}

impl DirectoryId {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::directory_id(value, field).map(Self)
    }
}

checked_string! {
    /// An idempotency key: 1 to [`validate::MAX_REQUEST_ID_CHARS`] visible characters.
    RequestId
}

impl RequestId {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::request_id(value, field).map(Self)
    }
}

checked_string! {
    /// One line of text, trimmed, 1 to `MAX` characters (a name, a title).
    Line<const MAX: usize>
}

impl<const MAX: usize> Line<MAX> {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::single_line(value, field, MAX).map(Self)
    }
}

checked_string! {
    /// Free text, trimmed, 1 to `MAX` characters; line breaks and tabs allowed.
    Text<const MAX: usize>
}

impl<const MAX: usize> Text<MAX> {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::text(value, field, MAX).map(Self)
    }
}

checked_string! {
    /// Free text, trimmed, up to `MAX` characters, possibly empty (a note).
    Note<const MAX: usize>
}

impl<const MAX: usize> Note<MAX> {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::multi_line(value, field, MAX).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_holds_its_rule() {
        let id = RecordId::parse("6F9619FF-8B86-D011-B42D-00C04FC964FF", "id").unwrap();
        assert_eq!(id.as_str(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert_eq!(
            RecordId::parse("nope", "fund_id").unwrap_err().field,
            "fund_id"
        );
        assert!(DirectoryId::parse("org-a_1", "organisation_id").is_ok());
        assert!(DirectoryId::parse("org a", "organisation_id").is_err());
        assert_eq!(Line::<5>::parse("  abc ", "name").unwrap().as_str(), "abc");
        assert!(Line::<5>::parse("abcdef", "name").is_err());
        assert!(Line::<5>::parse("a\nb", "name").is_err());
        assert!(Text::<5>::parse("a\nb", "body").is_ok());
        assert!(Text::<5>::parse(" ", "body").is_err());
        assert_eq!(Note::<5>::parse(" ", "note").unwrap().as_str(), "");
        assert!(RequestId::parse(" k", "request_id").is_err());
        assert_ne!(RecordId::generate(), RecordId::generate());
        let id = DirectoryId::parse("org-a", "organisation_id").unwrap();
        assert_eq!(format!("{:?}", Some(id)), format!("{:?}", Some("org-a")));
    }
}
