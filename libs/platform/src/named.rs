//! Enums stored by name: one macro, so every service writes the glossary's names the same
//! way and reads them back strictly.

/// Declares an enum whose variants are stored as fixed names, with `ALL`, `as_str` and
/// `parse`.
#[macro_export]
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stored name (the glossary's).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value stored as `name`.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// Maps a named enum of the domain to its protobuf enum and back, by variant pairs:
/// `$to(domain) -> proto` and `$from(i32, field) -> Result<Option<domain>, FieldViolation>`
/// (UNSPECIFIED is `Ok(None)`, an unknown number a violation naming `field`).
#[macro_export]
macro_rules! enum_map {
    ($to:ident, $from:ident, $domain:ty, $proto:ty, $label:literal, { $($d:ident <=> $p:ident,)* }) => {
        /// The proto value of a domain value.
        pub fn $to(value: $domain) -> $proto {
            match value {
                $(<$domain>::$d => <$proto>::$p,)*
            }
        }

        /// The domain value of a proto number; UNSPECIFIED is `Ok(None)`.
        pub fn $from(value: i32, field: &str) -> Result<Option<$domain>, $crate::FieldViolation> {
            match <$proto>::try_from(value) {
                $(Ok(<$proto>::$p) => Ok(Some(<$domain>::$d)),)*
                Ok(_) => Ok(None),
                Err(_) => Err($crate::FieldViolation::new(field, format!(concat!("unknown ", $label, " {}"), value))),
            }
        }
    };
}
