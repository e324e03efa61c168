//! A service's name: also its folder, crate, database, Kubernetes and stream names. Each
//! service crate declares its own (`pub const NAME`); the plumbing knows none of them.

use std::fmt;

/// The name of one service of the suite (`projects`), as its crate declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(&'static str);

impl ServiceName {
    /// The service called `name` (lower case, as in `services/<name>`).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The lower-case name, as in `services/<name>`.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
