//! xingfu's protobuf contract: the gRPC APIs (`xingfu.<area>.v1`) and the event messages,
//! generated at build time from the workspace's `proto/` folder.

pub mod events;

pub use events::EventMessage;

/// Generated code, one module per protobuf package.
#[allow(missing_docs, clippy::all)]
pub mod xingfu {
    /// `xingfu.common.v1`: money, paging and directory references.
    pub mod common {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.common.v1.rs"));
        }
    }
    /// `xingfu.projects.v1`: the shared project library.
    pub mod projects {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.projects.v1.rs"));
        }
    }
    /// `xingfu.volunteers.v1`: the directory and the volunteers.
    pub mod volunteers {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.volunteers.v1.rs"));
        }
    }
    /// `xingfu.funds.v1`: the charity ledger.
    pub mod funds {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.funds.v1.rs"));
        }
    }
    /// `xingfu.gateway.v1`: the programme overview and the audit trail.
    pub mod gateway {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.gateway.v1.rs"));
        }
    }
    /// `xingfu.workshops.v1`: common-prosperity workshops.
    pub mod workshops {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/xingfu.workshops.v1.rs"));
        }
    }
}

pub use xingfu::projects::v1 as projects;
pub use xingfu::{common::v1 as common, funds::v1 as funds, gateway::v1 as gateway};
pub use xingfu::{volunteers::v1 as volunteers, workshops::v1 as workshops};

/// The encoded `FileDescriptorSet` of every xingfu proto (imports included), for server
/// reflection and for tools that decode events without generated code.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xingfu_descriptor.bin"));

impl common::Money {
    /// `fen` in the currency xingfu keeps its books in, CNY.
    pub fn cny(fen: i64) -> Self {
        Self {
            fen,
            currency: "CNY".into(),
        }
    }
}
