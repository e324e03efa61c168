//! Each caller's rate: a call beyond it is refused with RESOURCE_EXHAUSTED and a
//! `google.rpc.RetryInfo` saying when to retry.

use http::Request;
use tonic::Status;
use tonic::body::Body;
use xingfu_platform::trust::Caller;

use super::{Gate, learnt};
use crate::limits::Limits;

/// Takes each call from its authenticated [`Caller`]'s rate.
#[derive(Clone)]
pub struct Rate {
    limits: Limits,
}

impl Rate {
    /// Rates by `limits` (the policy's per-caller rates, else the default).
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl Gate for Rate {
    fn check(&self, request: &mut Request<Body>) -> Result<(), Status> {
        self.limits.take(&learnt::<Caller>(request)?.id)
    }
}
