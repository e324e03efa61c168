//! `xingfu.volunteers.v1.VolunteersService`: its calls arrive with the service's issue.

use xingfu_proto::volunteers::volunteers_service_server::VolunteersService;

/// The gRPC service's full name.
pub const SERVICE_NAME: &str = "xingfu.volunteers.v1.VolunteersService";

/// The API (no calls yet).
#[derive(Clone, Copy, Debug)]
pub struct VolunteersApi;

impl VolunteersService for VolunteersApi {}
