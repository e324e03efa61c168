//! `xingfu.workshops.v1.WorkshopsService`: its calls arrive with the service's issue.

use xingfu_proto::workshops::workshops_service_server::WorkshopsService;

/// The API (no calls yet).
#[derive(Clone, Copy, Debug)]
pub struct WorkshopsApi;

impl WorkshopsService for WorkshopsApi {}
