//! `xingfu.volunteers.v1.VolunteersService`: its calls arrive with the service's issue.

use xingfu_proto::volunteers::volunteers_service_server::VolunteersService;

/// The API (no calls yet).
#[derive(Clone, Copy, Debug)]
pub struct VolunteersApi;

impl VolunteersService for VolunteersApi {}
