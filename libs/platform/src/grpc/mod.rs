//! gRPC serving: health, reflection, the common tower layers and graceful shutdown; and
//! the client channel that balances over a service's replicas.

pub mod balance;
mod layers;
mod local;
mod server;

pub use layers::{
    GrpcMetricsLayer, code_name, decode_failure_is_invalid_argument, failure_level, log_failure,
    make_server_span,
};
pub use local::{LocalService, LocalServices};
pub use server::{GrpcServer, HEALTH_SERVICE};
