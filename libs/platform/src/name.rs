//! The names of the suite's services: also folder, crate, database, Kubernetes and stream
//! names. A leaf module, so whatever names a service need not reach the runner.

use std::fmt;
use std::str::FromStr;

/// The five services of the suite; their names are also folder, crate, database,
/// Kubernetes and stream names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    /// The front door.
    Gateway,
    /// The shared project library.
    Projects,
    /// The directory and the volunteers.
    Volunteers,
    /// The charity ledger.
    Funds,
    /// Common-prosperity workshops.
    Workshops,
}

impl ServiceName {
    /// Every service, in start-up order (domain services before the gateway).
    pub const ALL: [ServiceName; 5] = [
        ServiceName::Projects,
        ServiceName::Volunteers,
        ServiceName::Funds,
        ServiceName::Workshops,
        ServiceName::Gateway,
    ];

    /// The lower-case name, as in `services/<name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Gateway => "gateway",
            ServiceName::Projects => "projects",
            ServiceName::Volunteers => "volunteers",
            ServiceName::Funds => "funds",
            ServiceName::Workshops => "workshops",
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceName::ALL
            .into_iter()
            .find(|name| name.as_str() == s)
            .ok_or_else(|| {
                format!("unknown service {s:?}; expected one of gateway, projects, volunteers, funds, workshops")
            })
    }
}
